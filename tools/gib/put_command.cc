// gib put: store records read one JSON object per line.
//
// Every line is checked before anything is written: it must parse, be
// intrinsically valid, and have its dependencies (every related address that
// is not a primitive) either stored already or among the valid lines, so the
// space keeps holding complete graphs. Then the valid records are written in
// one atomic batch, or, with --all-or-nothing and any bad line, nothing is.
// Heads are not moved: put stores records (stones, or frames copied from
// elsewhere); timelines are edited with fork, mut8 and rel8.
#include <algorithm>
#include <fstream>
#include <istream>
#include <ostream>
#include <unordered_set>

#include "command.h"
#include "gibkit/record_graph.h"
#include "gibkit/validate.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "put";

struct ReadRecord {
  std::size_t line = 0;
  IbGib record;
};

struct Problem {
  std::size_t line = 0;
  std::string reason;
};

struct Input {
  std::vector<ReadRecord> valid;
  std::vector<Problem> problems;
};

Input read_records(std::istream& in) {
  Input input;
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<IbGib> record = IbGib::parse(line);
    const Status status = record.ok() ? validate_intrinsically(*record) : record.status();
    if (status.ok()) {
      input.valid.push_back({line_number, std::move(*record)});
    } else {
      input.problems.push_back({line_number, status.message()});
    }
  }
  return input;
}

// Moves records whose dependencies are neither stored nor among the valid
// records to the problems. Repeats until stable, since dropping one record
// may leave another that relates it without its dependency.
Status drop_incomplete(Space& space, Input& input) {
  for (bool dropped = true; dropped;) {
    dropped = false;
    std::unordered_set<std::string> in_batch;
    for (const ReadRecord& r : input.valid) in_batch.insert(r.record.address());
    std::vector<ReadRecord> complete;
    for (ReadRecord& r : input.valid) {
      std::string missing;
      for (const std::string& dependency : r.record.all_rel8d()) {
        if (is_primitive_address(dependency) || in_batch.contains(dependency)) continue;
        GIBKIT_ASSIGN_OR_RETURN(bool held, space.has(dependency));
        if (!held) {
          missing = dependency;
          break;
        }
      }
      if (missing.empty()) {
        complete.push_back(std::move(r));
      } else {
        input.problems.push_back({r.line, "relates " + missing + ", which is neither stored nor in the input"});
        dropped = true;
      }
    }
    input.valid = std::move(complete);
  }
  return Status();
}

}  // namespace

int run_put(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"--all-or-nothing", false}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (parsed->positionals().size() > 1) return usage_error(io, kName, "expected at most one FILE");
  const std::string file = parsed->positionals().empty() ? "-" : parsed->positionals()[0];
  std::ifstream file_in;
  if (file != "-") {
    file_in.open(file);
    if (!file_in) return report_failure(io, kName, not_found("cannot open " + file), kExitUsage);
  }
  std::istream& in = file == "-" ? io.in : file_in;
  const std::string name = file == "-" ? "<stdin>" : file;

  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Input input = read_records(in);
  if (in.bad()) return report_failure(io, kName, unavailable("error reading " + name), kExitUsage);
  if (Status checked = drop_incomplete(session->durable(), input); !checked.ok()) {
    return report_failure(io, kName, checked, kExitFailed);
  }
  std::sort(input.problems.begin(), input.problems.end(), [](const Problem& a, const Problem& b) { return a.line < b.line; });
  for (const Problem& problem : input.problems) io.err << name << ':' << problem.line << ": " << problem.reason << '\n';

  const bool refuse_all = parsed->has("--all-or-nothing") && !input.problems.empty();
  WriteBatch batch;
  if (!refuse_all) {
    for (const ReadRecord& r : input.valid) batch.puts.push_back({r.record.address(), r.record.to_json_text()});
  }
  if (!batch.empty()) {
    if (Status written = session->durable().write(batch); !written.ok()) {
      return report_failure(io, kName, written.with_context("nothing was stored"), kExitFailed);
    }
  }
  io.err << batch.puts.size() << " stored, " << input.problems.size() << " invalid"
         << (refuse_all ? " (--all-or-nothing: nothing stored)" : "") << '\n';
  return input.problems.empty() ? kExitOk : kExitInvalid;
}

}  // namespace gibkit::tools
