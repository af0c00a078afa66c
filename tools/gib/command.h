// One `gib` subcommand. Subcommands register themselves in the table in
// commands.cc; each receives its arguments after the command name.
#pragma once

#include <iosfwd>
#include <memory>
#include <span>
#include <string_view>

#include "arguments.h"
#include "gibkit/status.h"
#include "node_session.h"

namespace gibkit::tools {

// Exit codes shared by every subcommand (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // the input was read, and some of it is bad, or the record is absent
inline constexpr int kExitUsage = 2;    // bad arguments, deployment or unreadable files
inline constexpr int kExitFailed = 3;   // the operation failed: node locked or unreachable, storage, sync

struct CommandIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // progress may redraw one line
};

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `gib --help`
  std::string_view help;     // full text for `gib <cmd> --help`
  int (*run)(std::span<const std::string_view> args, CommandIo& io);
};

// All subcommands, in the order `gib --help` lists them.
[[nodiscard]] std::span<const Command> commands();

// Prints "gib <command>: <message> (see gib <command> --help)"; returns kExitUsage.
int usage_error(CommandIo& io, std::string_view command, std::string_view message);
// Prints "gib <command>: <status message>"; returns `exit_code`.
int report_failure(CommandIo& io, std::string_view command, const Status& status, int exit_code);
// As above, with the exit code the status implies: kExitInvalid when the
// input or the record named is at fault (invalid argument, not found, not a
// timeline), kExitFailed otherwise (storage, a lost compare-and-swap, peers).
int report_failure(CommandIo& io, std::string_view command, const Status& status);

// The whole text of `file`, or of standard input when it is "-";
// kInvalidArgument "cannot read FILE" when it cannot be read.
[[nodiscard]] Result<std::string> read_text(const std::string& file, CommandIo& io);

// Opens the node of --config. A missing flag or a deployment that does not
// load is a usage error; anything else (a locked space, a plugin failing to
// start) a failure. On error, prints why and sets `exit_code`.
[[nodiscard]] std::unique_ptr<NodeSession> open_node(const Arguments& args, CommandIo& io, std::string_view command,
                                                     int& exit_code);

int run_hash(std::span<const std::string_view> args, CommandIo& io);
int run_verify(std::span<const std::string_view> args, CommandIo& io);
int run_put(std::span<const std::string_view> args, CommandIo& io);
int run_get(std::span<const std::string_view> args, CommandIo& io);
int run_fork(std::span<const std::string_view> args, CommandIo& io);
int run_mut8(std::span<const std::string_view> args, CommandIo& io);
int run_rel8(std::span<const std::string_view> args, CommandIo& io);
int run_log(std::span<const std::string_view> args, CommandIo& io);
int run_keystone(std::span<const std::string_view> args, CommandIo& io);
int run_sync(std::span<const std::string_view> args, CommandIo& io);
int run_fsck(std::span<const std::string_view> args, CommandIo& io);
int run_ls(std::span<const std::string_view> args, CommandIo& io);
int run_sagas(std::span<const std::string_view> args, CommandIo& io);

}  // namespace gibkit::tools
