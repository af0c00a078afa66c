#include "keystone/wots_identity.h"

#include <set>

#include "gibkit/gib_hash.h"
#include "gibkit/validate.h"
#include "keystone/keystone_frame.h"
#include "keystone/wots.h"
#include "keystone/wots_frame.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

using signer_support::denied;
using signer_support::Environment;
using signer_support::Secret;

json::Array verbs_json(const std::vector<std::string>& verbs) {
  json::Array list;
  for (const std::string& verb : verbs) list.emplace_back(verb);
  return list;
}

// C_n for the identity whose timeline uuid is `uuid`.
wots::Hash key_commitment(const Secret& master, std::string_view uuid, std::uint64_t n) {
  const wots::KeyAddress key = wots_key(uuid, n);
  const wots::SecretKey secret(master, n);
  return wots::commitment(key, wots::public_key(key, secret));
}

}  // namespace

Result<IbGib> create_wots_genesis(const std::vector<std::string>& allowed_verbs, const Secret& master,
                                  Environment& env) {
  if (allowed_verbs.empty()) return invalid_argument("keystone: a wots identity needs at least one allowed verb");
  std::set<std::string> seen;
  for (const std::string& verb : allowed_verbs) {
    if (verb.empty() || !seen.insert(verb).second) return invalid_argument("keystone: allowed verbs must be distinct and non-empty");
  }
  const std::int64_t now = env.now_ms();
  const std::string uuid = signer_support::make_tjp_uuid(*env.rng);
  json::Object data{{"scheme", std::string(wots::kScheme)},
                    {"allowedVerbs", verbs_json(allowed_verbs)},
                    {"next", wots::to_hex(key_commitment(master, uuid, 1))},
                    {"proofs", json::Array{}},
                    {"n", 0},
                    {"timestamp", signer_support::js_utc_string(now)},
                    {"timestampMs", signer_support::js_millis_part(now)},
                    {"uuid", uuid},
                    {"isTjp", true}};
  return keystone_genesis(std::move(data));
}

Result<IbGib> evolve_wots(const IbGib& prev, const Claim& claim, const Secret& master, Environment& env,
                          const std::optional<std::string>& revocation_reason) {
  GIBKIT_RETURN_IF_ERROR(check_frame_to_evolve(prev));
  GIBKIT_ASSIGN_OR_RETURN(const WotsFrame frame, WotsFrame::parse(prev));
  if (frame.revoked()) return failed_precondition("keystone: identity is revoked; it signs nothing");
  if (!frame.next) return invalid_argument("keystone: the latest frame publishes no next key");
  if (revocation_reason && (claim.verb != kRevokeVerb || claim.target != frame.address)) {
    return internal_error("keystone: a revocation must claim {revoke, latest frame}");
  }
  if (!revocation_reason && claim.verb == kRevokeVerb) {
    return permission_denied("keystone: use revoke() to sign the revoke verb");
  }
  if (!frame.allows(claim.verb)) {
    return permission_denied("keystone: this identity does not allow verb \"" + claim.verb + "\"");
  }
  const auto n = static_cast<std::uint64_t>(frame.n) + 1;
  const wots::KeyAddress key = wots_key(frame.uuid, n);

  std::string next_hex;
  if (!revocation_reason) next_hex = wots::to_hex(key_commitment(master, frame.uuid, n + 1));
  const std::int64_t now = env.now_ms();
  const std::string timestamp = signer_support::js_utc_string(now);
  const int timestamp_ms = signer_support::js_millis_part(now);
  const wots::Hash digest = wots_binding_digest({.n = n,
                                                 .prev_address = frame.address,
                                                 .verb = claim.verb,
                                                 .target = claim.target,
                                                 .revocation_reason = revocation_reason ? &*revocation_reason : nullptr,
                                                 .next_hex = next_hex,
                                                 .timestamp = timestamp,
                                                 .timestamp_ms = timestamp_ms});
  // Signing walks each chain to its end too, which checks K_n against the
  // C_n that prev published: a secret that does not derive it signs nothing.
  wots::Chains public_key;
  const wots::Chains signature = wots::sign(key, wots::SecretKey(master, n), digest, &public_key);
  if (wots::commitment(key, public_key) != *frame.next) {
    return failed_precondition("keystone: the master secret does not derive the one-time key the latest frame "
                               "commits to; refusing to sign");
  }

  json::Array signature_json;
  for (const wots::Hash& element : signature) signature_json.emplace_back(wots::to_hex(element));
  json::Object proof{{"claim", json::Object{{"verb", claim.verb}, {"target", claim.target}}},
                     {"signature", std::move(signature_json)}};
  json::Object data{{"scheme", std::string(wots::kScheme)}, {"allowedVerbs", verbs_json(frame.allowed_verbs)}};
  if (!revocation_reason) data.set("next", next_hex);
  data.set("proofs", json::Array{json::Value(std::move(proof))});
  if (revocation_reason) data.set("revocationInfo", json::Object{{"reason", *revocation_reason}});
  data.set("n", static_cast<std::int64_t>(n));
  data.set("timestamp", timestamp);
  data.set("timestampMs", timestamp_ms);
  data.set("uuid", frame.uuid);

  IbGib next;
  next.ib = std::string(kKeystoneIb);
  next.data = json::Value(std::move(data));
  GIBKIT_ASSIGN_OR_RETURN(next.rel8ns, signer_support::next_rel8ns(prev));
  return with_gib(std::move(next));
}

