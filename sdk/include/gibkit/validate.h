// File: gibkit/validate.h
//
// Intrinsic validation: is a record internally consistent? (It says nothing
// about who made it; signatures are the signer's job.) Every record received
// from a peer or read from storage goes through this before it is trusted.
#pragma once

#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"
#include "gibkit/status.h"

namespace gibkit {

// Checks, in order, and reports the first that fails:
//  * kInvalidArgument: malformed ib or address; rel8ns not name -> array of
//    well-formed addresses; a primitive (X^gib) carrying data or rel8ns; a
//    tjp layout the reference refuses to hash (see compute_gib).
//  * kDataLoss: the gib's tjp suffix disagrees with rel8ns.tjp (or a tjp has
//    one), or the gib differs from the recomputed one ("expected" is the
//    record's gib, "computed" ours).
// As the reference does, a rel8 dna record whose data still carries `src` or
// `srcAddr` is also accepted if its gib matches the data without them.
[[nodiscard]] Status validate_intrinsically(const IbGib& record, GibAlgorithm algorithm = GibAlgorithm::kSha256V1);

}  // namespace gibkit
