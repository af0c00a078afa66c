#include "gibkit/identity/identity_registry.h"

#include <mutex>
#include <utility>

#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"
#include "gibkit/validate.h"

namespace gibkit::identity {
namespace {

// How far back from an identity's head a duplicity check walks. A claimed
// position further back than this is not looked up: the walk is work an
// outsider could make us do, and a fork that old proves nothing new.
constexpr double kDuplicityWindow = 1024;

// Claims of own frames are not readable from frames in a signer-neutral way,
// so the registry keeps a ledger: head-index key "^claim <frame address>" ->
// an `identity_claim` stone {frame, verb, target} in the durable space.
std::string claim_key(std::string_view frame_address) { return "^claim " + std::string(frame_address); }
std::string known_by_key(std::string_view peer_domain) { return "^known-by " + std::string(peer_domain); }
std::string duplicity_key(std::string_view tjp) { return "^duplicity " + std::string(tjp); }
// The head index has no erase: a cleared duplicity mark points here.
constexpr std::string_view kClearedMark = "cleared^gib";
// The operator's untrust decision: "^untrusted <tjp>" -> kUntrustedMark
// (kClearedMark once trusted again); "^trusted-by-operator <tjp>" -> the
// genesis address: where the trust came from, kept when untrusted so that
// `gib keystone trusted` still lists the domain (as UNTRUSTED).
std::string untrusted_key(std::string_view tjp) { return "^untrusted " + std::string(tjp); }
constexpr std::string_view kTrustedByOperatorPrefix = "^trusted-by-operator ";
std::string trusted_by_operator_key(std::string_view tjp) { return std::string(kTrustedByOperatorPrefix) + std::string(tjp); }
constexpr std::string_view kUntrustedMark = "untrusted^gib";

IbGib claim_record(std::string_view frame_address, const Claim& claim) {
  IbGib record;
  record.ib = "identity_claim";
  record.data = json::Object{{"frame", std::string(frame_address)}, {"verb", claim.verb}, {"target", claim.target}};
  record.gib = *compute_gib(record);
  return record;
}

// The timeline a frame belongs to; identity frames must belong to one.
Result<std::string> frame_tjp(const IbGib& frame) {
  std::optional<std::string> tjp = frame.tjp_address();
  if (!tjp) return invalid_argument("identity frame " + frame.address() + " belongs to no timeline");
  return *tjp;
}

// Full intrinsic validation: a frame whose gib is "gib" (a would-be
// primitive) or whose tjp suffix lies is refused here, not just one whose
// hash differs.
Result<IbGib> parse_valid_frame(std::string_view frame_json) {
  GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(frame_json));
  Status valid = validate_intrinsically(frame);
  if (!valid.ok()) {
    return permission_denied("gib: identity frame " + frame.address() + " is not valid: " + valid.message());
  }
  return frame;
}

// Serializes, in this process, signing (read head, sign, store) and
// recovering own frames, so neither moves a head under the other.
std::mutex& own_identity_writes() {
  static std::mutex mutex;
  return mutex;
}

// The frame a stored frame follows: the last of its `past` (linked or
// accumulated, the immediate predecessor is last either way).
std::optional<std::string> predecessor(const IbGib& frame) {
  std::vector<std::string> past = frame.rel8d(kRel8nPast);
  if (past.empty()) return std::nullopt;
  return past.back();
}

}  // namespace

Result<Claim> claim_named_in(const IbGib& frame) {
  const json::Value* data = frame.data ? &*frame.data : nullptr;
  auto read = [&](const json::Value* claim) -> Result<Claim> {
    const json::Value* verb = claim->find("verb");
    const json::Value* target = claim->find("target");
    if (verb == nullptr || target == nullptr || !verb->is_string() || !target->is_string()) {
      return not_found("frame " + frame.address() + " names a claim without a string verb and target");
    }
    return Claim{verb->as_string(), target->as_string()};
  };
  if (data != nullptr && data->is_object()) {
    if (const json::Value* claim = data->find("claim"); claim != nullptr && claim->is_object()) return read(claim);
    if (const json::Value* proofs = data->find("proofs"); proofs != nullptr && proofs->is_array()) {
      std::optional<Claim> found;
      for (const json::Value& proof : proofs->as_array()) {
        const json::Value* claim = proof.find("claim");
        if (claim == nullptr || !claim->is_object()) continue;
        GIBKIT_ASSIGN_OR_RETURN(Claim one, read(claim));
        if (found && !(*found == one)) return not_found("frame " + frame.address() + " names more than one claim");
        found = std::move(one);
      }
      if (found) return *found;
    }
  }
  return not_found("frame " + frame.address() + " names no claim a shipped signer writes (data.claim or "
                   "data.proofs[].claim)");
}

