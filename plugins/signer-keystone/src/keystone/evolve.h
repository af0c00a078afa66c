// File: keystone/evolve.h
//
// Making keystone frames from a master secret: the genesis frame and each
// evolution (sign, revoke). These functions hold no state and never store
// or print the secret; the signer (keystone_signer.h) owns secrets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/signer.h"
#include "gibkit/status.h"
#include "keystone/pool_config.h"
#include "signer_support/environment.h"
#include "signer_support/secret_store.h"

namespace gibkit::keystone {

// The genesis frame: n 0, isTjp, timestamp/uuid, the pools filled with
// challenges derived from `master`; only rel8n `ancestor: ["keystone^gib"]`;
// gib = plain hash (compute_gib). kInvalidArgument for bad or duplicate pools.
[[nodiscard]] Result<IbGib> create_genesis(const std::vector<PoolConfig>& pools,
                                           const signer_support::Secret& master,
                                           signer_support::Environment& env);

// The frame after `prev` that proves control and carries `claim` (mut8 with
// n-counter and linked past: past = [prev], tjp = [genesis], n + 1). With
// `revocation_reason` the claim must be {revoke, prev address} and the frame
// gets revocationInfo.
// kFailedPrecondition if prev is revoked, kPermissionDenied if no pool allows
// the verb, kResourceExhausted if the pool is exhausted, kInvalidArgument if
// prev is not a valid keystone frame (including intrinsic validation).
[[nodiscard]] Result<IbGib> evolve(const IbGib& prev, const Claim& claim, const signer_support::Secret& master,
                                   signer_support::Environment& env,
                                   const std::optional<std::string>& revocation_reason = std::nullopt);

}  // namespace gibkit::keystone
