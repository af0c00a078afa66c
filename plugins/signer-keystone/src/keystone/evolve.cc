#include "keystone/evolve.h"

#include <algorithm>
#include <set>

#include <botan/hex.h>

#include "gibkit/gib_hash.h"
#include "keystone/challenge_pool.h"
#include "keystone/keystone_frame.h"
#include "keystone/requirements.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

using signer_support::Environment;
using signer_support::Secret;

constexpr std::size_t kChallengeIdBytes = 8;

// Fresh challenges for one pool: random 64-bit ids never seen in this pool,
// hashes derived from the pool secret.
class GeneratingSource final : public ChallengeSource {
 public:
  GeneratingSource(const PoolConfig& config, std::string pool_secret, Botan::RandomNumberGenerator& rng,
                   std::set<std::string> taken)
      : config_(config), pool_secret_(std::move(pool_secret)), rng_(rng), taken_(std::move(taken)) {}
  ~GeneratingSource() override { std::fill(pool_secret_.begin(), pool_secret_.end(), '\0'); }

  Result<Challenge> next() override {
    std::string id;
    do {
      std::uint8_t bytes[kChallengeIdBytes];
      rng_.randomize(bytes, sizeof bytes);
      id = Botan::hex_encode(bytes, sizeof bytes, false);
    } while (!taken_.insert(id).second);
    const std::string solution = derive_solution(config_.algo, config_.rounds, pool_secret_, id);
    return Challenge{id, derive_challenge_hash(config_.algo, config_.rounds, solution, id)};
  }

 private:
  const PoolConfig& config_;
  std::string pool_secret_;
  Botan::RandomNumberGenerator& rng_;
  std::set<std::string> taken_;
};

std::string pool_secret(const PoolConfig& config, const Secret& master) {
  return derive_pool_secret(config.algo, config.rounds, Botan::hex_encode(master, false), config.salt);
}

// Uniform in [0, bound) by rejection, so random picks carry no modulo bias.
std::size_t uniform_below(Botan::RandomNumberGenerator& rng, std::size_t bound) {
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  std::uint64_t x = 0;
  do {
    rng.randomize(reinterpret_cast<std::uint8_t*>(&x), sizeof x);
  } while (x >= limit);
  return static_cast<std::size_t>(x % bound);
}

void stamp_time(json::Object& data, Environment& env) {
  const std::int64_t now = env.now_ms();
  data.set("timestamp", signer_support::js_utc_string(now));
  data.set("timestampMs", signer_support::js_millis_part(now));
}

json::Value pools_to_json(const std::vector<ChallengePool>& pools) {
  json::Array list;
  for (const ChallengePool& pool : pools) list.push_back(pool.to_json());
  return list;
}

Result<IbGib> with_gib(IbGib frame) {
  GIBKIT_ASSIGN_OR_RETURN(frame.gib, compute_gib(frame));
  return frame;
}

}  // namespace

Result<IbGib> create_genesis(const std::vector<PoolConfig>& configs, const Secret& master, Environment& env) {
  if (configs.empty()) return invalid_argument("keystone: at least one challenge pool is required");
  std::set<std::string> ids;
  std::vector<ChallengePool> pools;
  for (const PoolConfig& config : configs) {
    GIBKIT_RETURN_IF_ERROR(config.validate());
    if (!ids.insert(config.salt).second) return invalid_argument("keystone: duplicate pool salt \"" + config.salt + "\"");
    ChallengePool pool(config);
    GeneratingSource source(pool.config(), pool_secret(config, master), *env.rng, {});
    GIBKIT_RETURN_IF_ERROR(pool.fill(source));
    pools.push_back(std::move(pool));
  }
  json::Object data{{"challengePools", pools_to_json(pools)}, {"proofs", json::Array{}}, {"n", 0}};
  stamp_time(data, env);
  data.set("uuid", signer_support::make_tjp_uuid(*env.rng));
  data.set("isTjp", true);
  IbGib frame;
  frame.ib = std::string(kKeystoneIb);
  frame.data = json::Value(std::move(data));
  frame.rel8ns = json::Object{{std::string(kRel8nAncestor), json::Array{json::Value(kKeystoneAncestor)}}};
  return with_gib(std::move(frame));
}