std::string identity_head_key(std::string_view tjp) { return "^identity " + std::string(tjp); }

bool is_protected_head_key(std::string_view key) noexcept { return !key.empty() && key.front() == '^'; }

Result<std::string> IdentityRegistry::create_identity(Signer& signer, const json::Value& options) {
  GIBKIT_ASSIGN_OR_RETURN(IdentityFrames frames, signer.create_identity(options));
  GIBKIT_ASSIGN_OR_RETURN(IbGib latest, IbGib::parse(frames.records_json.back()));
  GIBKIT_ASSIGN_OR_RETURN(std::string tjp, frame_tjp(latest));
  GIBKIT_RETURN_IF_ERROR(store(tjp, frames.records_json, frames.latest_address, std::string()));
  return tjp;
}

Result<SessionBundle> IdentityRegistry::begin_session(Signer& domain_signer, Signer& session_signer,
                                                      std::string_view domain_tjp) {
  GIBKIT_RETURN_IF_ERROR(refuse_if_duplicitous(domain_tjp));
  // "lifetime": "saga" (SDK 1.5): the signer may hold it in memory only, as
  // the lease below has it forgotten when the saga ends.
  GIBKIT_ASSIGN_OR_RETURN(IdentityFrames session, session_signer.create_identity(
                                                      json::Object{{"preset", "session"}, {"lifetime", "saga"}}));
  GIBKIT_ASSIGN_OR_RETURN(IbGib genesis, IbGib::parse(session.records_json.back()));
  GIBKIT_ASSIGN_OR_RETURN(std::string session_tjp, frame_tjp(genesis));
  // Until the caller holds its own lease, a failure below forgets it here.
  SessionLease unfinished(session_signer, session_tjp);
  GIBKIT_RETURN_IF_ERROR(store(session_tjp, session.records_json, session.latest_address, std::string()));

  const Claim endorse{std::string(kVerbEndorse), session_tjp};
  GIBKIT_ASSIGN_OR_RETURN(std::string endorsement, sign(domain_signer, domain_tjp, endorse));
  unfinished.release();
  return SessionBundle{std::string(domain_tjp), EndorsementStep{std::move(endorsement), session_tjp},
                       session.records_json.back(), session_tjp};
}

Result<std::string> IdentityRegistry::sign(Signer& signer, std::string_view tjp, const Claim& claim,
                                           WriteBatch also) {
  // One signing at a time in this process: a signer evolves only the frame
  // it made last, so two sagas signing with one identity at once would have
  // one of them refused -- or, if the loser's store lost a compare-and-swap
  // after its signer had recorded the new frame, leave the identity unable
  // to sign. Serialized, read-sign-store cannot interleave.
  std::lock_guard lock(own_identity_writes());
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this registry");
  GIBKIT_ASSIGN_OR_RETURN(std::string latest_json, latest_frame_json(tjp));
  GIBKIT_ASSIGN_OR_RETURN(IdentityFrames frames, signer.sign(latest_json, claim));
  if (frames.records_json.empty()) {
    return internal_error("identity " + std::string(tjp) + ": the signer handed out no frame");
  }
  std::vector<Claim> claims(frames.records_json.size(), claim);
  if (frames.records_json.size() > 1) {
    // Catch-up: the signer adopted frames it had made but we never stored.
    // They are verified like a peer's before anything is stored: the signer
    // is trusted to keep its secrets, not to make this registry skip a step.
    std::string prev_json = latest_json;
    for (std::size_t i = 0; i < frames.records_json.size(); ++i) {
      const std::string& text = frames.records_json[i];
      GIBKIT_ASSIGN_OR_RETURN(IbGib frame, parse_valid_frame(text));
      const std::string where = "identity " + std::string(tjp) + ": frame " + frame.address() +
                                " the signer handed out to catch up";
      if (frame.tjp_address() != std::optional<std::string>(tjp)) {
        return permission_denied("link: " + where + " is not a frame of this identity");
      }
      if (i + 1 < frames.records_json.size()) {
        Result<Claim> named = claim_named_in(frame);
        if (!named.ok()) return named.status().with_context(where);
        claims[i] = std::move(*named);
      }
      Status verified = signer.verify(prev_json, text, claims[i]);
      if (!verified.ok()) return Status(StatusCode::kPermissionDenied, verified.message()).with_context(where);
      prev_json = text;
    }
  }
  GIBKIT_ASSIGN_OR_RETURN(IbGib last, IbGib::parse(frames.records_json.back()));
  if (last.address() != frames.latest_address) {
    return internal_error("identity " + std::string(tjp) + ": the signer's latest address " + frames.latest_address +
                    " is not its last frame " + last.address());
  }
  // Frames, head and ledger in one batch: a frame stored without its ledger
  // entry would never be sent to a peer that missed it.
  GIBKIT_RETURN_IF_ERROR(store_own(tjp, frames.records_json, claims, *head, /*ledger=*/true, std::move(also)));
  return frames.records_json.back();
}

