// File: keystone/verify.h
//
// Checking that `next` is a valid evolution of `prev` carrying `expected`.
//
// `prev` is the verifier's own copy (from its registry); nothing in `next` is
// trusted about what came before. prev's scheme (keystone_scheme()) decides
// how: frames of scheme "wots-w16-sha256" are checked by
// verify_wots_evolution() (keystone/wots_identity.h; categories gib,
// revoked, counter, link, target, verb, revoked, policy, crypto), frames
// without a scheme (hash-reveal challenge pools) as below. A timeline never
// changes scheme: a next frame of another scheme than prev fails "link".
// A prev naming an unknown scheme is kInvalidArgument.
//
// Challenge pools: checks, in this order, each failure being
// kPermissionDenied whose message starts with its category:
//   "gib"      either frame fails intrinsic validation (its gib, tjp
//              suffix included, does not match its content)
//   "revoked"  prev is revoked (a revoked keystone signs nothing), or the
//              revocation info does not match the revoke proof
//   "counter"  next.n != prev.n + 1
//   "link"     not the same timeline: ib/ancestor/uuid differ, past is not
//              exactly [prev], tjp is not [prev's tjp], next claims isTjp,
//              next has a scheme (wots)
//   "target"   the claim's target is not the expected one
//   "verb"     the claim's verb is not the expected one, or no pool allows it
//   "pools"    next's pools are not prev's pools with the consumed challenges
//              removed and replenished by each pool's rule (unused pools
//              unchanged, configs unchanged)
//   "policy"   the proof does not reveal exactly the required challenges
//              of the pool that must sign the verb (plus selectRandomly
//              others from the allowed set), or is malformed. In positional
//              mode the required slots follow from the binding digest of the
//              claim, the revocation reason and the challenges next adds, so
//              a next frame with substituted fresh challenges fails here
//              ("policy: binding: ...")
//   "crypto"   a revealed solution does not hash to prev's challenge
// ("pools" comes before "policy" because the binding digest is computed from
// the challenges next adds, which means something only once they follow the
// rule.)
// A next frame that is not even JSON is kInvalidArgument; a malformed prev
// (the caller's own data) is kInvalidArgument too.
#pragma once

#include "gibkit/ibgib.h"
#include "gibkit/signer.h"
#include "gibkit/status.h"

namespace gibkit::keystone {

[[nodiscard]] Status verify_evolution(const IbGib& prev, const IbGib& next, const Claim& expected);

}  // namespace gibkit::keystone
