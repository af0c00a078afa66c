// File: gibkit/identity/identity_registry.h
//
// The node's registry of identities: timelines of identity frames (keystone
// or other signer frames) kept in the node's own durable space, whose head
// index says which frame of each identity is the latest one *this node* has
// accepted.
//
// Two roles:
//  * Own identities. A long-lived *domain* identity endorses an ephemeral
//    *session* identity (claim {endorse, <session genesis address>}); the
//    session then signs one request turn each (claim {sync, <context address>}).
//  * Peer identities. A peer's frames are accepted only by replaying from
//    the latest frame this registry already holds: verification always takes
//    the previous frame from the local space, never from the peer, so a
//    replayed, skipped or forged frame fails. A peer's domain identity must be
//    trusted first (its genesis frame imported out of band).
//
// Accepted frames are written to the durable space at once, with the head
// moved by compare-and-swap, so concurrent sagas cannot both advance one
// identity from the same frame.
//
// Identity heads live in a protected namespace of the head index (keys that
// start with '^', which no address can: see identity_head_key), so nothing
// that moves data timelines -- a saga's Commit, `gib mut8` -- can ever move
// them; only this registry's verified evolution does.
//
// Duplicity (KERI): a frame that verifies from the frame before it but
// differs from the frame this registry already holds at that position proves
// that the identity's secret signed twice. It is stored as evidence, the
// identity is marked duplicitous and refused from then on, until an operator
// decides (`gib keystone duplicity`, docs/security.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::identity {

inline constexpr std::string_view kVerbEndorse = "endorse";
inline constexpr std::string_view kVerbSync = "sync";

// One domain frame sent by a peer, with the session genesis it claims to endorse.
struct EndorsementStep {
  std::string frame_json;
  std::string endorsed_address;
};

// What a sender hands its peer so that the peer can accept a new session.
struct SessionBundle {
  std::string domain_tjp;         // the endorsing domain identity
  EndorsementStep endorsement;    // the domain frame endorsing the session
  std::string session_genesis_json;
  std::string session_tjp;        // = session genesis address
};

// A session identity's hold on what its signer keeps for it: when the saga
// that owns the lease ends, however it ends, the signer forgets the session
// (Signer::forget), which never signs again. Without it every saga left its
// session's secret behind, in memory or in secrets_dir, two files a side
// per sync (SyncNodeTest.SyncsLeaveNoSessionSecretsBehind).
class SessionLease {
 public:
  SessionLease() = default;
  SessionLease(Signer& signer, std::string session_tjp) : signer_(&signer), session_tjp_(std::move(session_tjp)) {}
  SessionLease(SessionLease&& other) noexcept
      : signer_(std::exchange(other.signer_, nullptr)), session_tjp_(std::move(other.session_tjp_)) {}
  SessionLease& operator=(SessionLease&& other) noexcept {
    if (this != &other) {
      end();
      signer_ = std::exchange(other.signer_, nullptr);
      session_tjp_ = std::move(other.session_tjp_);
    }
    return *this;
  }
  SessionLease(const SessionLease&) = delete;
  SessionLease& operator=(const SessionLease&) = delete;
  ~SessionLease() { end(); }

  // Lets go without forgetting (the session lives on under another lease).
  void release() noexcept { signer_ = nullptr; }

 private:
  // Best effort: a signer that fails to forget keeps what it kept before
  // SDK 1.5, and the saga's outcome does not depend on it. Nothing escapes a
  // destructor (a proxy's strings may fail to allocate).
  void end() noexcept {
    if (signer_ == nullptr) return;
    try {
      (void)signer_->forget(session_tjp_);
    } catch (...) {
    }
    signer_ = nullptr;
  }

  Signer* signer_ = nullptr;
  std::string session_tjp_;
};

// The claim {verb, target} a frame says it carries, read from the frame
// shapes of the shipped signers (`data.claim`, ed25519; `data.proofs[].claim`,
// keystone). A *candidate* only: it is trusted once the frame's signer
// verifies the frame with it (a wrong one fails verification). kNotFound when
// the frame names no single claim (a genesis, or a shape not known here).
[[nodiscard]] Result<Claim> claim_named_in(const IbGib& frame);

