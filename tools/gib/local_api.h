// gibd's local API: while gibd runs a node it holds the node's LevelDB lock,
// so `gib` cannot open the store. Instead gibd listens on a Unix domain
// socket next to the deployment file and runs `gib` commands itself, with
// the very same command code (commands.cc) and a CommandIo bound to string
// streams, on its already-open node (NodeSession::serve_from). `gib` tries
// the socket first and opens the store directly only when no gibd answers,
// so the output is the same either way (docs/operations.md, "Local API").
//
// Socket: "<deployment file>.sock", the deployment's path made absolute and
// canonical (symlinks resolved) on both sides, mode 0600; gibd also checks
// the connecting process's uid (SO_PEERCRED) against its own euid.
//
// Protocol: one request per connection, binary frames (arbitrary bytes in
// argv and stdin, no escaping), integers big-endian:
//   request  "GIB1" u32 argc { u32 len, bytes }*argc  u64 stdin_len, bytes
//   reply    "GIB1" i32 exit  u64 stdout_len, bytes    u64 stderr_len, bytes
// argv is the command name and its arguments, with --config and file
// arguments made absolute by the client (gibd's working directory is not
// the caller's).
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/status.h"

namespace gibkit::tools {

// A request larger than this (`gib put` forwards its stdin) is refused; the
// caller is told to split its input or stop gibd.
inline constexpr std::size_t kLocalApiMaxRequestBytes = std::size_t{64} * 1024 * 1024;
// Commands running at once in gibd; one more is answered "busy" at once.
inline constexpr std::size_t kLocalApiMaxConcurrent = 8;

// The socket of the gibd running deployment `config`.
[[nodiscard]] std::filesystem::path local_api_socket(const std::filesystem::path& config);

struct ApiReply {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Sends one request. nullopt when no gibd listens at `socket` (no socket
// file, or a stale one: connection refused); an error when one answered but
// the exchange failed.
[[nodiscard]] Result<std::optional<ApiReply>> call_local_api(const std::filesystem::path& socket,
                                                             const std::vector<std::string>& argv,
                                                             std::string_view stdin_text);

// What `gib` does before running `args` (the command name, then its
// arguments) itself: when they name a deployment (--config) that a gibd
// serves, forwards them (and stdin when the command reads it), writes the
// reply to `out`/`err` and returns its exit code. nullopt: run locally.
[[nodiscard]] std::optional<int> forward_to_gibd(std::span<const std::string_view> args, std::istream& in,
                                                 std::ostream& out, std::ostream& err);

// The server side, run by gibd. Listens until destroyed; the destructor
// stops accepting, waits for the requests running and removes the socket.
class LocalApiServer {
 public:
  // `node` and `deployment` must outlive the server.
  [[nodiscard]] static Result<std::unique_ptr<LocalApiServer>> start(kernel::Node& node,
                                                                     const kernel::Deployment& deployment);
  LocalApiServer(const LocalApiServer&) = delete;
  LocalApiServer& operator=(const LocalApiServer&) = delete;
  ~LocalApiServer();

  [[nodiscard]] const std::filesystem::path& path() const noexcept;
  // Commands running now (at most kLocalApiMaxConcurrent).
  [[nodiscard]] std::size_t running() const noexcept;

 private:
  struct State;
  explicit LocalApiServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gibkit::tools
