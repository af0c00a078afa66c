#include "gibkit/saga/divergence.h"

#include "gibkit/record_graph.h"

namespace gibkit::saga {
namespace {

std::optional<json::Object> object_field(const json::Object& data, std::string_view key) {
  const json::Value* value = data.find(key);
  if (value == nullptr || !value->is_object()) return std::nullopt;
  return value->as_object();
}

std::optional<bool> bool_field(const json::Object& data, std::string_view key) {
  const json::Value* value = data.find(key);
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->as_bool();
}

// The options every dna record carries (ts-gib TransformOpts).
void read_common(const json::Object& data, TransformCommon& common) {
  common.dna = true;
  common.n_counter = bool_field(data, "nCounter");
  common.no_timestamp = bool_field(data, "noTimestamp");
  if (const json::Value* linked = data.find("linkedRel8ns"); linked != nullptr && linked->is_array()) {
    for (const json::Value& name : linked->as_array()) {
      if (name.is_string()) common.linked_rel8ns.push_back(name.as_string());
    }
  }
}

// Re-applies the transform recorded by `dna` to `base`; nullopt for
// transforms that cannot be replayed onto another frame (fork).
Result<std::optional<TransformResult>> reapply(const IbGib& base, const IbGib& dna, const TransformEnv& env) {
  if (!dna.data || !dna.data->is_object()) return std::optional<TransformResult>();
  const json::Object& data = dna.data->as_object();
  if (dna.ib == "mut8") {
    Mut8Options options;
    read_common(data, options);
    if (const json::Value* ib = data.find("mut8Ib"); ib != nullptr && ib->is_string()) options.mut8_ib = ib->as_string();
    options.data_to_rename = object_field(data, "dataToRename");
    options.data_to_remove = object_field(data, "dataToRemove");
    options.data_to_add_or_patch = object_field(data, "dataToAddOrPatch");
    GIBKIT_ASSIGN_OR_RETURN(TransformResult result, mut8(base, options, env));
    return std::optional<TransformResult>(std::move(result));
  }
  if (dna.ib == "rel8") {
    Rel8Options options;
    read_common(data, options);
    options.rel8ns_to_add = object_field(data, "rel8nsToAddByAddr");
    options.rel8ns_to_remove = object_field(data, "rel8nsToRemoveByAddr");
    GIBKIT_ASSIGN_OR_RETURN(TransformResult result, rel8(base, options, env));
    return std::optional<TransformResult>(std::move(result));
  }
  return std::optional<TransformResult>();
}

}  // namespace

Result<std::optional<Replay>> replay_onto(const RecordReader& reader, std::string_view base_head,
                                          std::string_view own_head, const TransformEnv& env) {
  GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> base_frames, timeline_frames(reader, base_head));
  GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> own_frames, timeline_frames(reader, own_head));
  std::size_t common = 0;
  while (common < base_frames.size() && common < own_frames.size() && base_frames[common] == own_frames[common]) {
    ++common;
  }
  if (common == 0) return std::optional<Replay>();  // no shared history at all

  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> base, reader.load(base_head));
  if (!base) return not_found("base head " + std::string(base_head) + " is not held");
  Replay replay;
  for (std::size_t i = common; i < own_frames.size(); ++i) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(own_frames[i]));
    if (!frame) return not_found("frame " + own_frames[i] + " is not held");
    std::vector<std::string> dna_addresses = frame->rel8d(kRel8nDna);
    if (dna_addresses.empty()) return std::optional<Replay>();
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> dna, reader.load(dna_addresses.back()));
    if (!dna) return std::optional<Replay>();
    GIBKIT_ASSIGN_OR_RETURN(std::optional<TransformResult> result, reapply(*base, *dna, env));
    if (!result) return std::optional<Replay>();
    if (result->dna) replay.records.push_back(*result->dna);
    replay.records.push_back(result->frame);
    base = std::move(result->frame);
  }
  replay.head = base->address();
  return std::optional<Replay>(std::move(replay));
}

}  // namespace gibkit::saga
