// File: keystone/pool_config.h
//
// The configuration of one challenge pool (core-gib-notes 2.2), as carried in
// every keystone frame under challengePools[i].config:
//
//   {"type": "hash-reveal-v1", "salt": "sync", "allowedVerbs": ["sync"],
//    "algo": "SHA-256", "rounds": 1,
//    "behavior": {"size": 8, "replenish": "replace-all",
//                 "selectSequentially": 0, "selectRandomly": 2,
//                 "targetBindingChars": 32, "bindingMode": "positional"}}
//
// `bindingMode` is a gibkit extension: absent (or "bucket") is the reference
// behaviour; "positional" is the binding that makes forging a claim for
// another target cost 2^(4N) hash evaluations (docs/security.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/status.h"
#include "keystone/hash_reveal.h"

namespace gibkit::keystone {

inline constexpr std::string_view kHashRevealType = "hash-reveal-v1";

// What happens to a pool after some of its challenges were revealed.
enum class Replenish {
  kTopUp,          // "top-up": the consumed are replaced by as many fresh ones
  kReplaceAll,     // "replace-all": every challenge is replaced
  kConsume,        // "consume": the consumed are just removed
  kScorchedEarth,  // "scorched-earth": the pool is emptied for good
};

// How a claim's target selects challenges that must be revealed.
enum class BindingMode {
  // Reference: bucket = hex char; for each of the first N chars of the
  // target's gib, the first available id of that char's bucket.
  kBucket,
  // gibkit: one challenge per (position, hex char) for the first N positions
  // of SHA-256(target address); position p reveals the challenge of slot
  // (p, digest[p]). A different target must match at every position.
  kPositional,
};

[[nodiscard]] std::string_view replenish_name(Replenish r) noexcept;
[[nodiscard]] std::string_view binding_mode_name(BindingMode m) noexcept;

// Limits that keep a hostile frame from making verification expensive.
inline constexpr int kMaxPoolSize = 4096;
inline constexpr int kMaxRounds = 1000;
inline constexpr int kMaxBindingChars = 64;

struct PoolBehavior {
  int size = 100;
  Replenish replenish = Replenish::kTopUp;
  int select_sequentially = 0;
  int select_randomly = 0;
  int target_binding_chars = 0;
  BindingMode binding_mode = BindingMode::kBucket;
};

struct PoolConfig {
  std::string salt;  // also the pool id; unique within a keystone
  std::vector<std::string> allowed_verbs;  // empty = any verb
  HashAlgo algo = HashAlgo::kSha256;
  int rounds = 1;
  PoolBehavior behavior;

  [[nodiscard]] bool restricts_verbs() const noexcept { return !allowed_verbs.empty(); }
  [[nodiscard]] bool allows(std::string_view verb) const;

  [[nodiscard]] json::Value to_json() const;
  // Validates types, ranges and consistency (kInvalidArgument naming the field).
  [[nodiscard]] static Result<PoolConfig> from_json(const json::Value& value);
  [[nodiscard]] Status validate() const;
};

}  // namespace gibkit::keystone