Result<std::size_t> IdentityRegistry::recover_frames(Signer& verifier, std::string_view tjp,
                                                     const std::vector<std::string>& frames_json, bool own) {
  std::lock_guard lock(own_identity_writes());
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this registry");
  GIBKIT_RETURN_IF_ERROR(refuse_if_duplicitous(tjp));
  std::size_t added = 0;
  for (const std::string& text : frames_json) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib frame, parse_valid_frame(text));
    if (frame.tjp_address() != std::optional<std::string>(tjp) && frame.address() != tjp) {
      return permission_denied("link: frame " + frame.address() + " is not a frame of identity " + std::string(tjp));
    }
    GIBKIT_ASSIGN_OR_RETURN(bool held, durable_.has(frame.address()));
    if (held) continue;  // the frames up to our head, which the peer holds too
    GIBKIT_ASSIGN_OR_RETURN(std::string prev_json, latest_frame_json(tjp));
    const std::string where = "identity " + std::string(tjp) + " frame " + frame.address();
    Result<Claim> claim = claim_named_in(frame);
    if (!claim.ok()) return claim.status().with_context(where);
    Status verified = verifier.verify(prev_json, text, *claim);
    if (!verified.ok()) {
      GIBKIT_RETURN_IF_ERROR(check_duplicity(verifier, tjp, frame, text, *claim));
      return Status(StatusCode::kPermissionDenied,
                    verified.message() + " (it does not descend from the head this node holds, " + *head + ")")
          .with_context(where);
    }
    GIBKIT_RETURN_IF_ERROR(store_own(tjp, {text}, {*claim}, *head, own));
    *head = frame.address();
    ++added;
  }
  return added;
}

Status IdentityRegistry::trust(std::string_view genesis_frame_json) {
  GIBKIT_ASSIGN_OR_RETURN(IbGib genesis, parse_valid_frame(genesis_frame_json));
  GIBKIT_ASSIGN_OR_RETURN(std::string tjp, frame_tjp(genesis));
  if (tjp != genesis.address()) {
    return invalid_argument("only a genesis frame can be trusted; " + genesis.address() +
                            " is a later frame of " + tjp);
  }
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (head) return {};  // already trusted; keep what was accepted since
  Status stored = store(tjp, {genesis.to_json_text()}, tjp, std::string());
  // Another process on a shared store (several gibd on one PostgreSQL
  // schema starting together, docs/scale-out.md) may have trusted it
  // between the check and the write: its head exists now, which is success.
  if (stored.code() == StatusCode::kAborted) {
    GIBKIT_ASSIGN_OR_RETURN(head, latest(tjp));
    if (head) return {};
  }
  return stored;
}

Result<std::string> IdentityRegistry::trust_by_operator(std::string_view genesis_frame_json) {
  GIBKIT_RETURN_IF_ERROR(trust(genesis_frame_json));
  GIBKIT_ASSIGN_OR_RETURN(IbGib genesis, IbGib::parse(genesis_frame_json));
  const std::string tjp = genesis.address();
  WriteBatch batch;
  batch.heads.push_back(HeadUpdate{trusted_by_operator_key(tjp), tjp, std::nullopt});
  GIBKIT_ASSIGN_OR_RETURN(bool marked, untrusted(tjp));
  if (marked) batch.heads.push_back(HeadUpdate{untrusted_key(tjp), std::string(kClearedMark), std::nullopt});
  GIBKIT_RETURN_IF_ERROR(durable_.write(batch));
  return tjp;
}

Status IdentityRegistry::untrust(std::string_view tjp) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this node's registry");
  WriteBatch batch;
  batch.heads.push_back(HeadUpdate{untrusted_key(tjp), std::string(kUntrustedMark), std::nullopt});
  return durable_.write(batch);
}

