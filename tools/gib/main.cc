// gib: the command-line tool for ibgib records. Dispatches to a subcommand.
#include <exception>
#include <iostream>
#include <string_view>
#include <vector>

#include "command.h"

namespace {

void print_usage(std::ostream& out) {
  out << "usage: gib <command> [options] [args]\n\ncommands:\n";
  for (const gibkit::tools::Command& command : gibkit::tools::commands()) {
    out << "  " << command.name << std::string(10 - std::min<std::size_t>(command.name.size(), 9), ' ')
        << command.summary << '\n';
  }
  out << "\nRun 'gib <command> --help' for a command's options.\n";
}

int dispatch(std::vector<std::string_view> args) {
  if (args.empty()) {
    print_usage(std::cerr);
    return gibkit::tools::kExitUsage;
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
    gibkit::tools::CommandIo io{std::cin, std::cout, std::cerr};
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
