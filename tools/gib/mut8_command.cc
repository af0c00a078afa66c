// gib mut8: change the data of a timeline's latest frame.
#include <ostream>

#include "command.h"
#include "timeline_edit.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "mut8";

Result<Mut8Options> options_from(const Arguments& args) {
  Mut8Options options;
  options.dna = true;
  options.n_counter = true;
  if (std::optional<std::string> data = args.value("--data")) {
    GIBKIT_ASSIGN_OR_RETURN(options.data_to_add_or_patch, parse_json_object(*data, "--data"));
  }
  const std::vector<std::string> removed = args.values("--remove");
  if (!removed.empty()) {
    json::Object to_remove;
    for (const std::string& key : removed) to_remove.set(key, json::Value(""));
    options.data_to_remove = std::move(to_remove);
  }
  if (!options.data_to_add_or_patch && !options.data_to_remove) {
    return invalid_argument("nothing to change: give --data JSON and/or --remove KEY");
  }
  return options;
}

}  // namespace

int run_mut8(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"--data", true}, {"--remove", true}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (parsed->positionals().size() != 1) return usage_error(io, kName, "expected one ADDRESS");
  Result<Mut8Options> options = options_from(*parsed);
  if (!options.ok()) return usage_error(io, kName, options.status().message());

  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  options->linked_rel8ns = linked_rel8ns(session->deployment());
  Result<std::string> head = evolve_timeline(session->durable(), session->identity_frame_ibs(), parsed->positionals()[0],
                                             [&](const IbGib& latest) { return mut8(latest, *options); });
  if (!head.ok()) return report_failure(io, kName, head.status());
  io.out << *head << '\n';
  return kExitOk;
}

}  // namespace gibkit::tools
