#include "keystone/pool_config.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace gibkit::keystone {

namespace {

Result<int> get_int(const json::Object& object, std::string_view key, int min, int max) {
  GIBKIT_ASSIGN_OR_RETURN(const double value, json::get_number(object, key));
  if (!(value >= min && value <= max) || std::floor(value) != value) {
    return invalid_argument("pool config: \"" + std::string(key) + "\" must be an integer in [" +
                            std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<int>(value);
}

Status reject_unknown_keys(const json::Object& object, std::initializer_list<std::string_view> known,
                           std::string_view where) {
  for (const auto& [key, value] : object) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return invalid_argument(std::string(where) + ": unknown key \"" + key + "\"");
    }
  }
  return {};
}

Result<Replenish> parse_replenish(std::string_view name) {
  for (Replenish r : {Replenish::kTopUp, Replenish::kReplaceAll, Replenish::kConsume, Replenish::kScorchedEarth}) {
    if (replenish_name(r) == name) return r;
  }
  return invalid_argument("pool config: unknown replenish \"" + std::string(name) +
                          "\" (expected top-up, replace-all, consume or scorched-earth)");
}

Result<BindingMode> parse_binding_mode(std::string_view name) {
  if (name == "bucket") return BindingMode::kBucket;
  if (name == "positional") return BindingMode::kPositional;
  return invalid_argument("pool config: unknown bindingMode \"" + std::string(name) +
                          "\" (expected bucket or positional)");
}

}  // namespace

std::string_view replenish_name(Replenish r) noexcept {
  switch (r) {
    case Replenish::kTopUp: return "top-up";
    case Replenish::kReplaceAll: return "replace-all";
    case Replenish::kConsume: return "consume";
    case Replenish::kScorchedEarth: return "scorched-earth";
  }
  return "?";
}

std::string_view binding_mode_name(BindingMode m) noexcept {
  return m == BindingMode::kBucket ? "bucket" : "positional";
}

bool PoolConfig::allows(std::string_view verb) const {
  return !restricts_verbs() || std::find(allowed_verbs.begin(), allowed_verbs.end(), verb) != allowed_verbs.end();
}

json::Value PoolConfig::to_json() const {
  json::Array verbs;
  for (const std::string& v : allowed_verbs) verbs.emplace_back(v);
  json::Object b{{"size", behavior.size},
                 {"replenish", std::string(replenish_name(behavior.replenish))},
                 {"selectSequentially", behavior.select_sequentially},
                 {"selectRandomly", behavior.select_randomly},
                 {"targetBindingChars", behavior.target_binding_chars}};
  // Left out in bucket mode so that reference-shaped pools stay byte-identical.
  if (behavior.binding_mode != BindingMode::kBucket) {
    b.set("bindingMode", std::string(binding_mode_name(behavior.binding_mode)));
  }
  return json::Object{{"type", std::string(kHashRevealType)},
                      {"salt", salt},
                      {"allowedVerbs", std::move(verbs)},
                      {"algo", std::string(hash_algo_name(algo))},
                      {"rounds", rounds},
                      {"behavior", std::move(b)}};
}

Result<PoolConfig> PoolConfig::from_json(const json::Value& value) {
  if (!value.is_object()) return invalid_argument("pool config must be an object");
  const json::Object& o = value.as_object();
  GIBKIT_RETURN_IF_ERROR(
      reject_unknown_keys(o, {"type", "salt", "allowedVerbs", "algo", "rounds", "behavior"}, "pool config"));
  PoolConfig c;
  GIBKIT_ASSIGN_OR_RETURN(const std::string type, json::get_string(o, "type"));
  if (type != kHashRevealType) return invalid_argument("pool config: unsupported type \"" + type + "\"");
  GIBKIT_ASSIGN_OR_RETURN(c.salt, json::get_string(o, "salt"));
  GIBKIT_ASSIGN_OR_RETURN(const json::Array* verbs, json::get_array(o, "allowedVerbs"));
  for (const json::Value& v : *verbs) {
    if (!v.is_string()) return invalid_argument("pool config: allowedVerbs must hold strings");
    c.allowed_verbs.push_back(v.as_string());
  }
  GIBKIT_ASSIGN_OR_RETURN(const std::string algo, json::get_string(o, "algo"));
  GIBKIT_ASSIGN_OR_RETURN(c.algo, parse_hash_algo(algo));
  GIBKIT_ASSIGN_OR_RETURN(c.rounds, get_int(o, "rounds", 1, kMaxRounds));
  GIBKIT_ASSIGN_OR_RETURN(const json::Object* b, json::get_object(o, "behavior"));
  GIBKIT_RETURN_IF_ERROR(reject_unknown_keys(*b,
                                             {"size", "replenish", "selectSequentially", "selectRandomly",
                                              "targetBindingChars", "bindingMode"},
                                             "pool behavior"));
  GIBKIT_ASSIGN_OR_RETURN(c.behavior.size, get_int(*b, "size", 0, kMaxPoolSize));
  GIBKIT_ASSIGN_OR_RETURN(const std::string replenish, json::get_string(*b, "replenish"));
  GIBKIT_ASSIGN_OR_RETURN(c.behavior.replenish, parse_replenish(replenish));
  GIBKIT_ASSIGN_OR_RETURN(c.behavior.select_sequentially, get_int(*b, "selectSequentially", 0, kMaxPoolSize));
  GIBKIT_ASSIGN_OR_RETURN(c.behavior.select_randomly, get_int(*b, "selectRandomly", 0, kMaxPoolSize));
  GIBKIT_ASSIGN_OR_RETURN(c.behavior.target_binding_chars, get_int(*b, "targetBindingChars", 0, kMaxBindingChars));
  if (b->contains("bindingMode")) {
    GIBKIT_ASSIGN_OR_RETURN(const std::string mode, json::get_string(*b, "bindingMode"));
    GIBKIT_ASSIGN_OR_RETURN(c.behavior.binding_mode, parse_binding_mode(mode));
  }
  GIBKIT_RETURN_IF_ERROR(c.validate());
  return c;
}

Status PoolConfig::validate() const {
  if (salt.empty() || salt.size() > 64) return invalid_argument("pool config: salt must be 1..64 characters");
  std::set<std::string_view> verbs;
  for (const std::string& v : allowed_verbs) {
    if (v.empty() || !verbs.insert(v).second) return invalid_argument("pool config: allowedVerbs must be distinct, non-empty");
  }
  if (rounds < 1 || rounds > kMaxRounds) return invalid_argument("pool config: rounds out of range");
  const PoolBehavior& b = behavior;
  if (b.size < 0 || b.size > kMaxPoolSize) return invalid_argument("pool config: size out of range");
  if (b.select_sequentially < 0 || b.select_randomly < 0 ||
      b.select_sequentially + b.select_randomly > b.size) {
    return invalid_argument("pool config: selectSequentially + selectRandomly must not exceed size");
  }
  if (b.target_binding_chars < 0 || b.target_binding_chars > kMaxBindingChars) {
    return invalid_argument("pool config: targetBindingChars must be in [0, 64]");
  }
  if (b.binding_mode == BindingMode::kPositional && b.target_binding_chars == 0) {
    return invalid_argument("pool config: positional binding needs targetBindingChars > 0");
  }
  return {};
}

}  // namespace gibkit::keystone
