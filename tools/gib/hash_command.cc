// gib hash: one gib per input line.
#include <istream>
#include <ostream>
#include <string>

#include "command.h"
#include "gibkit/gib_hash.h"

namespace gibkit::tools {

int run_hash(std::span<const std::string_view> args, CommandIo& io) {
  GibAlgorithm algorithm = GibAlgorithm::kSha256V1;
  for (std::string_view arg : args) {
    if (arg == "--legacy") {
      algorithm = GibAlgorithm::kSha256V1Legacy;
    } else {
      io.err << "gib hash: unexpected argument '" << arg << "' (see gib hash --help)\n";
      return kExitUsage;
    }
  }
  int exit_code = kExitOk;
  std::size_t line_number = 0;
  for (std::string line; std::getline(io.in, line);) {
    ++line_number;
    Result<IbGib> record = IbGib::parse(line);
    Result<std::string> gib = record.ok() ? compute_gib(*record, algorithm) : Result<std::string>(record.status());
    if (gib.ok()) {
      io.out << *gib << '\n';
    } else {
      io.out << '\n';
      io.err << "gib hash: line " << line_number << ": " << gib.status().message() << '\n';
      exit_code = kExitInvalid;
    }
  }
  io.out.flush();
  if (io.in.bad()) {
    io.err << "gib hash: error reading stdin\n";
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace gibkit::tools
