// File: gibkit/saga/sync_service.h
//
// The sync saga between a sender and a receiver (docs/protocol.md):
//
//   sender                                   receiver
//   Init   (signed: heads it has)      ->    authenticate, persist control
//                                      <-    Ack (its heads, what it has newer)
//   Delta* (signed: records it lacks,  ->    validate into staging
//           what sender wants)         <-    DeltaReply (records sender wants)
//   Commit (signed: heads to move)     ->    staging -> durable in one batch
//                                      <-    CommitReply; sender commits too
//
// Each request turn is signed by evolving the sender's session identity with
// a claim {sync, <context address>}, and each reply by evolving the
// receiver's own session the same way (gibkit-sync/2: mutual
// authentication). Each side verifies the other's frame against the previous
// session frame from its *own* registry; both sessions are endorsed by their
// node's domain identity. Contexts name their audience and echo the other
// side's nonce (docs/protocol.md). Control records (contexts, identity
// frames, saga frames) go to the durable space at once; domain payloads go to
// the staging area (memory) and reach the durable space only at Commit, in one
// atomic batch that also moves the timeline heads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/status.h"
#include "gibkit/transport.h"

namespace gibkit::saga {

struct SyncOptions {
  // Upper bound of one message's payload bytes; records are batched under it.
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  // How many earlier endorsements of the domain identity an Init carries, for
  // receivers that missed sessions made for other peers.
  std::size_t endorsement_history = 16;
  std::chrono::milliseconds request_timeout{60000};
  // A receiver drops a saga (and its staged payloads) idle for this long.
  std::chrono::milliseconds saga_idle_timeout{300000};
  // How long an Init stays acceptable after the sender issued it (its
  // validity window); also the clock skew tolerated between two nodes.
  std::chrono::milliseconds init_validity{300000};
  // Staging limits (a receiver refuses a Delta over them, resource_exhausted,
  // and drops the saga): payload bytes one saga may stage, bytes all sagas
  // may stage together, and Delta turns per saga. They bound what a trusted
  // peer -- or many -- can make this node hold before Commit.
  std::size_t max_staged_bytes_per_saga = std::size_t{256} * 1024 * 1024;
  std::size_t max_staged_bytes = std::size_t{1024} * 1024 * 1024;
  std::size_t max_delta_turns = 100000;
  // How long a receiver keeps what a broken saga staged (its sender's
  // connection dropped, or it expired idle) for that sender's next saga to
  // adopt (docs/protocol.md, "Resume"); 0 releases it at once. Kept sets
  // count against max_staged_bytes until adopted or released.
  std::chrono::milliseconds resume_keep{300000};
  // With SyncServices::staging_spill: staged payloads past this many bytes
  // (over all sagas) go to the spill space instead of staying in memory.
  std::size_t staging_spill_threshold_bytes = std::size_t{64} * 1024 * 1024;
  // Threads a receiver decodes and checks Delta records on (0: one per
  // hardware thread); see docs/performance.md.
  unsigned verify_threads = 0;
  // How many records a sender reads, breadth first from the heads and
  // stones the receiver is known to hold, to learn what it need not send
  // (docs/protocol.md, "Delta"). A held record relates only held records, so
  // the addresses each read names are known held without being read. Past
  // the bound, a record held deeper in the receiver's graph may be sent
  // again: bytes, never correctness. Without it every sync read the whole
  // graph the two nodes share.
  std::size_t peer_closure_reads = 4096;
};

// What happened to one timeline in a sync.
struct TimelineOutcome {
  enum class Kind {
    kInSync,      // both sides had the same head
    kSent,        // the receiver was behind or lacked it; it now has the sender's head
    kReceived,    // the receiver was ahead; the sender now has its head
    kMerged,      // both moved on; the sender's frames were replayed onto the receiver's head
    kConflict,    // both moved on and no replay was possible; both heads kept, nothing lost
  };
  std::string timeline;  // tjp address
  Kind kind = Kind::kInSync;
  std::string head;       // the head both sides have now (kConflict: the sender's)
  std::string peer_head;  // kConflict: the receiver's head
};

[[nodiscard]] std::string_view outcome_name(TimelineOutcome::Kind kind) noexcept;

struct SyncProgress {
  std::string leg;
  std::size_t records_sent = 0;
  // Records found to send so far: the closure is walked as it is sent, so
  // this grows until the walk ends (and reaches the total with the last
  // Delta).
  std::size_t records_to_send = 0;
  std::size_t records_received = 0;
  std::size_t bytes_sent = 0;
  std::size_t bytes_received = 0;
};
using ProgressCallback = std::function<void(const SyncProgress&)>;

struct SyncReport {
  std::string saga_id;
  std::string peer_domain;   // the domain identity that authenticated every reply
  std::string peer_session;  // its session that signed them
  std::vector<TimelineOutcome> timelines;
  std::size_t records_sent = 0;
  std::size_t records_received = 0;
  std::size_t bytes_sent = 0;
  std::size_t bytes_received = 0;
  std::size_t turns = 0;  // signed request turns
  std::chrono::milliseconds elapsed{0};
  // An earlier saga with this peer whose outcome was unknown (its Commit went
  // out but no authenticated CommitReply came back), as the peer answered it
  // in this saga's Ack; empty when there was none.
  std::string previous_saga;
  bool previous_saga_committed = false;
  // Records of an earlier saga with this peer, broken mid-Delta, that the
  // peer had staged and adopted into this one (Ack `resumed`): not sent again.
  std::string resumed_saga;
  std::size_t records_resumed = 0;
  // The first Delta's batch read while the Init was answered, on the guess
  // that a peer new to this node holds none of what is sent: kUsed when the
  // Ack bore the guess out, kDropped when it did not (docs/protocol.md,
  // "Pipelining"); kNone when no batch was read early.
  enum class EarlyBatch { kNone, kUsed, kDropped };
  EarlyBatch early_batch = EarlyBatch::kNone;
  // Records read to learn what the peer holds (SyncOptions::peer_closure_reads).
  std::size_t peer_closure_reads = 0;
};

// What the receiver reports of each saga (gibd logs it as logfmt).
// Every member has a default initializer so that designated initializers
// may leave any out.
struct SagaEvent {
  std::string_view event{};   // "saga.accepted", "saga.committed", "saga.aborted", "saga.rejected"
  std::string saga_id{};
  std::string peer_domain{};  // empty when the turn named no identity this node knows
  std::string leg{};
  std::size_t records = 0;    // saga.committed: records moved to the durable space
  std::string detail{};       // saga.rejected: the error
  StatusCode code = StatusCode::kOk;  // saga.rejected: the error's code
  // The saga is over: committed, aborted, or rejected after its turn
  // authenticated (a refused stranger's turn ends nothing).
  bool saga_ended = false;
  // The saga's traffic so far, this turn included (zero for a turn that
  // belongs to no saga): payload records each way, whole messages' bytes
  // each way, and milliseconds since its Init arrived.
  std::size_t records_received = 0;
  std::size_t records_sent = 0;
  std::size_t bytes_received = 0;
  std::size_t bytes_sent = 0;
  std::int64_t elapsed_ms = 0;
  // Microseconds this turn's authentication took on this node (checking the
  // signed turn against the sender's session: header, binding, signature);
  // 0 when the turn did not authenticate.
  std::int64_t verify_us = 0;
  // saga.committed: microseconds the Commit turn waited for the last
  // Delta's records to be checked and staged, and wrote the saga's records
  // and heads to the durable space (where a large sync's Commit goes).
  std::int64_t settle_us = 0;
  std::int64_t write_us = 0;
};

// What a node brings to the saga. The spaces and signers must outlive the service.
struct SyncServices {
  Space* durable = nullptr;
  // Unused: staged payloads wait in the service's own memory (its
  // StagingArea, docs/performance.md "Kernel-held staging"); kept so that
  // callers naming sync.staging still build.
  Space* staging = nullptr;
  // Optional: a temporary space on disk taking staged payloads past
  // SyncOptions::staging_spill_threshold_bytes (null: everything stays in
  // memory). Emptied when the service starts.
  Space* staging_spill = nullptr;
  // Optional: a space several nodes share whose plugin keeps sagas' staging
  // (Space::saga_staging(), SDK 1.4), e.g. the durable space-postgres of a
  // scale-out group. Each Delta's staged records are also written there, so
  // that the sender's next saga can resume a broken one at *any* node of
  // the group, and expired sagas of a node that died are reclaimed by the
  // others (docs/protocol.md, "Resume"; docs/scale-out.md). null: staging
  // stays this node's alone.
  Space* shared_staging = nullptr;
  Signer* signer = nullptr;  // holds this node's own identities
  // The signer that verifies a peer's identity frame, chosen by the frame's
  // `ib` (e.g. "keystone") as the signer plugins declare it; nullptr when
  // none can. A timeline whose frames some signer here verifies is an
  // identity timeline: no data sync may move it.
  std::function<Signer*(std::string_view frame_ib)> verifier_for;
  // The signer of session identities (nullptr: `signer`). A keystone domain
  // may endorse sessions of another signer (docs/security.md, "Sessions").
  Signer* session_signer = nullptr;
  // Wall-clock milliseconds since the epoch (Init validity windows); null:
  // the system clock. Tests inject a fake one.
  std::function<std::int64_t()> now_ms;
  // Monotonic milliseconds (saga idle expiry); null: std::chrono::steady_clock.
  std::function<std::int64_t()> monotonic_ms;
  // Called for each SagaEvent, from the thread handling the turn (turns of
  // different sagas run in parallel); may be null.
  std::function<void(const SagaEvent&)> on_event;
  // Saga ids and nonces (128 bits as hex); null: random_token(), from the
  // OS. With the two clocks, everything a saga takes from its environment,
  // so that tests can make it deterministic (like LevelDB's Env).
  std::function<std::string()> random_token;
};

class SyncService {
 public:
  // `domain_tjp` is this node's own domain identity (see
  // IdentityRegistry::create_identity); it may be empty for a receive-only node.
  SyncService(SyncServices services, std::string domain_tjp, SyncOptions options = {});
  ~SyncService();
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  // Receiver: answers one request message. Always yields a message: a failed
  // request is answered with leg "error". Only a failure after the turn was
  // authenticated abandons its saga (with its staged payloads); a message
  // that does not decode or authenticate never touches any saga.
  // Requests of different sagas are handled in parallel, each saga's in turn.
  [[nodiscard]] Result<std::string> handle(std::string_view request);
  // The same, with what the turn proved of its sender for the transport's
  // admission (gibkit/transport.h): kAuthenticated once a turn authenticated
  // as a trusted peer's session, kRefused for anything that did not.
  [[nodiscard]] Result<Answer> answer(std::string_view request);

