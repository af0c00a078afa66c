// File: keystone/proof.h
//
// A proof authorizes one keystone frame (core-gib-notes 2.2):
//   {"claim": {"verb": "sync", "target": "<addr>"},
//    "solutions": [{"type": "hash-reveal-v1", "poolId": "sync",
//                   "challengeId": "<16 hex>", "value": "<hex>"}, ...],
//    "requiredChallengeIds": [...]}            (only when non-empty)
#pragma once

#include <string>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/signer.h"
#include "gibkit/status.h"

namespace gibkit::keystone {

struct Solution {
  std::string pool_id;
  std::string challenge_id;
  std::string value;
};

struct Proof {
  Claim claim;
  std::vector<Solution> solutions;
  std::vector<std::string> required_challenge_ids;

  [[nodiscard]] json::Value to_json() const;
  // kInvalidArgument naming the defect.
  [[nodiscard]] static Result<Proof> from_json(const json::Value& value);
};

}  // namespace gibkit::keystone
