// gib rel8: link a timeline's latest frame to other records by name.
#include <ostream>

#include "command.h"
#include "gibkit/record_graph.h"
#include "timeline_edit.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "rel8";

// NAME=ADDRESS pairs grouped by name, in the order given.
Result<json::Object> rel8ns_from(const std::vector<std::string>& pairs) {
  if (pairs.empty()) return invalid_argument("nothing to relate: give --rel8n NAME=ADDRESS");
  json::Object rel8ns;
  for (const std::string& pair : pairs) {
    const std::size_t equals = pair.find('=');
    if (equals == 0 || equals == std::string::npos || equals + 1 == pair.size()) {
      return invalid_argument("--rel8n '" + pair + "' is not NAME=ADDRESS");
    }
    const std::string target = pair.substr(equals + 1);
    GIBKIT_RETURN_IF_ERROR(Address::parse(target).status().with_context("--rel8n " + pair));
    json::Value& list = rel8ns[pair.substr(0, equals)];
    if (list.is_null()) list = json::Array{};
    list.as_array().emplace_back(target);
  }
  return rel8ns;
}

// The node must hold what it relates: its space keeps every record's
// dependencies, which a sync relies on to send complete graphs.
Status check_targets_held(Space& space, const json::Object& rel8ns) {
  for (const auto& [name, list] : rel8ns) {
    for (const json::Value& target : list.as_array()) {
      const std::string& address = target.as_string();
      if (is_primitive_address(address)) continue;
      GIBKIT_ASSIGN_OR_RETURN(bool held, space.has(address));
      if (!held) return not_found("cannot relate " + address + " (" + name + "): it is not stored in this node");
    }
  }
  return Status();
}

}  // namespace

int run_rel8(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"--rel8n", true}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (parsed->positionals().size() != 1) return usage_error(io, kName, "expected one ADDRESS");
  Result<json::Object> rel8ns = rel8ns_from(parsed->values("--rel8n"));
  if (!rel8ns.ok()) return usage_error(io, kName, rel8ns.status().message());

  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Status held = check_targets_held(session->durable(), *rel8ns);
  if (!held.ok()) return report_failure(io, kName, held);
  Rel8Options options;
  options.dna = true;
  options.n_counter = true;
  options.linked_rel8ns = linked_rel8ns(session->deployment());
  options.rel8ns_to_add = *rel8ns;
  Result<std::string> head = evolve_timeline(session->durable(), session->identity_frame_ibs(), parsed->positionals()[0],
                                             [&](const IbGib& latest) { return rel8(latest, options); });
  if (!head.ok()) return report_failure(io, kName, head.status());
  io.out << *head << '\n';
  return kExitOk;
}

}  // namespace gibkit::tools