// The head-index key of identity `tjp` (protected namespace, see above).
[[nodiscard]] std::string identity_head_key(std::string_view tjp);

// Whether a head-index key belongs to the protected namespace (identities,
// saga logs, ledgers): such keys start with '^'.
[[nodiscard]] bool is_protected_head_key(std::string_view key) noexcept;

// The record a duplicity was found in: both frames at one position.
struct DuplicityEvidence {
  std::string identity;     // tjp
  double position = 0;      // the frames' n
  std::string held_frame;   // the frame this registry had accepted
  std::string other_frame;  // the second, different frame that also verifies
  std::string evidence;     // address of the identity_duplicity stone
};

class IdentityRegistry {
 public:
  explicit IdentityRegistry(Space& durable) : durable_(durable) {}

  // --- own identities ---

  // Creates a domain identity with `signer` (options are signer specific,
  // e.g. {"preset":"domain"}), stores its frames and returns its tjp address.
  [[nodiscard]] Result<std::string> create_identity(Signer& signer, const json::Value& options);

  // Creates a session identity with `session_signer`, endorsed by domain
  // `domain_tjp` (held by `domain_signer`; the two may be the same signer).
  // The caller holds a SessionLease on it for as long as its saga lasts.
  [[nodiscard]] Result<SessionBundle> begin_session(Signer& domain_signer, Signer& session_signer,
                                                    std::string_view domain_tjp);

  // Evolves identity `tjp` with a frame claiming {verb, target}; stores it and
  // returns the new frame's JSON text.
  //
  // Catch-up (issue #10): a signer that made frame n+1 which this registry
  // never stored (the process was killed between the two) hands out n+1 and
  // then the new frame (signer_support/own_frames.h). Each frame before the
  // last is verified with `signer` from the frame before it, with the claim
  // it names (claim_named_in), and everything is stored in one batch with
  // the head moved by compare-and-swap and the claim ledger of every frame,
  // so peers that missed n+1 are sent it as an earlier endorsement.
  //
  // `also`: records and head moves written in the same batch as the frame,
  // e.g. the context the claim names and the saga log's entry for the turn
  // (one durable write a turn instead of three). A failed compare-and-swap
  // among them fails the whole batch, frame included: the signer has then
  // made a frame this registry did not store, which the next sign() adopts
  // (catch-up, above). Only one such frame can be adopted (a signer two
  // frames ahead refuses), so `also` must not hold a compare-and-swap that
  // can fail twice in a row; the saga log's, on a session of one saga,
  // cannot (a failed reply ends the saga).
  [[nodiscard]] Result<std::string> sign(Signer& signer, std::string_view tjp, const Claim& claim,
                                         WriteBatch also = {});

  // Recovery of an own identity restored from a backup (`gib keystone
  // recover`): `frames_json` are frames of `tjp` that a peer holds, oldest
  // first. Frames this registry already holds are skipped; each other one
  // must verify with `verifier` from the registry's head of `tjp` -- exactly
  // as an incoming frame -- with the claim it names, and is stored with its
  // claim ledger entry and the head moved, one frame at a time. A frame that
  // does not descend from the head is refused (kPermissionDenied, naming
  // it); a second valid frame at a held position is recorded as duplicity.
  // Returns how many frames were added. `own`: an identity of this node,
  // whose claims go to the claim ledger (a peer's, e.g. a peer's domain that
  // moved on while this node's space was older, does not).
  [[nodiscard]] Result<std::size_t> recover_frames(Signer& verifier, std::string_view tjp,
                                                   const std::vector<std::string>& frames_json, bool own = true);

  // --- peer identities ---

  // Trusts a peer's domain identity whose genesis frame is given. The frame
  // must be a valid genesis (its address is its own tjp); it is stored.
  [[nodiscard]] Status trust(std::string_view genesis_frame_json);

