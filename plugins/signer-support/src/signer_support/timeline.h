// File: signer_support/timeline.h
//
// What every identity timeline shares, whatever its cryptography: frames
// evolve like ts-gib mut8 with an n-counter and linkedRel8ns ["past"] (past
// names only the previous frame, tjp names the genesis), each frame must be
// intrinsically valid, and a verifier trusts nothing in the next frame about
// what came before it.
#pragma once

#include <string>
#include <string_view>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/status.h"

namespace gibkit::signer_support {

// kPermissionDenied with message "<category>: <detail>" (the verify contract).
[[nodiscard]] Status denied(std::string_view category, std::string_view detail);

// "gib" failure unless the frame passes gibkit::validate_intrinsically (its
// gib, tjp suffix included, is the one its content gives; not a primitive).
[[nodiscard]] Status check_gib(const IbGib& frame, std::string_view which);

// "link" failure unless next continues prev's timeline: same ib, ancestor
// and uuid; past = [prev] exactly; tjp = [prev's timeline]; no other
// rel8ns; next does not claim isTjp. kInvalidArgument if prev is in no timeline.
[[nodiscard]] Status check_timeline_links(const IbGib& prev, const IbGib& next);

// The rel8ns of the frame after prev: ancestor kept, past [prev], tjp.
[[nodiscard]] Result<json::Object> next_rel8ns(const IbGib& prev);

// The identity a frame belongs to: the gib of its timeline's genesis.
[[nodiscard]] Result<std::string> identity_of(const IbGib& frame);

// The two frames a Signer::verify call is given, parsed.
struct FramePair {
  IbGib prev;
  IbGib next;
};

// Parses them. A frame that does not parse fails with its parse Status under
// the context "<who>: prev frame" or "<who>: next frame", so the caller can
// tell which of the two was malformed.
[[nodiscard]] Result<FramePair> parse_frame_pair(std::string_view who, std::string_view prev_frame_json,
                                                 std::string_view next_frame_json);

}  // namespace gibkit::signer_support
