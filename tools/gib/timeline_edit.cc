#include "timeline_edit.h"

#include <algorithm>

#include "gibkit/identity/identity_registry.h"
#include "gibkit/json.h"
#include "gibkit/record_graph.h"
#include "gibkit/saga/saga_log.h"

namespace gibkit::tools {

Result<TimelineHead> find_timeline_head(Space& space, std::string_view address) {
  GIBKIT_RETURN_IF_ERROR(Address::parse(address).status());
  const RecordReader reader({&space});
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> record, reader.load(address));
  if (!record) return not_found("no record " + std::string(address) + " in this node");
  std::optional<std::string> tjp = record->tjp_address();
  if (!tjp) return failed_precondition(std::string(address) + " is not a timeline frame (it has no tjp); fork it first");
  // Data timelines first, then the protected namespace (identities, saga
  // logs), which may be read but never edited (see refuse_protected).
  std::optional<std::string> head;
  for (const std::string& key : {*tjp, identity::identity_head_key(*tjp), saga::saga_log_head_key(*tjp)}) {
    GIBKIT_ASSIGN_OR_RETURN(head, space.head(key));
    if (head) break;
  }
  if (!head) return not_found("timeline " + *tjp + " has no head in this node");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(*head));
  if (!frame) return data_loss("the head " + *head + " of timeline " + *tjp + " is not stored");
  return TimelineHead{*tjp, std::move(*frame)};
}

Result<std::string> store_frames(Space& space, const std::vector<std::string>& identity_ibs, const std::string& tjp,
                                 const std::string& expected_head, const std::vector<TransformResult>& steps) {
  if (steps.empty()) return internal_error("store_frames: nothing to store");
  for (const TransformResult& step : steps) {
    GIBKIT_RETURN_IF_ERROR(refuse_protected(space, tjp, step.frame.ib, identity_ibs));
  }
  WriteBatch batch;
  for (const TransformResult& step : steps) {
    // A fork of the root links no dna (the reference gives it no rel8ns);
    // an unlinked dna record would only be an orphan, so it is not stored.
    const std::vector<std::string> linked = step.frame.rel8d(kRel8nDna);
    if (step.dna && std::find(linked.begin(), linked.end(), step.dna->address()) != linked.end()) {
      batch.puts.push_back({step.dna->address(), step.dna->to_json_text()});
    }
    batch.puts.push_back({step.frame.address(), step.frame.to_json_text()});
  }
  const std::string new_head = steps.back().frame.address();
  batch.heads.push_back(HeadUpdate{tjp, new_head, expected_head});
  Status written = space.write(batch);
  if (written.code() == StatusCode::kAborted) {
    return aborted("timeline " + tjp + " moved while it was being edited; nothing was stored, try again");
  }
  GIBKIT_RETURN_IF_ERROR(written);
  return new_head;
}

Status refuse_protected(Space& space, const std::string& tjp, std::string_view frame_ib,
                        const std::vector<std::string>& identity_ibs) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> identity, space.head(identity::identity_head_key(tjp)));
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> saga_log, space.head(saga::saga_log_head_key(tjp)));
  if (!identity && !saga_log) {
    if (std::find(identity_ibs.begin(), identity_ibs.end(), frame_ib) != identity_ibs.end()) {
      return permission_denied("\"" + std::string(frame_ib) + "\" is the ib of identity frames: an identity timeline " +
                               "is made and moved by its signer only (gib keystone create), never by an edit");
    }
    return {};
  }
  return permission_denied("timeline " + tjp + " is " + (identity ? "an identity" : "a saga log") +
                           ": it moves only through its signer's verified evolution, never by an edit");
}

Result<std::string> evolve_timeline(Space& space, const std::vector<std::string>& identity_ibs,
                                    std::string_view address, const FrameTransform& transform) {
  GIBKIT_ASSIGN_OR_RETURN(TimelineHead head, find_timeline_head(space, address));
  GIBKIT_RETURN_IF_ERROR(refuse_protected(space, head.tjp, head.frame.ib, identity_ibs));
  GIBKIT_ASSIGN_OR_RETURN(TransformResult step, transform(head.frame));
  return store_frames(space, identity_ibs, head.tjp, head.frame.address(), {std::move(step)});
}

std::vector<std::string> linked_rel8ns(const kernel::Deployment& deployment) {
  auto section = deployment.sections.find("timelines");
  return linked_rel8ns_from(section != deployment.sections.end() ? &section->second : nullptr);
}

Result<json::Object> parse_json_object(std::string_view text, std::string_view what) {
  Result<json::Value> value = json::parse(text);
  if (!value.ok()) return value.status().with_context(std::string(what) + " is not valid JSON");
  if (!value->is_object()) return invalid_argument(std::string(what) + " must be a JSON object");
  return std::move(value->as_object());
}

}  // namespace gibkit::tools
