// File: keystone/requirements.h
//
// The policy engine (core-gib-notes 2.4): which challenges of a pool a proof
// must reveal for a claim. Deterministic, so the verifier recomputes exactly
// what the signer computed, from the *previous* frame's pool:
//
//  1. demands: every id in requiredChallengeIds (must exist, once each);
//  2. target binding (targetBindingChars = N > 0), by binding_chars():
//     bucket mode: for each of the first N chars of the target's gib
//       (lower-cased), the first still-available id of that char's bucket;
//     positional mode: for p in 0..N-1, the id in slot (p, D[p]) where D is
//       the binding digest of the claim *and* of the challenges the next
//       frame adds (binding_digest(), exact bytes in docs/security.md);
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

// The challenges one pool of the next frame adds (ChallengePool::fresh_in;
// empty for a pool the turn leaves alone), in next's pool order.
struct PoolFresh {
  std::string_view pool_id;
  const std::vector<Challenge>* fresh;
};

// P: raw SHA-256 (32 bytes) over, for each pool of the next frame in order,
// str(pool id) u32be(count) then str(id) str(hash) per fresh challenge.
// str(x) = u32be(byte length) followed by the bytes.
[[nodiscard]] std::string pools_commitment(const std::vector<PoolFresh>& pools);

// What a positional binding digest covers. Bucket mode reads `target` only.
struct BindingInput {
  std::string_view prev_address = {};              // the frame the proof evolves
  std::string_view verb = {};                      // claim.verb
  std::string_view target = {};                    // claim.target
  const std::string* revocation_reason = nullptr;  // set iff the frame revokes
  std::string_view pools_commitment = {};          // P, positional mode only
};

// D: lower-case hex SHA-256 over
//   str("gibkit/keystone/positional-binding/v2") str(prev_address)
//   str(verb) str(target) u8(revoking) str(reason or "") P
[[nodiscard]] std::string binding_digest(const BindingInput& input);

// The characters the target binds, as described above: N of them, or fewer
// in bucket mode when the gib is shorter.
[[nodiscard]] std::string binding_chars(const PoolConfig& config, const BindingInput& input);

// kInvalidArgument for an unknown or repeated demanded id; kResourceExhausted
// ("entropy exhaustion") when the pool cannot satisfy the binding or FIFO.
// `chars` is binding_chars() for the claim (ignored when the pool binds nothing).
[[nodiscard]] Result<Requirements> select_requirements(const ChallengePool& pool,
                                                       const std::vector<std::string>& demanded,
                                                       std::string_view chars);

}  // namespace gibkit::keystone
