// gib fork: start a new timeline, as ts-gib's firstGen does: fork the root
// ib^gib into a tjp frame (uuid + timestamp, n counter, dna), then, with
// --data, mut8 that frame to add the data. Both land in one batch.
#include <ostream>

#include "command.h"
#include "timeline_edit.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "fork";

// `linked`: the rel8ns the deployment links (linked_rel8ns), passed to both
// transforms as firstGen passes its linkedRel8ns; the fork of the root
// links nothing, so only the mut8 frame (and the dna records) show them.
Result<std::vector<TransformResult>> first_frames(const std::string& ib, const std::optional<json::Object>& to_add,
                                                  const std::vector<std::string>& linked) {
  ForkOptions fork_options;
  fork_options.dna = true;
  fork_options.n_counter = true;
  fork_options.dest_ib = ib;
  fork_options.tjp_uuid = true;
  fork_options.tjp_timestamp = true;
  fork_options.linked_rel8ns = linked;
  IbGib root;
  root.ib = "ib";
  root.gib = std::string(kPrimitiveGib);
  std::vector<TransformResult> steps;
  GIBKIT_ASSIGN_OR_RETURN(TransformResult genesis, fork(root, fork_options));
  steps.push_back(std::move(genesis));
  if (to_add) {
    Mut8Options mut8_options;
    mut8_options.dna = true;
    mut8_options.n_counter = true;
    mut8_options.linked_rel8ns = linked;
    mut8_options.data_to_add_or_patch = to_add;
    GIBKIT_ASSIGN_OR_RETURN(TransformResult with_data, mut8(steps.back().frame, mut8_options));
    steps.push_back(std::move(with_data));
  }
  return steps;
}

}  // namespace

int run_fork(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"--ib", true}, {"--data", true}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (!parsed->positionals().empty()) return usage_error(io, kName, "unexpected argument '" + parsed->positionals()[0] + "'");
  Result<std::string> ib = parsed->required("--ib");
  if (!ib.ok()) return usage_error(io, kName, ib.status().message());
  std::optional<json::Object> to_add;
  if (std::optional<std::string> data = parsed->value("--data")) {
    Result<json::Object> object = parse_json_object(*data, "--data");
    if (!object.ok()) return usage_error(io, kName, object.status().message());
    to_add = std::move(*object);
  }

  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::vector<TransformResult>> steps = first_frames(*ib, to_add, linked_rel8ns(session->deployment()));
  if (!steps.ok()) return usage_error(io, kName, steps.status().message());
  const std::string tjp = steps->front().frame.address();
  Result<std::string> head = store_frames(session->durable(), session->identity_frame_ibs(), tjp, "", *steps);
  if (!head.ok()) return report_failure(io, kName, head.status());
  io.out << *head << '\n';
  return kExitOk;
}

}  // namespace gibkit::tools
