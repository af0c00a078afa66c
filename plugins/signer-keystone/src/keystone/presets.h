// File: keystone/presets.h
//
// The kinds of keystone identity, and the parsing of create_identity options:
//   {"preset": "domain"}   long-lived, scheme wots-w16-sha256 (Winternitz
//                          one-time keys, keystone/wots_identity.h), allowed
//                          verbs ["endorse", "revoke"];
//   {"preset": "session"}  short-lived, one frame per sync turn, scheme
//                          wots-w16-sha256, allowed verbs ["sync", "revoke"];
//   {"preset": "domain-pools"}   hash-reveal challenge pools: pool "endorse"
//                          (verb endorse, positional binding of 32 chars,
//                          top-up) and pool "revoke" (10 rounds,
//                          scorched-earth) -- the "domain" preset before wots;
//   {"preset": "session-pools"}  pool "sync" (verb sync, positional binding of
//                          32 chars, replace-all, 2 random picks) and pool
//                          "revoke" -- the "session" preset before wots;
//   {"pools": [<pool config>...]}  explicit pools (keystone/pool_config.h).
// No options (null or {}) means the session preset. docs/security.md explains
// the numbers.
#pragma once

#include "signer_support/secret_store.h"

#include <string>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/status.h"
#include "keystone/keystone_frame.h"
#include "keystone/pool_config.h"

namespace gibkit::keystone {

[[nodiscard]] std::vector<PoolConfig> domain_pools_preset();
[[nodiscard]] std::vector<PoolConfig> session_pools_preset();
[[nodiscard]] std::vector<std::string> domain_verbs();   // endorse, revoke
[[nodiscard]] std::vector<std::string> session_verbs();  // sync, revoke

// What create_identity makes: `pools` for KeystoneScheme::kPools,
// `allowed_verbs` for KeystoneScheme::kWots.
struct IdentityOptions {
  KeystoneScheme scheme = KeystoneScheme::kWots;
  std::vector<PoolConfig> pools;
  std::vector<std::string> allowed_verbs;
  // {"lifetime": "saga"} beside the preset or pools (the kernel's sessions,
  // signer_support/lifetime_option.h): held in memory until forgotten;
  // otherwise kept in secrets_dir.
  signer_support::Lifetime lifetime = signer_support::Lifetime::kStored;
};

// kInvalidArgument naming the defect.
[[nodiscard]] Result<IdentityOptions> identity_options(const json::Value& options);

}  // namespace gibkit::keystone
