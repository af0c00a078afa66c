// File: keystone/requirements.h
//
// The policy engine (core-gib-notes 2.4): which challenges of a pool a proof
// must reveal for a claim. Deterministic, so the verifier recomputes exactly
// what the signer computed, from the *previous* frame's pool:
//
//  1. demands: every id in requiredChallengeIds (must exist, once each);
//  2. target binding (targetBindingChars = N > 0):
//     bucket mode: for each of the first N chars of the target's gib
//       (lower-cased), the first still-available id of that char's bucket;
//     positional mode: for p in 0..N-1, the id in slot (p, D[p]) where
//       D = lower-case hex SHA-256 of the whole target address;
//  3. FIFO: the first selectSequentially ids still available.
// `available` is what is left for random picks: in positional mode only
// general challenges (never a binding slot), in bucket mode all the rest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gibkit/status.h"
#include "keystone/challenge_pool.h"

namespace gibkit::keystone {

struct Requirements {
  std::vector<std::string> mandatory;  // in selection order
  std::vector<std::string> available;  // in pool order
};

// kInvalidArgument for an unknown or repeated demanded id; kResourceExhausted
// ("entropy exhaustion") when the pool cannot satisfy the binding or FIFO.
[[nodiscard]] Result<Requirements> select_requirements(const ChallengePool& pool,
                                                       const std::vector<std::string>& demanded,
                                                       std::string_view target);

// The characters the target binds, as described above.
[[nodiscard]] std::string binding_chars(const PoolConfig& config, std::string_view target);

}  // namespace gibkit::keystone
