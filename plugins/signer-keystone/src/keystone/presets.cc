#include "keystone/presets.h"

#include "signer_support/lifetime_option.h"

namespace gibkit::keystone {

namespace {

// Revealing 32 positional slots binds 128 bits of SHA-256(target).
constexpr int kPositionalBindingChars = 32;

PoolConfig revoke_pool(int size, int picks) {
  PoolConfig c;
  c.salt = "revoke";
  c.allowed_verbs = {"revoke"};
  c.rounds = 10;
  c.behavior = {.size = size,
                .replenish = Replenish::kScorchedEarth,
                .select_sequentially = picks,
                .select_randomly = picks,
                .target_binding_chars = 0,
                .binding_mode = BindingMode::kBucket};
  return c;
}

PoolConfig bound_pool(std::string verb, int size, Replenish replenish, int fifo, int randoms) {
  PoolConfig c;
  c.salt = verb;
  c.allowed_verbs = {std::move(verb)};
  c.behavior = {.size = size,
                .replenish = replenish,
                .select_sequentially = fifo,
                .select_randomly = randoms,
                .target_binding_chars = kPositionalBindingChars,
                .binding_mode = BindingMode::kPositional};
  return c;
}

}  // namespace

std::vector<PoolConfig> domain_pools_preset() {
  return {bound_pool("endorse", 16, Replenish::kTopUp, 2, 2), revoke_pool(64, 8)};
}

std::vector<PoolConfig> session_pools_preset() {
  return {bound_pool("sync", 8, Replenish::kReplaceAll, 0, 2), revoke_pool(16, 4)};
}

std::vector<std::string> domain_verbs() { return {"endorse", "revoke"}; }
std::vector<std::string> session_verbs() { return {"sync", "revoke"}; }

namespace {

// identity_options() without the "lifetime" key.
Result<IdentityOptions> scheme_options(const json::Value& options) {
  const IdentityOptions session{.scheme = KeystoneScheme::kWots, .pools = {}, .allowed_verbs = session_verbs()};
  if (options.is_null()) return session;
  if (!options.is_object()) return invalid_argument("keystone identity options must be an object");
  const json::Object& o = options.as_object();
  if (o.empty()) return session;
  if (o.size() != 1) return invalid_argument("keystone identity options: give either \"preset\" or \"pools\"");
  if (o.contains("preset")) {
    GIBKIT_ASSIGN_OR_RETURN(const std::string preset, json::get_string(o, "preset"));
    if (preset == "session") return session;
    if (preset == "domain") return IdentityOptions{.scheme = KeystoneScheme::kWots, .pools = {}, .allowed_verbs = domain_verbs()};
    if (preset == "domain-pools") return IdentityOptions{.scheme = KeystoneScheme::kPools, .pools = domain_pools_preset(), .allowed_verbs = {}};
    if (preset == "session-pools") return IdentityOptions{.scheme = KeystoneScheme::kPools, .pools = session_pools_preset(), .allowed_verbs = {}};
    return invalid_argument("keystone identity options: unknown preset \"" + preset +
                            "\" (domain, session, domain-pools or session-pools)");
  }
  Result<const json::Array*> pools = json::get_array(o, "pools");
  if (!pools.ok()) return invalid_argument("keystone identity options: expected \"preset\" or \"pools\"");
  IdentityOptions made{.scheme = KeystoneScheme::kPools, .pools = {}, .allowed_verbs = {}};
  for (const json::Value& pool : **pools) {
    Result<PoolConfig> config = PoolConfig::from_json(pool);
    if (!config.ok()) return config.status().with_context("keystone identity options");
    made.pools.push_back(std::move(*config));
  }
  if (made.pools.empty()) return invalid_argument("keystone identity options: \"pools\" is empty");
  return made;
}

}  // namespace

Result<IdentityOptions> identity_options(const json::Value& given) {
  // "lifetime" first (signer_support/lifetime_option.h), then the rest.
  GIBKIT_ASSIGN_OR_RETURN(auto split, signer_support::split_lifetime(given));
  GIBKIT_ASSIGN_OR_RETURN(IdentityOptions made, scheme_options(split.first));
  made.lifetime = split.second;
  return made;
}

}  // namespace gibkit::keystone