Result<bool> IdentityRegistry::untrusted(std::string_view tjp) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> mark, durable_.head(untrusted_key(tjp)));
  return mark && *mark == kUntrustedMark;
}

Result<std::vector<std::string>> IdentityRegistry::trusted_by_operator() const {
  std::vector<std::string> tjps;
  GIBKIT_RETURN_IF_ERROR(durable_.for_each_head([&](std::string_view key, std::string_view head) {
    if (key.starts_with(kTrustedByOperatorPrefix) && head != kClearedMark) {
      tjps.emplace_back(key.substr(kTrustedByOperatorPrefix.size()));
    }
    return true;
  }));
  return tjps;
}

Status IdentityRegistry::refuse_if_untrusted(std::string_view tjp) const {
  GIBKIT_ASSIGN_OR_RETURN(bool marked, untrusted(tjp));
  if (!marked) return {};
  return permission_denied("unknown identity: domain " + std::string(tjp) +
                           " was untrusted by this node's operator (gib keystone untrust); gib keystone trust "
                           "accepts it again");
}

Status IdentityRegistry::accept_session(Signer& verifier, const SessionBundle& bundle,
                                        const std::vector<EndorsementStep>& earlier_steps) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> domain_head, latest(bundle.domain_tjp));
  if (!domain_head) {
    return permission_denied("unknown identity: domain " + bundle.domain_tjp + " is not trusted by this node");
  }
  GIBKIT_RETURN_IF_ERROR(refuse_if_untrusted(bundle.domain_tjp));
  GIBKIT_RETURN_IF_ERROR(refuse_if_duplicitous(bundle.domain_tjp));
  for (const EndorsementStep& step : earlier_steps) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(step.frame_json));
    GIBKIT_ASSIGN_OR_RETURN(bool held, durable_.has(frame.address()));
    if (held) continue;  // accepted in an earlier saga
    GIBKIT_RETURN_IF_ERROR(accept(verifier, bundle.domain_tjp, step.frame_json,
                                  Claim{std::string(kVerbEndorse), step.endorsed_address}));
  }
  if (bundle.endorsement.endorsed_address != bundle.session_tjp) {
    return permission_denied("unendorsed identity: the endorsement targets " +
                             bundle.endorsement.endorsed_address + ", not session " + bundle.session_tjp);
  }
  GIBKIT_ASSIGN_OR_RETURN(IbGib genesis, parse_valid_frame(bundle.session_genesis_json));
  if (genesis.address() != bundle.session_tjp || genesis.tjp_address() != genesis.address()) {
    return permission_denied("unendorsed identity: " + genesis.address() +
                             " is not the genesis frame of session " + bundle.session_tjp);
  }
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> session_head, latest(bundle.session_tjp));
  if (session_head) {
    return permission_denied("replay: session " + bundle.session_tjp + " was already accepted");
  }
  GIBKIT_RETURN_IF_ERROR(accept(verifier, bundle.domain_tjp, bundle.endorsement.frame_json,
                                Claim{std::string(kVerbEndorse), bundle.session_tjp}));
  return store(bundle.session_tjp, {genesis.to_json_text()}, bundle.session_tjp, std::string());
}

Status IdentityRegistry::accept(Signer& verifier, std::string_view tjp, std::string_view next_frame_json,
                                const Claim& expected, WriteBatch also) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return permission_denied("unknown identity " + std::string(tjp));
  GIBKIT_RETURN_IF_ERROR(refuse_if_duplicitous(tjp));
  GIBKIT_ASSIGN_OR_RETURN(std::string prev_json, latest_frame_json(tjp));
  GIBKIT_ASSIGN_OR_RETURN(IbGib next, parse_valid_frame(next_frame_json));
  if (next.tjp_address() != std::optional<std::string>(tjp)) {
    return permission_denied("link: frame " + next.address() + " is not a frame of identity " + std::string(tjp));
  }
  Status verified = verifier.verify(prev_json, next_frame_json, expected);
  if (!verified.ok()) {
    GIBKIT_RETURN_IF_ERROR(check_duplicity(verifier, tjp, next, next_frame_json, expected));
    return Status(StatusCode::kPermissionDenied, verified.message())
        .with_context("identity " + std::string(tjp) + " frame " + next.address());
  }
  return store(tjp, {next.to_json_text()}, next.address(), *head, std::move(also));
}

