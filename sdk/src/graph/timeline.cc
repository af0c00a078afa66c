#include "gibkit/record_graph.h"

#include <algorithm>
#include <unordered_set>

#include "gibkit/gib_hash.h"

namespace gibkit {

namespace {

// Walks back from `head` frame by frame through frames actually held, newest
// first, until the tjp or `stop_at` (when not empty). Each step follows the
// immediate predecessor (the last of `past`, whether the timeline links or
// accumulates it) and must stay in the head's timeline. A frame's claimed
// list of earlier frames is never taken on trust: a crafted frame could list
// any address there. So the walk is linear in the frames it passes; an
// accumulating `past` only makes each frame bigger to load.
Result<std::vector<std::string>> walk_back(const RecordReader& reader, std::string_view head, std::string_view stop_at) {
  std::vector<std::string> newest_first{std::string(head)};
  std::unordered_set<std::string> seen{std::string(head)};
  std::string current(head);
  std::optional<std::string> timeline;
  while (stop_at.empty() || current != stop_at) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(current));
    if (!frame) return not_found("timeline frame " + current + " is not held");
    std::optional<std::string> tjp = frame->tjp_address();
    if (!tjp) return invalid_argument("timeline frame " + current + " belongs to no timeline");
    if (!timeline) timeline = tjp;
    if (*tjp != *timeline) {
      return invalid_argument("frame " + current + " belongs to timeline " + *tjp + ", not " + *timeline);
    }
    std::vector<std::string> past = frame->rel8d(kRel8nPast);
    if (past.empty()) {
      if (current != *timeline) return invalid_argument("timeline " + *timeline + " does not start at its tjp");
      break;
    }
    current = std::move(past.back());
    if (!seen.insert(current).second) return data_loss("timeline " + std::string(head) + " has a cycle at " + current);
    newest_first.push_back(current);
  }
  return newest_first;
}

}  // namespace

Result<std::vector<std::string>> timeline_frames(const RecordReader& reader, std::string_view head) {
  GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> frames, walk_back(reader, head, {}));
  std::reverse(frames.begin(), frames.end());
  return frames;
}

Result<bool> timeline_contains(const RecordReader& reader, std::string_view head, std::string_view ancestor) {
  if (head == ancestor) return true;
  // Stops at `ancestor`: checking a fast-forward of one frame on a
  // 10,000-frame timeline loads that one frame, not the whole history.
  GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> frames, walk_back(reader, head, ancestor));
  return frames.back() == ancestor;
}

IbGib make_stone(std::string ib, json::Object data, json::Object rel8ns) {
  IbGib stone;
  stone.ib = std::move(ib);
  if (!data.empty()) stone.data = std::move(data);
  if (!rel8ns.empty()) stone.rel8ns = std::move(rel8ns);
  // compute_gib only fails for malformed rel8ns, which we never build.
  stone.gib = *compute_gib(stone);
  return stone;
}

}  // namespace gibkit
