// File: gibkit/saga/timeline.h
//
// Timeline queries the saga needs: the frames of a timeline in order, and
// whether one frame descends from another. A frame's `past` lists its
// predecessors oldest first; ts-gib accumulates the whole history there
// unless the timeline was made with linked `past`, in which case only the
// immediate predecessor is kept and we walk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/saga/record_graph.h"
#include "gibkit/status.h"

namespace gibkit::saga {

// Frames of the timeline ending at `head`, oldest first, `head` last.
[[nodiscard]] Result<std::vector<std::string>> timeline_frames(const RecordReader& reader, std::string_view head);

// Whether `ancestor` is `head` or one of its predecessors.
[[nodiscard]] Result<bool> timeline_contains(const RecordReader& reader, std::string_view head,
                                             std::string_view ancestor);

// A stone (no timeline) with its gib computed.
[[nodiscard]] IbGib make_stone(std::string ib, json::Object data, json::Object rel8ns);

}  // namespace gibkit::saga
