// One `gib` subcommand. Subcommands register themselves in the table in
// commands.cc; each receives its arguments after the command name.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace gibkit::tools {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // the input was read, and some of it is bad
inline constexpr int kExitUsage = 2;    // bad arguments or unreadable files

struct CommandIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `gib --help`
  std::string_view help;     // full text for `gib <cmd> --help`
  int (*run)(std::span<const std::string_view> args, CommandIo& io);
};

// All subcommands, in the order `gib --help` lists them.
[[nodiscard]] std::span<const Command> commands();

int run_hash(std::span<const std::string_view> args, CommandIo& io);
int run_verify(std::span<const std::string_view> args, CommandIo& io);

}  // namespace gibkit::tools
