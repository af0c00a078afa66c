#include "keystone/keystone_frame.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "gibkit/gib_hash.h"
#include "gibkit/validate.h"
#include "keystone/wots.h"

namespace gibkit::keystone {

Result<KeystoneFrame> KeystoneFrame::parse(const IbGib& record) {
  if (record.ib != kKeystoneIb) return invalid_argument("not a keystone frame (ib \"" + record.ib + "\")");
  if (!record.data || !record.data->is_object()) return invalid_argument("keystone frame: data must be an object");
  const json::Object& data = record.data->as_object();
  static constexpr std::string_view kKnown[] = {"challengePools", "proofs", "revocationInfo", "frameDetails", "n",
                                                "timestamp",      "timestampMs", "uuid",       "isTjp"};
  for (const auto& [key, value] : data) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return invalid_argument("keystone frame: unknown data key \"" + key + "\"");
    }
  }
  KeystoneFrame frame;
  GIBKIT_ASSIGN_OR_RETURN(const double n, json::get_number(data, "n"));
  if (!(n >= 0 && n <= 9007199254740991.0) || std::floor(n) != n) {
    return invalid_argument("keystone frame: n must be a non-negative integer");
  }
  frame.n = static_cast<std::int64_t>(n);
  GIBKIT_ASSIGN_OR_RETURN(const json::Array* pools, json::get_array(data, "challengePools"));
  std::set<std::string> pool_ids;
  for (const json::Value& entry : *pools) {
    GIBKIT_ASSIGN_OR_RETURN(ChallengePool pool, ChallengePool::from_json(entry));
    if (!pool_ids.insert(pool.id()).second) return invalid_argument("keystone frame: duplicate pool id \"" + pool.id() + "\"");
    frame.pools.push_back(std::move(pool));
  }
  GIBKIT_ASSIGN_OR_RETURN(const json::Array* proofs, json::get_array(data, "proofs"));
  for (const json::Value& proof_json : *proofs) {
    GIBKIT_ASSIGN_OR_RETURN(Proof proof, Proof::from_json(proof_json));
    frame.proofs.push_back(std::move(proof));
  }
  if (const json::Value* info = data.find("revocationInfo")) {
    // Exactly {reason, proof}: the positional binding covers the reason, so
    // no unbound member may ride along.
    const json::Value* reason = info->is_object() ? info->find("reason") : nullptr;
    const json::Value* proof = info->is_object() ? info->find("proof") : nullptr;
    if (reason == nullptr || !reason->is_string() || proof == nullptr || info->as_object().size() != 2) {
      return invalid_argument("keystone frame: revocationInfo must be {reason: string, proof}");
    }
    frame.revocation_reason = reason->as_string();
    frame.revocation_proof = *proof;
  }
  frame.address = record.address();
  return frame;
}

Result<KeystoneScheme> keystone_scheme(const IbGib& record) {
  const json::Value* scheme = record.data ? record.data->find("scheme") : nullptr;
  if (scheme == nullptr) return KeystoneScheme::kPools;
  if (scheme->is_string() && scheme->as_string() == wots::kScheme) return KeystoneScheme::kWots;
  return invalid_argument("keystone frame: unknown scheme " + json::stringify(*scheme));
}

const json::Value& pool_json(const IbGib& record, std::size_t i) {
  return record.data->find("challengePools")->as_array()[i];
}

const json::Value& first_proof_json(const IbGib& record) { return record.data->find("proofs")->as_array().front(); }

const ChallengePool* pool_for_verb(const std::vector<ChallengePool>& pools, std::string_view verb) {
  for (const ChallengePool& pool : pools) {
    if (pool.config().restricts_verbs() && pool.config().allows(verb)) return &pool;
  }
  for (const ChallengePool& pool : pools) {
    if (!pool.config().restricts_verbs()) return &pool;
  }
  return nullptr;
}

Result<IbGib> with_gib(IbGib frame) {
  GIBKIT_ASSIGN_OR_RETURN(frame.gib, compute_gib(frame));
  return frame;
}

Result<IbGib> keystone_genesis(json::Object data) {
  IbGib frame;
  frame.ib = std::string(kKeystoneIb);
  frame.data = json::Value(std::move(data));
  frame.rel8ns = json::Object{{std::string(kRel8nAncestor), json::Array{json::Value(kKeystoneAncestor)}}};
  return with_gib(std::move(frame));
}

Status check_frame_to_evolve(const IbGib& prev) {
  if (const Status valid = validate_intrinsically(prev); !valid.ok()) {
    return invalid_argument("keystone: the latest frame's gib does not match its content (" + valid.message() + ")");
  }
  return {};
}

}  // namespace gibkit::keystone