Status IdentityRegistry::check_duplicity(Signer& verifier, std::string_view tjp, const IbGib& next,
                                         std::string_view next_json, const Claim& expected) {
  const std::optional<double> position = next.n();
  if (!position || *position < 1) return {};
  GIBKIT_ASSIGN_OR_RETURN(bool held, durable_.has(next.address()));
  if (held) return {};  // the very frame we hold: a replay, not a fork
  // Walk back from the head to the frames at `position` and `position - 1`.
  GIBKIT_ASSIGN_OR_RETURN(std::string current_json, latest_frame_json(tjp));
  GIBKIT_ASSIGN_OR_RETURN(IbGib current, IbGib::parse(current_json));
  const std::optional<double> head_position = current.n();
  if (!head_position || *position > *head_position || *head_position - *position > kDuplicityWindow) return {};
  std::optional<IbGib> at_position;
  while (true) {
    const std::optional<double> n = current.n();
    if (!n) return {};
    if (*n == *position) at_position = current;
    if (*n == *position - 1) break;
    std::optional<std::string> before = predecessor(current);
    if (!before) return {};
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable_.get(*before));
    if (!text) return data_loss("identity " + std::string(tjp) + ": frame " + *before + " is not stored");
    GIBKIT_ASSIGN_OR_RETURN(current, IbGib::parse(*text));
    current_json = std::move(*text);
  }
  if (!at_position) return {};
  if (!verifier.verify(current_json, next_json, expected).ok()) return {};  // a forgery, not a fork
  IbGib evidence;
  evidence.ib = "identity_duplicity";
  evidence.data = json::Object{{"identity", std::string(tjp)},
                               {"n", *position},
                               {"heldFrame", at_position->address()},
                               {"otherFrame", next.address()}};
  evidence.rel8ns = json::Object{{"evidence", json::Array{at_position->address(), next.address()}}};
  evidence.gib = *compute_gib(evidence);
  WriteBatch batch;
  batch.puts.push_back(StoredRecord{next.address(), std::string(next_json)});
  batch.puts.push_back(StoredRecord{evidence.address(), evidence.to_json_text()});
  batch.heads.push_back(HeadUpdate{duplicity_key(tjp), evidence.address(), std::nullopt});
  GIBKIT_RETURN_IF_ERROR(durable_.write(batch));
  return permission_denied("duplicity: identity " + std::string(tjp) + " signed two different frames at n " +
                           json::number_to_string(*position) + " (" + at_position->address() + " and " +
                           next.address() + "); it is refused until an operator decides (gib keystone duplicity)");
}

Status IdentityRegistry::refuse_if_duplicitous(std::string_view tjp) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> evidence, durable_.head(duplicity_key(tjp)));
  if (!evidence || *evidence == kClearedMark) return {};
  return permission_denied("duplicity: identity " + std::string(tjp) + " is marked duplicitous (evidence " +
                           *evidence + "); refused until an operator decides (gib keystone duplicity)");
}

Result<std::optional<DuplicityEvidence>> IdentityRegistry::duplicity(std::string_view tjp) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> address, durable_.head(duplicity_key(tjp)));
  if (!address || *address == kClearedMark) return std::optional<DuplicityEvidence>();
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable_.get(*address));
  if (!text) return data_loss("duplicity evidence " + *address + " is indexed but not stored");
  GIBKIT_ASSIGN_OR_RETURN(IbGib record, IbGib::parse(*text));
  const json::Object& data = record.data->as_object();
  DuplicityEvidence found;
  found.identity = std::string(tjp);
  GIBKIT_ASSIGN_OR_RETURN(found.position, json::get_number(data, "n"));
  GIBKIT_ASSIGN_OR_RETURN(found.held_frame, json::get_string(data, "heldFrame"));
  GIBKIT_ASSIGN_OR_RETURN(found.other_frame, json::get_string(data, "otherFrame"));
  found.evidence = *address;
  return std::optional<DuplicityEvidence>(std::move(found));
}

Status IdentityRegistry::clear_duplicity(std::string_view tjp) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> address, durable_.head(duplicity_key(tjp)));
  if (!address || *address == kClearedMark) {
    return failed_precondition("identity " + std::string(tjp) + " is not marked duplicitous");
  }
  WriteBatch batch;
  batch.heads.push_back(HeadUpdate{duplicity_key(tjp), std::string(kClearedMark), *address});
  return durable_.write(batch);
}

Result<std::optional<std::string>> IdentityRegistry::latest(std::string_view tjp) const {
  return durable_.head(identity_head_key(tjp));
}

Result<std::optional<std::string>> IdentityRegistry::known_by(std::string_view peer_domain) const {
  return durable_.head(known_by_key(peer_domain));
}

