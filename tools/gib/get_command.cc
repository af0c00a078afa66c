// gib get: print one stored record.
#include <ostream>

#include "address_lookup.h"
#include "command.h"
#include "gibkit/ibgib.h"

namespace gibkit::tools {
namespace {
constexpr std::string_view kName = "get";
}  // namespace

int run_get(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (parsed->positionals().size() != 1) return usage_error(io, kName, "expected one ADDRESS");
  const std::string& name = parsed->positionals()[0];
  if (name.find('^') != std::string::npos) {
    if (Status valid = Address::parse(name).status(); !valid.ok()) return usage_error(io, kName, valid.message());
  }

  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::string> resolved = resolve_address(session->durable(), name, /*by_timeline=*/false);
  if (!resolved.ok()) return report_failure(io, kName, resolved.status());
  const std::string& address = *resolved;
  Result<std::optional<std::string>> record = session->durable().get(address);
  if (!record.ok()) return report_failure(io, kName, record.status(), kExitFailed);
  if (!*record) return report_failure(io, kName, not_found("no record " + address + " in this node"));
  io.out << **record << '\n';
  return kExitOk;
}

}  // namespace gibkit::tools