Status verify_wots_evolution(const IbGib& prev_record, const IbGib& next_record, const Claim& expected) {
  Result<WotsFrame> prev_frame = WotsFrame::parse(prev_record);
  if (!prev_frame.ok()) return prev_frame.status().with_context("keystone verify: prev");
  GIBKIT_RETURN_IF_ERROR(signer_support::check_gib(prev_record, "prev"));
  GIBKIT_RETURN_IF_ERROR(signer_support::check_gib(next_record, "next"));
  const WotsFrame& prev = *prev_frame;
  if (prev.revoked()) return denied("revoked", "prev frame is revoked; it signs nothing");
  if (!prev.next) return invalid_argument("keystone verify: prev: next is missing");

  if (next_record.ib != kKeystoneIb) return denied("link", "next frame is not a keystone");
  const json::Object* next_data =
      next_record.data && next_record.data->is_object() ? &next_record.data->as_object() : nullptr;
  if (next_data != nullptr) {
    Result<double> n = json::get_number(*next_data, "n");
    if (n.ok() && *n != static_cast<double>(prev.n + 1)) {
      return denied("counter", "next.n is " + json::number_to_string(*n) + ", expected " + std::to_string(prev.n + 1));
    }
  }
  // The scheme is fixed at genesis, like the uuid: a frame of another scheme
  // does not continue this timeline.
  const json::Value* scheme = next_data != nullptr ? next_data->find("scheme") : nullptr;
  if (scheme == nullptr || !scheme->is_string() || scheme->as_string() != wots::kScheme) {
    return denied("link", "next frame is not of keystone scheme " + std::string(wots::kScheme) + " like prev");
  }
  Result<WotsFrame> next_frame = WotsFrame::parse(next_record);
  if (!next_frame.ok()) {
    const std::string message = next_frame.status().message();
    return denied(message.find("revocationInfo") != std::string::npos ? "revoked" : "policy", message);
  }
  const WotsFrame& next = *next_frame;
  if (next.n != prev.n + 1) return denied("counter", "next.n must be prev.n + 1");
  GIBKIT_RETURN_IF_ERROR(signer_support::check_timeline_links(prev_record, next_record));
  if (next.allowed_verbs != prev.allowed_verbs) return denied("link", "next.allowedVerbs differs from the timeline's");

  const Claim& claim = *next.claim;  // parse: every frame after a genesis claims
  if (claim.target != expected.target) return denied("target", "claim target is not the expected one");
  if (claim.verb != expected.verb) return denied("verb", "claim verb is not the expected one");
  if (!prev.allows(claim.verb)) return denied("verb", "this identity does not allow verb \"" + claim.verb + "\"");

  const bool is_revoke = claim.verb == kRevokeVerb;
  if (is_revoke != next.revoked()) return denied("revoked", "the revoke verb and revocationInfo must come together");
  if (is_revoke && claim.target != prev.address) return denied("target", "a revocation must target the revoked frame");
  // A revocation ends the timeline: it commits to no next key; every other
  // frame does.
  if (next.revoked() && next.next) return denied("revoked", "a revocation publishes no next key");
  if (!next.revoked() && !next.next) return denied("policy", "next is missing");

  const std::string next_hex = next.next ? wots::to_hex(*next.next) : std::string();
  const auto n = static_cast<std::uint64_t>(next.n);
  const wots::Hash digest = wots_binding_digest({.n = n,
                                                 .prev_address = prev.address,
                                                 .verb = claim.verb,
                                                 .target = claim.target,
                                                 .revocation_reason = next.revocation_reason ? &*next.revocation_reason : nullptr,
                                                 .next_hex = next_hex,
                                                 .timestamp = next.timestamp,
                                                 .timestamp_ms = next.timestamp_ms});
  if (wots::commitment_from_signature(wots_key(prev.uuid, n), next.signature, digest) != *prev.next) {
    return denied("crypto", "the one-time signature does not match the key prev commits to");
  }
  return {};
}

}  // namespace gibkit::keystone
