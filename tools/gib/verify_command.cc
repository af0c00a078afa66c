// gib verify: intrinsic validation of records in files.
#include <fstream>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "command.h"
#include "gibkit/validate.h"

namespace gibkit::tools {
namespace {

struct Tally {
  std::size_t valid = 0;
  std::size_t invalid = 0;
};

void verify_stream(std::istream& in, std::string_view name, GibAlgorithm algorithm, Tally& tally, std::ostream& err) {
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<IbGib> record = IbGib::parse(line);
    const Status status = record.ok() ? validate_intrinsically(*record, algorithm) : record.status();
    if (status.ok()) {
      ++tally.valid;
    } else {
      ++tally.invalid;
      err << name << ':' << line_number << ": " << status.message() << '\n';
    }
  }
}

}  // namespace

int run_verify(std::span<const std::string_view> args, CommandIo& io) {
  GibAlgorithm algorithm = GibAlgorithm::kSha256V1;
  std::vector<std::string_view> files;
  for (std::string_view arg : args) {
    if (arg == "--legacy") {
      algorithm = GibAlgorithm::kSha256V1Legacy;
    } else if (arg.size() > 1 && arg.front() == '-') {
      io.err << "gib verify: unknown option '" << arg << "' (see gib verify --help)\n";
      return kExitUsage;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    io.err << "gib verify: no FILE given (see gib verify --help)\n";
    return kExitUsage;
  }
  Tally tally;
  bool io_error = false;
  for (std::string_view file : files) {
    if (file == "-") {
      verify_stream(io.in, "<stdin>", algorithm, tally, io.err);
      continue;
    }
    std::ifstream in{std::string(file)};
    if (!in) {
      io.err << "gib verify: cannot open " << file << '\n';
      io_error = true;
      continue;
    }
    verify_stream(in, file, algorithm, tally, io.err);
    if (in.bad()) {
      io.err << "gib verify: error reading " << file << '\n';
      io_error = true;
    }
  }
  io.err << tally.valid << " valid, " << tally.invalid << " invalid\n";
  if (io_error) return kExitUsage;
  return tally.invalid > 0 ? kExitInvalid : kExitOk;
}

}  // namespace gibkit::tools