Status IdentityRegistry::remember_known_by(std::string_view peer_domain, std::string_view frame) {
  // Only forward: sagas with one peer may finish out of order, and an older
  // endorsement must not make the next Init resend what the peer holds...
  // nor a newer one be forgotten, which would leave the peer unable to
  // follow (it would miss the frames in between).
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> known, known_by(peer_domain));
  if (known) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> known_text, durable_.get(*known));
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> frame_text, durable_.get(frame));
    if (known_text && frame_text) {
      GIBKIT_ASSIGN_OR_RETURN(IbGib known_frame, IbGib::parse(*known_text));
      GIBKIT_ASSIGN_OR_RETURN(IbGib new_frame, IbGib::parse(*frame_text));
      if (known_frame.n().value_or(0) >= new_frame.n().value_or(0)) return {};
    }
  }
  WriteBatch batch;
  batch.heads.push_back(HeadUpdate{known_by_key(peer_domain), std::string(frame), std::nullopt});
  return durable_.write(batch);
}

Result<std::vector<EndorsementStep>> IdentityRegistry::endorsements_before(std::string_view domain_tjp,
                                                                          std::string_view before,
                                                                          std::string_view peer_holds,
                                                                          std::size_t count) const {
  std::vector<EndorsementStep> newest_first;
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable_.get(before));
  if (!text) return not_found("no identity frame " + std::string(before));
  GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(*text));
  std::optional<std::string> previous = predecessor(frame);
  while (previous && newest_first.size() < count && *previous != peer_holds && *previous != domain_tjp) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> frame_text, durable_.get(*previous));
    if (!frame_text) return data_loss("identity frame " + *previous + " of " + std::string(domain_tjp) + " is not stored");
    GIBKIT_ASSIGN_OR_RETURN(IbGib earlier, IbGib::parse(*frame_text));
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> claim_address, durable_.head(claim_key(*previous)));
    if (claim_address) {
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> claim_text, durable_.get(*claim_address));
      if (!claim_text) return data_loss("identity ledger entry for " + *previous + " is incomplete");
      GIBKIT_ASSIGN_OR_RETURN(IbGib claim, IbGib::parse(*claim_text));
      GIBKIT_ASSIGN_OR_RETURN(std::string verb, json::get_string(claim.data->as_object(), "verb"));
      GIBKIT_ASSIGN_OR_RETURN(std::string target, json::get_string(claim.data->as_object(), "target"));
      if (verb == kVerbEndorse) newest_first.push_back(EndorsementStep{std::move(*frame_text), std::move(target)});
    }
    previous = predecessor(earlier);
  }
  return std::vector<EndorsementStep>(newest_first.rbegin(), newest_first.rend());
}

Result<std::string> IdentityRegistry::latest_frame_json(std::string_view tjp) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this registry");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable_.get(*head));
  if (!text) return data_loss("identity head " + *head + " is indexed but not stored");
  return *text;
}

Status IdentityRegistry::store_own(std::string_view tjp, const std::vector<std::string>& records_json,
                                   const std::vector<Claim>& claims, std::string_view expected_head,
                                   bool ledger, WriteBatch also) {
  WriteBatch batch = std::move(also);
  std::string new_head;
  for (std::size_t i = 0; i < records_json.size(); ++i) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib record, IbGib::parse(records_json[i]));
    new_head = record.address();
    batch.puts.push_back(StoredRecord{new_head, records_json[i]});
    if (!ledger) continue;
    const IbGib ledger_entry = claim_record(new_head, claims.at(i));
    batch.puts.push_back(StoredRecord{ledger_entry.address(), ledger_entry.to_json_text()});
    batch.heads.push_back(HeadUpdate{claim_key(new_head), ledger_entry.address(), std::nullopt});
  }
  batch.heads.push_back(HeadUpdate{identity_head_key(tjp), new_head, std::string(expected_head)});
  return durable_.write(batch);
}

Status IdentityRegistry::store(std::string_view tjp, const std::vector<std::string>& records_json,
                               std::string_view new_head, std::optional<std::string> expected_head,
                               WriteBatch also) {
  WriteBatch batch = std::move(also);
  for (const std::string& json_text : records_json) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib record, IbGib::parse(json_text));
    batch.puts.push_back(StoredRecord{record.address(), json_text});
  }
  batch.heads.push_back(HeadUpdate{identity_head_key(tjp), std::string(new_head), std::move(expected_head)});
  return durable_.write(batch);
}

}  // namespace gibkit::identity