  // The operator's trust decisions (`gib keystone trust/untrust`), kept in
  // the head index beside the identities. An untrusted domain stays stored
  // (its frames are history) but accept_session refuses it; trust() -- what
  // sync.trust files run at every start -- does not lift the mark, so an
  // untrust survives a restart with the peer still in sync.trust. Only
  // trust_by_operator() does.
  //
  // Trusts as trust(), lifts an untrust mark and records the decision
  // (trusted_by_operator). Returns the domain's tjp.
  [[nodiscard]] Result<std::string> trust_by_operator(std::string_view genesis_frame_json);
  // Refuses the known identity `tjp` from now on (kNotFound when unknown).
  [[nodiscard]] Status untrust(std::string_view tjp);
  [[nodiscard]] Result<bool> untrusted(std::string_view tjp) const;
  // Domains ever trusted by trust_by_operator (untrusted since or not).
  [[nodiscard]] Result<std::vector<std::string>> trusted_by_operator() const;

  // Accepts a session of trusted domain `bundle.domain_tjp`: every step is
  // verified against this registry's latest frame of the domain, the last one
  // must endorse exactly the session genesis, which must be intrinsically valid.
  // `earlier_steps` are domain frames the peer made since (for other peers'
  // sessions), oldest first; each is verified too.
  [[nodiscard]] Status accept_session(Signer& verifier, const SessionBundle& bundle,
                                      const std::vector<EndorsementStep>& earlier_steps = {});

  // Accepts `next_frame_json` as the next frame of `tjp` claiming {verb, target}.
  // `also`: records and head moves written in the same batch as the frame,
  // e.g. the context the claim names and the saga log's entry for the turn
  // (one durable write instead of three a turn); nothing of it is written
  // when the frame is refused.
  [[nodiscard]] Status accept(Signer& verifier, std::string_view tjp, std::string_view next_frame_json,
                              const Claim& expected, WriteBatch also = {});

  // Latest accepted frame address of identity `tjp`, nullopt if unknown.
  [[nodiscard]] Result<std::optional<std::string>> latest(std::string_view tjp) const;

  // Up to `count` endorsements made by own domain `domain_tjp` before frame
  // `before` (oldest first), for a peer that may have missed them. The walk
  // goes frame by frame through stored frames and stops at `peer_holds`
  // (a frame the peer is known to have accepted; empty: unknown), so a peer
  // that is up to date gets nothing and the cost does not grow with history.
  [[nodiscard]] Result<std::vector<EndorsementStep>> endorsements_before(std::string_view domain_tjp,
                                                                         std::string_view before,
                                                                         std::string_view peer_holds,
                                                                         std::size_t count) const;

  // The latest frame of own domain identity that peer domain `peer_domain`
  // is known to have accepted (it authenticated a session endorsed by it).
  [[nodiscard]] Result<std::optional<std::string>> known_by(std::string_view peer_domain) const;
  [[nodiscard]] Status remember_known_by(std::string_view peer_domain, std::string_view frame);

  // The duplicity evidence recorded for identity `tjp`, nullopt when none.
  [[nodiscard]] Result<std::optional<DuplicityEvidence>> duplicity(std::string_view tjp) const;
  // The operator's decision to keep trusting `tjp` from the frame this
  // registry holds (the other branch stays stored as evidence but is never
  // followed). The evidence record stays in the space.
  [[nodiscard]] Status clear_duplicity(std::string_view tjp);

 private:
  Result<std::string> latest_frame_json(std::string_view tjp) const;
  Status refuse_if_duplicitous(std::string_view tjp) const;
  Status refuse_if_untrusted(std::string_view tjp) const;
  // After a failed verification: is `next` a second, validly signed frame
  // at a position already held? Records the evidence if so.
  Status check_duplicity(Signer& verifier, std::string_view tjp, const IbGib& next, std::string_view next_json,
                         const Claim& expected);
  Status store(std::string_view tjp, const std::vector<std::string>& records_json,
               std::string_view new_head, std::optional<std::string> expected_head,
               WriteBatch also = {});
  // Stores own frames with their claim ledger entries and moves the head
  // from `expected_head`, in one batch (with `also`).
  Status store_own(std::string_view tjp, const std::vector<std::string>& records_json,
                   const std::vector<Claim>& claims, std::string_view expected_head, bool ledger = true,
                   WriteBatch also = {});

  Space& durable_;
};

}  // namespace gibkit::identity
