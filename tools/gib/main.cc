// gib: the command-line tool for ibgib records and gibkit nodes. Dispatches
// to a subcommand; `--log-level LEVEL` may appear anywhere and sets the
// level of the structured log lines written on stderr.
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

#include "command.h"
#include "gibkit/log/log.h"
#include "local_api.h"

namespace {

void print_usage(std::ostream& out) {
  out << "usage: gib [--log-level error|warn|info|debug] <command> [options] [args]\n\ncommands:\n";
  for (const gibkit::tools::Command& command : gibkit::tools::commands()) {
    out << "  " << command.name << std::string(10 - std::min<std::size_t>(command.name.size(), 9), ' ')
        << command.summary << '\n';
  }
  out << "\nRun 'gib <command> --help' for a command's options. Commands that work on\n"
         "a node take --config FILE, the node's deployment (docs/config.md); when a\n"
         "gibd runs that deployment they run inside it, through its local API\n"
         "(FILE.sock; docs/operations.md), with the same output.\n";
}

// Removes `--log-level LEVEL` from `args` and applies it. False (after
// printing why) when the level is missing or unknown.
bool apply_log_level(std::vector<std::string_view>& args) {
  auto flag = std::find(args.begin(), args.end(), std::string_view("--log-level"));
  if (flag == args.end()) return true;
  if (flag + 1 == args.end()) {
    std::cerr << "gib: --log-level needs a value (error, warn, info or debug)\n";
    return false;
  }
  gibkit::Result<gibkit::log::Level> level = gibkit::log::parse_level(*(flag + 1));
  if (!level.ok()) {
    std::cerr << "gib: " << level.status().message() << '\n';
    return false;
  }
  gibkit::log::set_level(*level);
  args.erase(flag, flag + 2);
  return true;
}

int dispatch(std::vector<std::string_view> args) {
  if (!apply_log_level(args)) return gibkit::tools::kExitUsage;
  if (args.empty()) {
    print_usage(std::cerr);
    return gibkit::tools::kExitUsage;
  }
  if (args[0] == "--version") {
    std::cout << "gib " << GIBKIT_PROJECT_VERSION << '\n';
    return gibkit::tools::kExitOk;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(std::cout);
    return gibkit::tools::kExitOk;
  }
  for (const gibkit::tools::Command& command : gibkit::tools::commands()) {
    if (command.name != args[0]) continue;
    const std::span<const std::string_view> rest(args.data() + 1, args.size() - 1);
    for (std::string_view arg : rest) {
      if (arg == "--help" || arg == "-h") {
        std::cout << command.help;
        return gibkit::tools::kExitOk;
      }
    }
    // A gibd running this deployment holds its store: the command runs
    // there (same code, same output). hash and verify need no node.
    if (command.name != "hash" && command.name != "verify") {
      if (std::optional<int> forwarded = gibkit::tools::forward_to_gibd(args, std::cin, std::cout, std::cerr)) {
        return *forwarded;
      }
    }
    gibkit::tools::CommandIo io{std::cin, std::cout, std::cerr, isatty(STDERR_FILENO) == 1};
    return command.run(rest, io);
  }
  std::cerr << "gib: unknown command '" << args[0] << "'\n";
  print_usage(std::cerr);
  return gibkit::tools::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    return dispatch(std::vector<std::string_view>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "gib: internal error: " << e.what() << '\n';
    return gibkit::tools::kExitUsage;
  }
}
