// Error reporting and node opening shared by the subcommands.
#include <fstream>
#include <ostream>
#include <sstream>

#include "command.h"

namespace gibkit::tools {

Result<std::string> read_text(const std::string& file, CommandIo& io) {
  std::ostringstream text;
  if (file == "-") {
    text << io.in.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return invalid_argument("cannot read " + file);
    text << in.rdbuf();
  }
  return text.str();
}


int usage_error(CommandIo& io, std::string_view command, std::string_view message) {
  io.err << "gib " << command << ": " << message << " (see gib " << command << " --help)\n";
  return kExitUsage;
}

int report_failure(CommandIo& io, std::string_view command, const Status& status, int exit_code) {
  io.err << "gib " << command << ": " << status.message() << '\n';
  return exit_code;
}

int report_failure(CommandIo& io, std::string_view command, const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
      return report_failure(io, command, status, kExitInvalid);
    default:
      return report_failure(io, command, status, kExitFailed);
  }
}

std::unique_ptr<NodeSession> open_node(const Arguments& args, CommandIo& io, std::string_view command,
                                       int& exit_code) {
  Result<std::string> config = args.required(kConfigFlag.name);
  if (!config.ok()) {
    exit_code = usage_error(io, command, "missing --config FILE (the node's deployment)");
    return nullptr;
  }
  Result<std::unique_ptr<NodeSession>> session = NodeSession::open(*config);
  if (!session.ok()) {
    const bool bad_deployment = session.status().code() == StatusCode::kInvalidArgument;
    exit_code = report_failure(io, command, session.status(), bad_deployment ? kExitUsage : kExitFailed);
    return nullptr;
  }
  return std::move(session).value();
}

}  // namespace gibkit::tools
