#include "keystone/evolve.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include <botan/hex.h>

#include "gibkit/gib_hash.h"
#include "gibkit/validate.h"
#include "keystone/challenge_pool.h"
#include "keystone/keystone_frame.h"
#include "keystone/requirements.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

using signer_support::Environment;
using signer_support::Secret;

constexpr std::size_t kChallengeIdBytes = 8;

// `count` fresh challenges for `pool`: random 64-bit ids that the pool does
// not hold and that do not repeat in the batch, hashes derived from the pool
// secret. The random bytes come in one request: a request to an
// AutoSeeded_RNG (HMAC_DRBG) costs several HMACs whatever its length, which
// made per-id requests the bulk of a turn.
std::vector<Challenge> fresh_challenges(const ChallengePool& pool, const std::string& pool_secret,
                                        Botan::RandomNumberGenerator& rng, std::size_t count) {
  const PoolConfig& config = pool.config();
  std::vector<std::uint8_t> bytes(count * kChallengeIdBytes);
  rng.randomize(bytes.data(), bytes.size());
  std::unordered_set<std::string> batch;
  std::vector<Challenge> fresh;
  fresh.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string id = Botan::hex_encode(&bytes[i * kChallengeIdBytes], kChallengeIdBytes, false);
    while (pool.contains(id) || !batch.insert(id).second) {
      std::uint8_t again[kChallengeIdBytes];
      rng.randomize(again, sizeof again);
      id = Botan::hex_encode(again, sizeof again, false);
    }
    std::string solution = derive_solution(config.algo, config.rounds, pool_secret, id);
    std::string hash = derive_challenge_hash(config.algo, config.rounds, solution, id);
    std::fill(solution.begin(), solution.end(), '\0');
    fresh.push_back({std::move(id), std::move(hash)});
  }
  return fresh;
}

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

// Zeroes a derived secret when it goes out of scope.
class ScopedSecret {
 public:
  explicit ScopedSecret(std::string value) : value_(std::move(value)) {}
  ScopedSecret(const ScopedSecret&) = delete;
  ScopedSecret& operator=(const ScopedSecret&) = delete;
  ~ScopedSecret() { std::fill(value_.begin(), value_.end(), '\0'); }
  [[nodiscard]] const std::string& get() const noexcept { return value_; }

 private:
  std::string value_;
};

// Replenishes `pool` from the batch drawn for it; the batch is sized by the
// pool's rule, so anything left over is a bug here.
Status replenish(ChallengePool& pool, const std::vector<std::string>& consumed, const std::vector<Challenge>& fresh) {
  ListSource source(fresh);
  GIBKIT_RETURN_IF_ERROR(pool.consume(consumed, source));
  if (!source.drained()) return internal_error("keystone: fresh batch does not match the replenish rule");
  return {};
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
    const ScopedSecret secret(pool_secret(config, master));
    const std::vector<Challenge> fresh = fresh_challenges(pool, secret.get(), *env.rng, pool.full_count());
    ListSource source(fresh);
    GIBKIT_RETURN_IF_ERROR(pool.fill(source));
    pools.push_back(std::move(pool));
  }
  json::Object data{{"challengePools", pools_to_json(pools)}, {"proofs", json::Array{}}, {"n", 0}};
  stamp_time(data, env);
  data.set("uuid", signer_support::make_tjp_uuid(*env.rng));
  data.set("isTjp", true);
  return keystone_genesis(std::move(data));
}

Result<IbGib> evolve(const IbGib& prev, const Claim& claim, const Secret& master, Environment& env,
                     const std::optional<std::string>& revocation_reason) {
  // The pools evolved from must be exactly the ones the address names.
  GIBKIT_RETURN_IF_ERROR(check_frame_to_evolve(prev));
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
  const PoolConfig& config = chosen->config();
  const auto randoms = static_cast<std::size_t>(config.behavior.select_randomly);
  const ScopedSecret secret(pool_secret(config, master));

  // Positional binding covers the fresh challenges, so they are drawn before
  // the selection; their number does not depend on it (N slots + FIFO +
  // random picks). Bucket mode binds the target only and draws afterwards.
  const bool positional = config.behavior.binding_mode == BindingMode::kPositional;
  BindingInput binding{.prev_address = frame.address,
                       .verb = claim.verb,
                       .target = claim.target,
                       .revocation_reason = revocation_reason ? &*revocation_reason : nullptr,
                       .pools_commitment = {}};
  const std::size_t positional_reveals = static_cast<std::size_t>(config.behavior.target_binding_chars) +
                                         static_cast<std::size_t>(config.behavior.select_sequentially) + randoms;
  std::vector<Challenge> fresh;
  std::string commitment;
  if (positional) {
    fresh = fresh_challenges(*chosen, secret.get(), *env.rng, chosen->fresh_count(positional_reveals));
    const std::vector<Challenge> none;
    std::vector<PoolFresh> added;
    for (const ChallengePool& pool : frame.pools) added.push_back({pool.id(), &pool == chosen ? &fresh : &none});
    commitment = pools_commitment(added);
    binding.pools_commitment = commitment;
  }

  GIBKIT_ASSIGN_OR_RETURN(Requirements req, select_requirements(*chosen, {}, binding_chars(config, binding)));
  if (req.available.size() < randoms) {
    return resource_exhausted("keystone: pool \"" + chosen->id() + "\": entropy exhaustion: too few challenges for random picks");
  }
  std::vector<std::string> revealed = req.mandatory;
  for (std::size_t i = 0; i < randoms; ++i) {
    const std::size_t j = i + uniform_below(*env.rng, req.available.size() - i);
    std::swap(req.available[i], req.available[j]);
    revealed.push_back(req.available[i]);
  }
  if (positional && revealed.size() != positional_reveals) {
    return internal_error("keystone: positional selection revealed an unexpected number of challenges");
  }
  if (!positional) fresh = fresh_challenges(*chosen, secret.get(), *env.rng, chosen->fresh_count(revealed.size()));

  Proof proof;
  proof.claim = claim;
  for (const std::string& id : revealed) {
    proof.solutions.push_back({chosen->id(), id, derive_solution(config.algo, config.rounds, secret.get(), id)});
  }

  // Consumed ids in pool order, so that the verifier replays the same order.
  std::vector<std::string> consumed;
  const std::unordered_set<std::string_view> revealed_set(revealed.begin(), revealed.end());
  for (const Challenge& c : chosen->challenges()) {
    if (revealed_set.contains(c.id)) consumed.push_back(c.id);
  }
  const auto chosen_index = static_cast<std::size_t>(chosen - frame.pools.data());
  std::vector<ChallengePool> next_pools = std::move(frame.pools);
  GIBKIT_RETURN_IF_ERROR(replenish(next_pools[chosen_index], consumed, fresh));

  // mut8 semantics: the previous data, without isTjp and frameDetails,
  // patched. Copied member by member so that the old pools, replaced anyway,
  // are never copied.
  json::Object data;
  for (const auto& [key, value] : prev.data->as_object()) {
    if (key == "isTjp" || key == "frameDetails") continue;
    data.set(key, key == "challengePools" || key == "proofs" ? json::Value() : value);
  }
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
