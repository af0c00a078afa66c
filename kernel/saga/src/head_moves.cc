// The one set of rules for moving a timeline head at Commit, applied by the
// receiver to what the sender asks and by the sender to what the receiver
// sent back: neither side takes the other's word for what a head may be.
#include "gibkit/record_graph.h"
#include "service_state.h"

namespace gibkit::saga {

Result<HeadUpdate> check_head_move(const SyncService::State& state, const RecordReader& reader, std::string_view tjp,
                                   std::string_view head, const std::optional<std::string>& expected,
                                   bool require_fast_forward) {
  GIBKIT_RETURN_IF_ERROR(Address::parse(tjp).status().with_context("timeline"));
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(head));
  if (!frame) return not_found("incomplete graph: new head " + std::string(head) + " was never sent");
  if (frame->tjp_address() != std::optional<std::string>(tjp)) {
    return invalid_argument("new head " + std::string(head) + " is not a frame of timeline " + std::string(tjp));
  }
  GIBKIT_RETURN_IF_ERROR(state.refuse_protected_timeline(tjp, *frame));
  if (expected && require_fast_forward) {
    // Walks frames actually held, never a frame's claimed list of its past.
    GIBKIT_ASSIGN_OR_RETURN(bool fast_forward, timeline_contains(reader, head, *expected));
    if (!fast_forward) {
      return aborted("commit would rewrite timeline " + std::string(tjp) + ": " + std::string(head) +
                     " does not descend from " + *expected);
    }
  }
  return HeadUpdate{std::string(tjp), std::string(head), expected.value_or(std::string())};
}

}  // namespace gibkit::saga