Result<IbGib> evolve(const IbGib& prev, const Claim& claim, const Secret& master, Environment& env,
                     const std::optional<std::string>& revocation_reason) {
  GIBKIT_ASSIGN_OR_RETURN(const std::string prev_gib, compute_gib(prev));
  if (prev_gib != prev.gib) return invalid_argument("keystone: the latest frame's gib does not match its content");
  GIBKIT_ASSIGN_OR_RETURN(KeystoneFrame frame, KeystoneFrame::parse(prev));
  if (frame.revoked()) return failed_precondition("keystone: identity is revoked; it signs nothing");
  if (revocation_reason && (claim.verb != kRevokeVerb || claim.target != frame.address)) {
    return internal_error("keystone: a revocation must claim {revoke, latest frame}");
  }
  if (!revocation_reason && claim.verb == kRevokeVerb) {
    return permission_denied("keystone: use revoke() to sign the revoke verb");
  }
  const ChallengePool* chosen = pool_for_verb(frame.pools, claim.verb);
  if (chosen == nullptr) return permission_denied("keystone: no challenge pool allows verb \"" + claim.verb + "\"");

  GIBKIT_ASSIGN_OR_RETURN(Requirements req, select_requirements(*chosen, {}, claim.target));
  const auto randoms = static_cast<std::size_t>(chosen->config().behavior.select_randomly);
  if (req.available.size() < randoms) {
    return resource_exhausted("keystone: pool \"" + chosen->id() + "\": entropy exhaustion: too few challenges for random picks");
  }
  std::vector<std::string> revealed = req.mandatory;
  for (std::size_t i = 0; i < randoms; ++i) {
    const std::size_t j = i + uniform_below(*env.rng, req.available.size() - i);
    std::swap(req.available[i], req.available[j]);
    revealed.push_back(req.available[i]);
  }

  const PoolConfig& config = chosen->config();
  std::string secret = pool_secret(config, master);
  Proof proof;
  proof.claim = claim;
  for (const std::string& id : revealed) {
    proof.solutions.push_back({chosen->id(), id, derive_solution(config.algo, config.rounds, secret, id)});
  }

  // Consumed ids in pool order, so that the verifier replays the same order.
  std::vector<std::string> consumed;
  const std::set<std::string> revealed_set(revealed.begin(), revealed.end());
  const std::vector<std::string> all_ids = chosen->challenge_ids();
  for (const std::string& id : all_ids) {
    if (revealed_set.contains(id)) consumed.push_back(id);
  }
  std::vector<ChallengePool> next_pools = frame.pools;
  ChallengePool& next_pool = *std::find_if(next_pools.begin(), next_pools.end(),
                                           [&](const ChallengePool& p) { return p.id() == chosen->id(); });
  GeneratingSource source(next_pool.config(), std::move(secret), *env.rng,
                          std::set<std::string>(all_ids.begin(), all_ids.end()));
  GIBKIT_RETURN_IF_ERROR(next_pool.consume(consumed, source));

  // mut8 semantics: start from the previous data, drop isTjp, patch.
  json::Object data = frame.record.data->as_object();
  data.erase("isTjp");
  data.erase("frameDetails");
  data.set("challengePools", pools_to_json(next_pools));
  data.set("proofs", json::Array{proof.to_json()});
  data.set("n", static_cast<std::int64_t>(frame.n + 1));
  stamp_time(data, env);
  if (revocation_reason) {
    data.set("revocationInfo", json::Object{{"reason", *revocation_reason}, {"proof", proof.to_json()}});
  }

  IbGib next;
  next.ib = std::string(kKeystoneIb);
  next.data = json::Value(std::move(data));
  GIBKIT_ASSIGN_OR_RETURN(next.rel8ns, signer_support::next_rel8ns(prev));
  return with_gib(std::move(next));
}

}  // namespace gibkit::keystone