  // Sender: syncs the timelines (or stones) of `addresses` with the receiver
  // behind `peer`, which must authenticate as domain identity `peer_domain`
  // (trusted here): every reply is signed by a session that domain endorsed,
  // and a reply signed by anyone else fails the saga before anything is
  // stored. On failure nothing is committed here and the receiver is told to
  // abort -- except that once the Commit has gone out, only an authenticated
  // CommitReply (or AbortReply) says how it ended: without one the failure is
  // kUnavailable "outcome unknown", and the next sync with this peer asks and
  // reports it (SyncReport::previous_saga). A retry starts a fresh saga.
  [[nodiscard]] Result<SyncReport> sync(Connection& peer, std::string_view peer_domain,
                                        const std::vector<std::string>& addresses,
                                        const ProgressCallback& progress = {});

  // Receiver: drops the sagas idle longer than saga_idle_timeout, with their
  // staged payloads (their logs record "failed: deadline_exceeded"). Runs at
  // each request too; a node calls it on a timer so that abandoned sagas go
  // even when no request comes (gibd: every second). Returns how many went.
  std::size_t expire_idle_sagas();

  // Receiver sagas between their Init and their end, now.
  [[nodiscard]] std::size_t open_sagas() const;
  // Receiver: the addresses staged now, by every open or kept saga.
  [[nodiscard]] std::vector<std::string> staged_addresses() const;

  // Trusts a peer's domain identity from its genesis frame (out-of-band
  // enrollment).
  [[nodiscard]] Status trust_peer(std::string_view domain_genesis_json);

  // Whether a timeline is one no data sync or local edit may move: an
  // identity (its frames are verified by a signer here, or the registry
  // knows it) or a saga log. `frame` is any frame of it.
  [[nodiscard]] Status refuse_protected_timeline(std::string_view tjp, const IbGib& frame) const;

  struct State;  // opaque; shared by the receiver and sender implementations

 private:
  std::unique_ptr<State> state_;
};

}  // namespace gibkit::saga
