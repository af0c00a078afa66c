// File: keystone/wots_identity.h
//
// Keystone identities of scheme "wots-w16-sha256" (keystone/wots.h,
// keystone/wots_frame.h): frame n is signed by one-time key K_n, whose
// commitment C_n frame n-1 published (pre-rotation), and publishes C_{n+1}.
// Stateless like keystone/evolve.h; the signer owns the secrets and makes
// sure each frame is evolved once (so each key signs once).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/signer.h"
#include "gibkit/status.h"
#include "signer_support/environment.h"
#include "signer_support/secret_store.h"

namespace gibkit::keystone {

// The genesis: n 0, isTjp, timestamp/uuid, allowedVerbs, next = C_1; only
// rel8n `ancestor: ["keystone^gib"]`. kInvalidArgument for bad verbs.
[[nodiscard]] Result<IbGib> create_wots_genesis(const std::vector<std::string>& allowed_verbs,
                                                const signer_support::Secret& master,
                                                signer_support::Environment& env);

// The frame after `prev` carrying `claim`, signed with K_{prev.n + 1}, which
// is first checked against prev's commitment (kFailedPrecondition when the
// master secret does not derive it). With `revocation_reason` the claim must
// be {revoke, prev address}; the frame then publishes no next key.
// kFailedPrecondition if prev is revoked, kPermissionDenied if the verb is
// not allowed, kInvalidArgument if prev is not a valid wots keystone frame.
[[nodiscard]] Result<IbGib> evolve_wots(const IbGib& prev, const Claim& claim, const signer_support::Secret& master,
                                        signer_support::Environment& env,
                                        const std::optional<std::string>& revocation_reason = std::nullopt);

// verify (keystone/verify.h) for a prev of this scheme. Categories, in order:
// gib, revoked, counter, link (also: next of another scheme, allowedVerbs
// changed), target, verb (also: not in allowedVerbs), revoked (revoke verb
// and revocationInfo apart), policy (malformed proof or frame), crypto (the
// signature does not give prev's commitment).
[[nodiscard]] Status verify_wots_evolution(const IbGib& prev, const IbGib& next, const Claim& expected);

}  // namespace gibkit::keystone
