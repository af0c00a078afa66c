// File: keystone/presets.h
//
// Pool sets for the two kinds of keystone identity, and the parsing of
// create_identity options:
//   {"preset": "domain"}  long-lived: pool "endorse" (verb endorse,
//                         positional binding of 32 chars, top-up) and pool
//                         "revoke" (10 rounds, scorched-earth);
//   {"preset": "session"} short-lived, one frame per sync turn: pool "sync"
//                         (verb sync, positional binding of 32 chars,
//                         replace-all, 2 random picks) and pool "revoke";
//   {"pools": [<pool config>...]}  explicit pools (keystone/pool_config.h).
// No options (null or {}) means the session preset. docs/security.md explains
// the numbers.
#pragma once

#include <vector>

#include "gibkit/json.h"
#include "gibkit/status.h"
#include "keystone/pool_config.h"

namespace gibkit::keystone {

[[nodiscard]] std::vector<PoolConfig> domain_preset();
[[nodiscard]] std::vector<PoolConfig> session_preset();

// kInvalidArgument naming the defect.
[[nodiscard]] Result<std::vector<PoolConfig>> pools_from_options(const json::Value& options);

}  // namespace gibkit::keystone
