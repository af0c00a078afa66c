#include "keystone/challenge_pool.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace gibkit::keystone {

namespace {

constexpr std::string_view kHexChars = "0123456789abcdef";
constexpr std::size_t kChallengeIdSize = 16;

bool is_lower_hex(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status malformed(const std::string& pool_id, const std::string& what) {
  return invalid_argument("challenge pool \"" + pool_id + "\": " + what);
}

}  // namespace

bool is_challenge_id(std::string_view text) noexcept {
  return text.size() == kChallengeIdSize && is_lower_hex(text);
}

std::string ChallengePool::slot_key(int position, char hex_char) {
  return std::to_string(position) + ":" + std::string(1, hex_char);
}

ChallengePool::ChallengePool(PoolConfig config) : config_(std::move(config)) {}

Result<Challenge> ListSource::next() {
  if (position_ == fresh_.size()) {
    return permission_denied("pools: next frame lacks fresh challenges for the replenish rule");
  }
  return fresh_[position_++];
}

std::vector<std::string> ChallengePool::challenge_ids() const {
  std::vector<std::string> ids;
  ids.reserve(challenges_.size());
  for (const Challenge& challenge : challenges_) ids.push_back(challenge.id);
  return ids;
}

const std::string* ChallengePool::challenge_hash(std::string_view id) const {
  const auto it = position_.find(id);
  return it == position_.end() ? nullptr : &challenges_[it->second].hash;
}

std::vector<std::string> ChallengePool::bound_ids(std::string_view key) const {
  std::vector<std::string> ids;
  if (const json::Value* list = binding_map_.find(key)) {
    for (const json::Value& id : list->as_array()) ids.push_back(id.as_string());
  }
  return ids;
}

std::unordered_set<std::string_view> ChallengePool::slot_bound_ids() const {
  std::unordered_set<std::string_view> ids;
  if (config_.behavior.binding_mode != BindingMode::kPositional) return ids;
  for (const auto& [key, list] : binding_map_) {
    for (const json::Value& bound : list.as_array()) ids.insert(bound.as_string());
  }
  return ids;
}

std::size_t ChallengePool::full_count() const noexcept {
  const PoolBehavior& b = config_.behavior;
  const std::size_t slots =
      b.binding_mode == BindingMode::kPositional ? kHexChars.size() * static_cast<std::size_t>(b.target_binding_chars) : 0;
  return static_cast<std::size_t>(b.size) + slots;
}

std::size_t ChallengePool::fresh_count(std::size_t consumed) const noexcept {
  switch (config_.behavior.replenish) {
    case Replenish::kTopUp: return consumed;
    case Replenish::kReplaceAll: return full_count();
    case Replenish::kConsume:
    case Replenish::kScorchedEarth: return 0;
  }
  return 0;
}

std::vector<Challenge> ChallengePool::fresh_in(const ChallengePool& next) const {
  std::vector<Challenge> fresh;
  for (const Challenge& challenge : next.challenges_) {
    if (!contains(challenge.id)) fresh.push_back(challenge);
  }
  return fresh;
}

Status ChallengePool::add(ChallengeSource& source, const std::optional<std::string>& slot) {
  GIBKIT_ASSIGN_OR_RETURN(Challenge challenge, source.next());
  if (!is_challenge_id(challenge.id) || contains(challenge.id)) {
    return malformed(id(), "fresh challenge id \"" + challenge.id + "\" is malformed or already present");
  }
  std::optional<std::string> key = slot;
  if (config_.behavior.binding_mode == BindingMode::kBucket) key = challenge.id.substr(0, 1);
  if (key) {
    json::Value& list = binding_map_[*key];
    if (!list.is_array()) list = json::Array{};
    list.as_array().emplace_back(challenge.id);
  }
  position_.emplace(challenge.id, challenges_.size());
  challenges_.push_back(std::move(challenge));
  return {};
}

void ChallengePool::clear() {
  challenges_.clear();
  position_.clear();
  binding_map_ = json::Object();
}

Status ChallengePool::fill(ChallengeSource& source) {
  const std::size_t total = full_count() + challenges_.size();
  challenges_.reserve(total);
  position_.reserve(total);
  for (int i = 0; i < config_.behavior.size; ++i) GIBKIT_RETURN_IF_ERROR(add(source, std::nullopt));
  if (config_.behavior.binding_mode == BindingMode::kPositional) {
    for (int p = 0; p < config_.behavior.target_binding_chars; ++p) {
      for (char c : kHexChars) GIBKIT_RETURN_IF_ERROR(add(source, slot_key(p, c)));
    }
  }
  return {};
}

Status ChallengePool::consume(const std::vector<std::string>& consumed, ChallengeSource& source) {
  // One pass over the binding map and one over the challenges, whatever the
  // number consumed. Each consumed id's slot is remembered for top-up.
  std::unordered_map<std::string_view, std::optional<std::string>> slot_of;
  for (const std::string& gone : consumed) {
    if (!contains(gone) || !slot_of.emplace(gone, std::nullopt).second) {
      return malformed(id(), "consumed challenge " + gone + " is not in the pool");
    }
  }
  const bool positional = config_.behavior.binding_mode == BindingMode::kPositional;
  for (auto& [key, list] : binding_map_) {
    const std::string& slot = key;
    std::erase_if(list.as_array(), [&](const json::Value& v) {
      const auto it = slot_of.find(v.as_string());
      if (it == slot_of.end()) return false;
      if (positional) it->second = slot;
      return true;
    });
  }
  std::vector<std::optional<std::string>> slots;
  slots.reserve(consumed.size());
  for (const std::string& gone : consumed) slots.push_back(slot_of[gone]);
  std::erase_if(challenges_, [&](const Challenge& c) { return slot_of.contains(c.id); });
  position_.clear();
  for (std::size_t i = 0; i < challenges_.size(); ++i) position_.emplace(challenges_[i].id, i);

  switch (config_.behavior.replenish) {
    case Replenish::kTopUp:
      for (const auto& slot : slots) GIBKIT_RETURN_IF_ERROR(add(source, slot));
      return {};
    case Replenish::kReplaceAll:
      clear();
      return fill(source);
    case Replenish::kConsume:
      return {};
    case Replenish::kScorchedEarth:
      clear();
      return {};
  }
  return internal_error("unknown replenish strategy");
}

json::Object ChallengePool::challenge_json(const Challenge& challenge) {
  return json::Object{{"type", std::string(kHashRevealType)}, {"hash", challenge.hash}};
}

json::Value ChallengePool::to_json() const {
  std::vector<json::Object::Member> challenges;
  challenges.reserve(challenges_.size());
  for (const Challenge& challenge : challenges_) challenges.emplace_back(challenge.id, challenge_json(challenge));
  return json::Object{{"id", config_.salt},
                      {"config", config_.to_json()},
                      {"challenges", json::Object::from_members(std::move(challenges))},
                      {"bindingMap", binding_map_}};
}

bool ChallengePool::matches_json(const json::Value& value) const {
  static constexpr std::string_view kMembers[] = {"id", "config", "challenges", "bindingMap"};
  if (!value.is_object() || value.as_object().size() != std::size(kMembers)) return false;
  auto member = value.as_object().begin();
  for (std::string_view key : kMembers) {
    if (member++->first != key) return false;
  }
  const json::Value* challenges = value.find("challenges");
  const json::Value* binding_map = value.find("bindingMap");
  if (!(*value.find("id") == json::Value(config_.salt)) || !(*value.find("config") == config_.to_json()) ||
      !challenges->is_object() || challenges->as_object().size() != challenges_.size() ||
      !binding_map->is_object() || !(binding_map->as_object() == binding_map_)) {
    return false;
  }
  // Member by member rather than against challenge_json(): no allocation.
  auto it = challenges_.begin();
  for (const auto& [cid, challenge] : challenges->as_object()) {
    if (cid != it->id || !challenge.is_object() || challenge.as_object().size() != 2) return false;
    const auto type = challenge.as_object().begin();
    const auto hash = std::next(type);
    if (type->first != "type" || !type->second.is_string() || type->second.as_string() != kHashRevealType ||
        hash->first != "hash" || !hash->second.is_string() || hash->second.as_string() != it->hash) {
      return false;
    }
    ++it;
  }
  return true;
}

Result<ChallengePool> ChallengePool::from_json(const json::Value& value) {
  if (!value.is_object()) return invalid_argument("challenge pool must be an object");
  const json::Object& o = value.as_object();
  for (const auto& [key, member] : o) {
    if (key != "id" && key != "config" && key != "challenges" && key != "bindingMap") {
      return invalid_argument("challenge pool: unknown key \"" + key + "\"");
    }
  }
  const json::Value* config_json = o.find("config");
  if (config_json == nullptr) return invalid_argument("challenge pool: missing config");
  GIBKIT_ASSIGN_OR_RETURN(PoolConfig config, PoolConfig::from_json(*config_json));
  GIBKIT_ASSIGN_OR_RETURN(const std::string pool_id, json::get_string(o, "id"));
  if (pool_id != config.salt) return malformed(pool_id, "id differs from config.salt");
  ChallengePool pool(std::move(config));
  const BindingMode mode = pool.config_.behavior.binding_mode;
  const std::size_t hash_size = hex_digest_size(pool.config_.algo);

  GIBKIT_ASSIGN_OR_RETURN(const json::Object* challenges, json::get_object(o, "challenges"));
  for (const auto& [cid, challenge] : *challenges) {
    if (!is_challenge_id(cid)) return malformed(pool_id, "challenge id \"" + cid + "\" is not 16 lower-case hex chars");
    if (!challenge.is_object() || challenge.as_object().size() != 2) return malformed(pool_id, "challenge " + cid + " is malformed");
    const json::Value* type = challenge.find("type");
    const json::Value* hash = challenge.find("hash");
    if (type == nullptr || !type->is_string() || type->as_string() != kHashRevealType || hash == nullptr ||
        !hash->is_string() || hash->as_string().size() != hash_size || !is_lower_hex(hash->as_string())) {
      return malformed(pool_id, "challenge " + cid + " is malformed");
    }
  }
  pool.challenges_.reserve(challenges->size());
  pool.position_.reserve(challenges->size());
  for (const auto& [cid, challenge] : *challenges) {
    pool.position_.emplace(cid, pool.challenges_.size());
    pool.challenges_.push_back({cid, challenge.find("hash")->as_string()});
  }

  GIBKIT_ASSIGN_OR_RETURN(const json::Object* binding_map, json::get_object(o, "bindingMap"));
  std::set<std::string> bound;
  for (const auto& [key, list] : *binding_map) {
    bool key_ok = false;
    if (mode == BindingMode::kBucket) {
      key_ok = key.size() == 1 && is_lower_hex(key);
    } else {
      const std::size_t colon = key.find(':');
      const std::string position = key.substr(0, colon);
      key_ok = colon != std::string::npos && key.size() == colon + 2 && is_lower_hex(key.substr(colon + 1)) &&
               !position.empty() && position.size() <= 2 &&
               std::all_of(position.begin(), position.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
               slot_key(std::stoi(position), key.back()) == key &&
               std::stoi(position) < pool.config_.behavior.target_binding_chars;
    }
    if (!key_ok) return malformed(pool_id, "binding map key \"" + key + "\" is not valid for this binding mode");
    if (!list.is_array()) return malformed(pool_id, "binding map entry \"" + key + "\" is not an array");
    if (mode == BindingMode::kPositional && list.as_array().size() > 1) {
      return malformed(pool_id, "binding slot \"" + key + "\" holds more than one challenge");
    }
    for (const json::Value& bid : list.as_array()) {
      if (!bid.is_string() || !challenges->contains(bid.as_string()) || !bound.insert(bid.as_string()).second) {
        return malformed(pool_id, "binding map entry \"" + key + "\" names an unknown or repeated challenge");
      }
      if (mode == BindingMode::kBucket && bid.as_string().substr(0, 1) != key) {
        return malformed(pool_id, "challenge " + bid.as_string() + " is in the wrong bucket");
      }
    }
  }
  if (mode == BindingMode::kBucket && bound.size() != challenges->size()) {
    return malformed(pool_id, "some challenges are in no bucket");
  }
  pool.binding_map_ = *binding_map;
  return pool;
}

}  // namespace gibkit::keystone
