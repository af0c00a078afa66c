// Evolving timelines in a node's durable space: find a timeline's latest
// frame from any of its addresses, and store new frames with their dna while
// moving the head by compare-and-swap, all in one atomic batch. fork, mut8
// and rel8 share this.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/space.h"
#include "gibkit/status.h"
#include "gibkit/transforms.h"

namespace gibkit::tools {

struct TimelineHead {
  std::string tjp;  // the timeline's address (its first frame)
  IbGib frame;      // its latest frame in this space
};

// The timeline `address` belongs to. kNotFound when the record or the
// timeline's head is not in `space`; kFailedPrecondition when the record is
// not a timeline frame (a stone).
// Identity timelines and saga logs are found too (their heads live in the
// protected namespace); edits refuse them (refuse_protected).
[[nodiscard]] Result<TimelineHead> find_timeline_head(Space& space, std::string_view address);

// kPermissionDenied when `tjp` is an identity timeline or a saga log, or
// `frame_ib` is the ib of identity frames (one of `identity_ibs`, what the
// node's signer plugins declare): such timelines are made and moved by
// their signer only (gib keystone), never by an edit.
[[nodiscard]] Status refuse_protected(Space& space, const std::string& tjp, std::string_view frame_ib,
                                      const std::vector<std::string>& identity_ibs);

// Stores `steps` (each frame with its dna, oldest first) and moves the head of
// `tjp` from `expected_head` ("" = none yet) to the last frame, in one batch,
// unless refuse_protected refuses. kAborted when the head moved meanwhile
// (nothing stored). Returns the new head.
[[nodiscard]] Result<std::string> store_frames(Space& space, const std::vector<std::string>& identity_ibs,
                                               const std::string& tjp, const std::string& expected_head,
                                               const std::vector<TransformResult>& steps);

// Applies `transform` to the latest frame of the timeline of `address` and
// stores the result (store_frames). Returns the new head's address.
using FrameTransform = std::function<Result<TransformResult>(const IbGib& head)>;
[[nodiscard]] Result<std::string> evolve_timeline(Space& space, const std::vector<std::string>& identity_ibs,
                                                  std::string_view address, const FrameTransform& transform);

// The rel8ns the frames fork, mut8 and rel8 make link (ts-gib linkedRel8ns):
// the deployment's `timelines.linked_rel8ns`, by default past and dna, so
// an edit costs the same on the 10,000th frame as on the first
// (docs/config.md, "The timelines section").
[[nodiscard]] std::vector<std::string> linked_rel8ns(const kernel::Deployment& deployment);

// Parses `text` as a JSON object (for --data); kInvalidArgument otherwise.
[[nodiscard]] Result<json::Object> parse_json_object(std::string_view text, std::string_view what);

}  // namespace gibkit::tools
