// File: keystone/challenge_pool.h
//
// One challenge pool of a keystone frame:
//
//   {"id": <salt>, "config": {...},
//    "challenges": {<id>: {"type": "hash-reveal-v1", "hash": <hex>}, ...},
//    "bindingMap": {<key>: [<id>, ...], ...}}
//
// Challenge ids are 16 lower-case hex characters. Their order is the pool's
// FIFO order, and it is the order a JavaScript engine gives the object's
// keys: the pool keeps its members in a json::Object, which applies the
// engine's rule (array-index keys first). A valid id is never an array-index
// key (16 decimal digits are >= 10^15 or start with 0), so the JS order of
// the challenges is their insertion order, which is how they are kept here.
//
// Binding map keys: in bucket mode a hex char ("0".."f", the bucket of every
// id starting with it; every id is in its bucket); in positional mode
// "<position>:<hex char>" (binding slots, one id each while filled), and the
// ids in no slot are the general challenges used for FIFO and random picks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/status.h"
#include "keystone/pool_config.h"

namespace gibkit::keystone {

struct Challenge {
  std::string id;
  std::string hash;

  friend bool operator==(const Challenge&, const Challenge&) = default;
};

// Where fresh challenges come from when a pool is (re)filled: the signer
// generates them from its secret; the verifier replays the ones it finds in
// the next frame, so both run the same replenish code.
class ChallengeSource {
 public:
  virtual ~ChallengeSource() = default;
  [[nodiscard]] virtual Result<Challenge> next() = 0;
};

// Hands out a fixed list of challenges in order. The signer draws its fresh
// batch before it selects what to reveal (the positional binding covers the
// batch); the verifier replays the batch it finds in the next frame.
class ListSource final : public ChallengeSource {
 public:
  explicit ListSource(const std::vector<Challenge>& fresh) : fresh_(fresh) {}
  // kPermissionDenied "pools: ..." when the list runs out: only a next frame
  // that lacks fresh challenges can make that happen.
  [[nodiscard]] Result<Challenge> next() override;
  [[nodiscard]] bool drained() const noexcept { return position_ == fresh_.size(); }

 private:
  const std::vector<Challenge>& fresh_;
  std::size_t position_ = 0;
};

class ChallengePool {
 public:
  // An empty pool (no challenges yet) for `config`, which must be valid.
  explicit ChallengePool(PoolConfig config);

  // Parses and checks the structure (ids, hash lengths, binding map
  // consistent with the mode). kInvalidArgument on any defect.
  [[nodiscard]] static Result<ChallengePool> from_json(const json::Value& value);
  [[nodiscard]] json::Value to_json() const;

  [[nodiscard]] const std::string& id() const noexcept { return config_.salt; }
  [[nodiscard]] const PoolConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t challenge_count() const noexcept { return challenges_.size(); }

  // Every challenge, in JS property order (= FIFO order).
  [[nodiscard]] const std::vector<Challenge>& challenges() const noexcept { return challenges_; }
  // Every challenge id, in JS property order.
  [[nodiscard]] std::vector<std::string> challenge_ids() const;
  [[nodiscard]] bool contains(std::string_view id) const { return position_.contains(id); }
  // The challenge hash, or nullptr when the id is not in the pool.
  [[nodiscard]] const std::string* challenge_hash(std::string_view id) const;
  // Ids filed under a binding-map key (empty when none), in order.
  [[nodiscard]] std::vector<std::string> bound_ids(std::string_view key) const;
  // The ids sitting in positional binding slots (empty in bucket mode). The
  // views point into this pool and live until it changes.
  [[nodiscard]] std::unordered_set<std::string_view> slot_bound_ids() const;

  // How many challenges fill() adds: size, plus 16 per binding position in
  // positional mode.
  [[nodiscard]] std::size_t full_count() const noexcept;
  // How many fresh challenges consume() draws when `consumed` ids go: the
  // rule's count, known before the ids are chosen.
  [[nodiscard]] std::size_t fresh_count(std::size_t consumed) const noexcept;
  // The challenges of `next` that this pool does not hold, in next's order:
  // what a replenish added.
  [[nodiscard]] std::vector<Challenge> fresh_in(const ChallengePool& next) const;

  // Whether `value` is exactly the JSON to_json() gives (same members, same
  // order, same values), without building it. The verifier compares next's
  // pools as received with the replayed ones this way.
  [[nodiscard]] bool matches_json(const json::Value& value) const;

  // Fills an empty pool: `size` general challenges, then in positional mode
  // one challenge per slot (positions 0..N-1, chars 0..f).
  [[nodiscard]] Status fill(ChallengeSource& source);

  // Removes the `consumed` ids (in pool order) and replenishes by the pool's
  // rule: top-up appends one fresh id per consumed id (into the consumed
  // id's slot, or bucket); replace-all refills from empty; consume does
  // nothing more; scorched-earth empties the pool and its binding map.
  [[nodiscard]] Status consume(const std::vector<std::string>& consumed, ChallengeSource& source);

  // The binding-map key of a positional slot.
  [[nodiscard]] static std::string slot_key(int position, char hex_char);

 private:
  [[nodiscard]] Status add(ChallengeSource& source, const std::optional<std::string>& slot);
  void clear();
  [[nodiscard]] static json::Object challenge_json(const Challenge& challenge);

  // Heterogeneous lookup by string_view.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
  };

  PoolConfig config_;
  std::vector<Challenge> challenges_;
  std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> position_;  // id -> index in challenges_
  json::Object binding_map_;
};

// Whether `text` is a challenge id: 16 lower-case hex characters.
[[nodiscard]] bool is_challenge_id(std::string_view text) noexcept;

}  // namespace gibkit::keystone
