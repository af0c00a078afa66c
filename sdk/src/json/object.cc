// json::Object: members in JavaScript property order, with a hash index for
// large objects so lookups stay O(1) (keystone challenge pools have hundreds
// of keys).
#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "gibkit/json.h"

namespace gibkit::json {
namespace {

// Below this many members a linear scan beats hashing.
constexpr std::size_t kIndexThreshold = 16;

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
};

// Numeric value of a key already known to be an array index.
std::uint32_t array_index_value(std::string_view key) noexcept {
  std::uint32_t value = 0;
  std::from_chars(key.data(), key.data() + key.size(), value);
  return value;
}

// Whether two members share a key. Parsed objects rarely do, so from_members
// checks first and only then pays for merging.
bool has_duplicate_keys(const std::vector<Object::Member>& members) {
  if (members.size() <= kIndexThreshold) {
    for (std::size_t i = 1; i < members.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) return true;
      }
    }
    return false;
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(members.size());
  for (const Object::Member& member : members) {
    if (!seen.insert(member.first).second) return true;
  }
  return false;
}

// JSON.parse's rule for duplicates: the first position keeps the last value.
std::vector<Object::Member> merge_duplicates(std::vector<Object::Member> members) {
  std::vector<Object::Member> unique;
  unique.reserve(members.size());
  std::unordered_map<std::string_view, std::size_t> seen;
  seen.reserve(members.size());
  std::vector<std::size_t> target(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto [it, inserted] = seen.emplace(members[i].first, unique.size());
    target[i] = it->second;
    if (inserted) unique.emplace_back(members[i].first, Value());
  }
  for (std::size_t i = 0; i < members.size(); ++i) unique[target[i]].second = std::move(members[i].second);
  return unique;
}

}  // namespace

struct Object::Index {
  std::unordered_map<std::string, std::size_t, KeyHash, std::equal_to<>> positions;
};

bool is_array_index_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > 10) return false;
  if (key.size() > 1 && key[0] == '0') return false;  // "01" is not canonical
  std::uint64_t value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value <= 4294967294ULL;  // 2^32 - 2: 2^32 - 1 is not an array index
}

Object::Object() = default;
Object::~Object() = default;

Object::Object(std::initializer_list<Member> members) {
  for (const Member& member : members) set(member.first, member.second);
}

Object::Object(const Object& other)
    : members_(other.members_), index_key_count_(other.index_key_count_) {
  if (other.index_) rebuild_index();
}

Object::Object(Object&& other) noexcept
    : members_(std::move(other.members_)),
      index_(std::move(other.index_)),
      index_key_count_(other.index_key_count_) {
  other.members_.clear();
  other.index_key_count_ = 0;
}

Object& Object::operator=(const Object& other) {
  if (this != &other) *this = Object(other);
  return *this;
}

Object& Object::operator=(Object&& other) noexcept {
  members_ = std::move(other.members_);
  index_ = std::move(other.index_);
  index_key_count_ = other.index_key_count_;
  other.members_.clear();
  other.index_key_count_ = 0;
  return *this;
}

Object Object::from_members(std::vector<Member> members) {
  if (has_duplicate_keys(members)) members = merge_duplicates(std::move(members));
  const auto is_index = [](const Member& m) { return is_array_index_key(m.first); };
  // Most objects have no array-index keys (or have them first already);
  // stable_partition would allocate a buffer for nothing.
  auto first_other = std::find_if_not(members.begin(), members.end(), is_index);
  if (std::any_of(first_other, members.end(), is_index)) {
    first_other = std::stable_partition(first_other, members.end(), is_index);
  }
  std::sort(members.begin(), first_other, [](const Member& a, const Member& b) {
    return array_index_value(a.first) < array_index_value(b.first);
  });
  Object object;
  object.index_key_count_ = static_cast<std::size_t>(first_other - members.begin());
  object.members_ = std::move(members);
  if (object.members_.size() > kIndexThreshold) object.rebuild_index();
  return object;
}

void Object::rebuild_index() {
  if (members_.size() <= kIndexThreshold) {
    index_.reset();
    return;
  }
  if (!index_) index_ = std::make_unique<Index>();
  index_->positions.clear();
  index_->positions.reserve(members_.size());
  for (std::size_t i = 0; i < members_.size(); ++i) index_->positions.emplace(members_[i].first, i);
}

const Value* Object::find(std::string_view key) const {
  if (index_) {
    auto it = index_->positions.find(key);
    return it == index_->positions.end() ? nullptr : &members_[it->second].second;
  }
  for (const Member& member : members_) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

Value* Object::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Object&>(*this).find(key));
}

Value& Object::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  if (is_array_index_key(key)) {
    const std::uint32_t index = array_index_value(key);
    auto end = members_.begin() + static_cast<std::ptrdiff_t>(index_key_count_);
    auto pos = std::lower_bound(members_.begin(), end, index, [](const Member& m, std::uint32_t v) {
      return array_index_value(m.first) < v;
    });
    pos = members_.emplace(pos, std::move(key), std::move(value));
    ++index_key_count_;
    const auto offset = static_cast<std::size_t>(pos - members_.begin());
    if (index_ || members_.size() > kIndexThreshold) rebuild_index();
    return members_[offset].second;
  }
  members_.emplace_back(std::move(key), std::move(value));
  if (index_) {
    index_->positions.emplace(members_.back().first, members_.size() - 1);
  } else if (members_.size() > kIndexThreshold) {
    rebuild_index();
  }
  return members_.back().second;
}

Value& Object::operator[](std::string_view key) {
  if (Value* existing = find(key)) return *existing;
  return set(std::string(key), Value());
}

bool Object::erase(std::string_view key) {
  auto it = std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.first == key; });
  if (it == members_.end()) return false;
  if (is_array_index_key(key)) --index_key_count_;
  members_.erase(it);
  if (index_) rebuild_index();
  return true;
}

bool operator==(const Object& a, const Object& b) { return a.members_ == b.members_; }

}  // namespace gibkit::json
