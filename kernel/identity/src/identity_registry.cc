#include "gibkit/identity/identity_registry.h"

#include <utility>

#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"

namespace gibkit::identity {
namespace {

// Claims of own frames are not readable from frames in a signer-neutral way,
// so the registry keeps a ledger: head-index key "claim <frame address>" ->
// an `identity_claim` stone {frame, verb, target} in the durable space.
std::string claim_key(std::string_view frame_address) { return "claim " + std::string(frame_address); }

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

Result<IbGib> parse_valid_frame(std::string_view frame_json) {
  GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(frame_json));
  GIBKIT_ASSIGN_OR_RETURN(std::string gib, compute_gib(frame));
  if (gib != frame.gib) {
    return permission_denied("gib: identity frame " + frame.address() + " does not match its content");
  }
  return frame;
}

}  // namespace

Result<std::string> IdentityRegistry::create_identity(Signer& signer, const json::Value& options) {
  GIBKIT_ASSIGN_OR_RETURN(IdentityFrames frames, signer.create_identity(options));
  GIBKIT_ASSIGN_OR_RETURN(IbGib latest, IbGib::parse(frames.records_json.back()));
  GIBKIT_ASSIGN_OR_RETURN(std::string tjp, frame_tjp(latest));
  GIBKIT_RETURN_IF_ERROR(store(tjp, frames.records_json, frames.latest_address, std::string()));
  return tjp;
}

Result<SessionBundle> IdentityRegistry::begin_session(Signer& signer, std::string_view domain_tjp) {
  GIBKIT_ASSIGN_OR_RETURN(IdentityFrames session, signer.create_identity(json::Object{{"preset", "session"}}));
  GIBKIT_ASSIGN_OR_RETURN(IbGib genesis, IbGib::parse(session.records_json.back()));
  GIBKIT_ASSIGN_OR_RETURN(std::string session_tjp, frame_tjp(genesis));
  GIBKIT_RETURN_IF_ERROR(store(session_tjp, session.records_json, session.latest_address, std::string()));

  const Claim endorse{std::string(kVerbEndorse), session_tjp};
  GIBKIT_ASSIGN_OR_RETURN(std::string endorsement, sign(signer, domain_tjp, endorse));
  return SessionBundle{std::string(domain_tjp), EndorsementStep{std::move(endorsement), session_tjp},
                       session.records_json.back(), session_tjp};
}

Result<std::string> IdentityRegistry::sign(Signer& signer, std::string_view tjp, const Claim& claim) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this registry");
  GIBKIT_ASSIGN_OR_RETURN(std::string latest_json, latest_frame_json(tjp));
  GIBKIT_ASSIGN_OR_RETURN(IdentityFrames frames, signer.sign(latest_json, claim));
  GIBKIT_RETURN_IF_ERROR(store(tjp, frames.records_json, frames.latest_address, *head));
  const IbGib ledger_entry = claim_record(frames.latest_address, claim);
  WriteBatch ledger;
  ledger.puts.push_back(StoredRecord{ledger_entry.address(), ledger_entry.to_json_text()});
  ledger.heads.push_back(HeadUpdate{claim_key(frames.latest_address), ledger_entry.address(), std::nullopt});
  GIBKIT_RETURN_IF_ERROR(durable_.write(ledger));
  return frames.records_json.back();
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
  return store(tjp, {genesis.to_json_text()}, tjp, std::string());
}

Status IdentityRegistry::accept_session(Signer& verifier, const SessionBundle& bundle,
                                        const std::vector<EndorsementStep>& earlier_steps) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> domain_head, latest(bundle.domain_tjp));
  if (!domain_head) {
    return permission_denied("unknown identity: domain " + bundle.domain_tjp + " is not trusted by this node");
  }
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
                                const Claim& expected) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return permission_denied("unknown identity " + std::string(tjp));
  GIBKIT_ASSIGN_OR_RETURN(std::string prev_json, latest_frame_json(tjp));
  GIBKIT_ASSIGN_OR_RETURN(IbGib next, parse_valid_frame(next_frame_json));
  if (next.tjp_address() != std::optional<std::string>(tjp)) {
    return permission_denied("link: frame " + next.address() + " is not a frame of identity " + std::string(tjp));
  }
  Status verified = verifier.verify(prev_json, next_frame_json, expected);
  if (!verified.ok()) {
    return Status(StatusCode::kPermissionDenied, verified.message())
        .with_context("identity " + std::string(tjp) + " frame " + next.address());
  }
  return store(tjp, {next.to_json_text()}, next.address(), *head);
}

Result<std::optional<std::string>> IdentityRegistry::latest(std::string_view tjp) const {
  return durable_.head(tjp);
}

Result<std::vector<EndorsementStep>> IdentityRegistry::endorsements_before(std::string_view domain_tjp,
                                                                          std::string_view before,
                                                                          std::size_t count) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable_.get(before));
  if (!text) return not_found("no identity frame " + std::string(before));
  GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(*text));
  std::vector<std::string> past = frame.rel8d(kRel8nPast);
  std::vector<EndorsementStep> steps;
  const std::size_t first = past.size() > count ? past.size() - count : 0;
  for (std::size_t i = first; i < past.size(); ++i) {
    if (past[i] == domain_tjp) continue;  // genesis: the peer trusts it already
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> claim_address, durable_.head(claim_key(past[i])));
    if (!claim_address) continue;  // not an endorsement (e.g. made by another tool)
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> claim_text, durable_.get(*claim_address));
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> frame_text, durable_.get(past[i]));
    if (!claim_text || !frame_text) return data_loss("identity ledger entry for " + past[i] + " is incomplete");
    GIBKIT_ASSIGN_OR_RETURN(IbGib claim, IbGib::parse(*claim_text));
    GIBKIT_ASSIGN_OR_RETURN(std::string verb, json::get_string(claim.data->as_object(), "verb"));
    if (verb != kVerbEndorse) continue;
    GIBKIT_ASSIGN_OR_RETURN(std::string target, json::get_string(claim.data->as_object(), "target"));
    steps.push_back(EndorsementStep{std::move(*frame_text), std::move(target)});
  }
  return steps;
}

Result<std::string> IdentityRegistry::latest_frame_json(std::string_view tjp) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this registry");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable_.get(*head));
  if (!text) return data_loss("identity head " + *head + " is indexed but not stored");
  return *text;
}

Status IdentityRegistry::store(std::string_view tjp, const std::vector<std::string>& records_json,
                               std::string_view new_head, std::optional<std::string> expected_head) {
  WriteBatch batch;
  for (const std::string& json_text : records_json) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib record, IbGib::parse(json_text));
    batch.puts.push_back(StoredRecord{record.address(), json_text});
  }
  batch.heads.push_back(HeadUpdate{std::string(tjp), std::string(new_head), std::move(expected_head)});
  return durable_.write(batch);
}

}  // namespace gibkit::identity
