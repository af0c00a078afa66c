#include "local_api.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <istream>
#include <iterator>
#include <list>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>
#include <utility>

#include "command.h"
#include "gibkit/log/log.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kMagic = "GIB1";
// A client that connects and then stalls must not hold one of the few
// request slots for ever.
constexpr int kReceiveTimeoutSeconds = 60;

std::string errno_text(int error) { return std::strerror(error); }

// Closes a descriptor on every path out of a scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}
void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

Status send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return unavailable("local API: cannot send: " + errno_text(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return Status();
}

// Reads and drops what the peer still sends, up to `limit` bytes and for at
// most a second, until it closes. Closing a socket with unread input makes
// the kernel report the connection reset to the peer, which may then lose
// the answer it has not read yet (a malformed request's, say; found by
// e2e.local_api): so the answer is sent, our side shut for writing, and the
// rest read first -- briefly, so that a peer that keeps sending cannot hold
// the worker.
void drain(int fd, std::size_t limit) {
  ::shutdown(fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  char buffer[4096];
  while (limit > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd ready{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&ready, 1, static_cast<int>(left)) <= 0) return;
    const ssize_t got = ::read(fd, buffer, std::min(sizeof buffer, limit));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;
    limit -= static_cast<std::size_t>(got);
  }
}

// Reads exactly `size` bytes appended to `out`.
Status read_exact(int fd, std::size_t size, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::read(fd, out.data() + start + done, size - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return unavailable("local API: cannot read: " +
                         (errno == EAGAIN || errno == EWOULDBLOCK ? std::string("timed out") : errno_text(errno)));
    }
    if (got == 0) return unavailable("local API: the connection closed mid-message");
    done += static_cast<std::size_t>(got);
  }
  return Status();
}

Result<std::uint64_t> read_uint(int fd, std::size_t bytes) {
  std::string raw;
  GIBKIT_RETURN_IF_ERROR(read_exact(fd, bytes, raw));
  std::uint64_t value = 0;
  for (unsigned char c : raw) value = (value << 8) | c;
  return value;
}

Status read_magic(int fd) {
  std::string magic;
  GIBKIT_RETURN_IF_ERROR(read_exact(fd, kMagic.size(), magic));
  if (magic != kMagic) return invalid_argument("local API: not a gibkit local API message");
  return Status();
}

Result<sockaddr_un> socket_address(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof(address.sun_path)) {
    return invalid_argument("local API socket path " + text + " is longer than " +
                            std::to_string(sizeof(address.sun_path) - 1) + " bytes");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return address;
}

// 0 connected, else the connect errno.
int connect_to(const sockaddr_un& address, Fd& fd) {
  fd = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return errno;
  return 0;
}

std::string encode_reply(const ApiReply& reply) {
  std::string bytes(kMagic);
  put_u32(bytes, static_cast<std::uint32_t>(reply.exit_code));
  put_u64(bytes, reply.out.size());
  bytes += reply.out;
  put_u64(bytes, reply.err.size());
  bytes += reply.err;
  return bytes;
}

// The exit codes of command.h by name, for the log.
std::string_view outcome_name(int exit_code) {
  switch (exit_code) {
    case kExitOk: return "ok";
    case kExitInvalid: return "invalid";
    case kExitUsage: return "usage";
    case kExitFailed: return "failed";
    default: return "other";
  }
}

std::string mib(std::size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

// The value of --config in a command's arguments (the flag's value is the
// next argument, as Arguments parses it).
std::optional<std::string> config_of(std::span<const std::string_view> args) {
  std::optional<std::string> found;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--") break;
    if (args[i] == kConfigFlag.name) found = std::string(args[++i]);
  }
  return found;
}

// Flags of the node commands that take a value, so that their values are not
// mistaken for positional arguments below.
bool takes_value(std::string_view flag) {
  static constexpr std::string_view kValueFlags[] = {"--config", "--data", "--remove", "--rel8n",
                                                     "--ib",     "--preset", "--peer", "--peer-domain"};
  return std::find(std::begin(kValueFlags), std::end(kValueFlags), flag) != std::end(kValueFlags);
}

// The request for `args` as gibd must see it: gibd's working directory is
// not ours, so --config and the file arguments (put RECORDS, keystone
// export/trust/recover FILE) are made absolute; and whether the command
// reads stdin (then it is forwarded; never otherwise, so that `gib ls` on a
// terminal does not wait for input).
struct Forwarded {
  std::vector<std::string> argv;
  bool reads_stdin = false;
};

Forwarded plan_request(std::span<const std::string_view> args) {
  Forwarded plan;
  std::vector<std::size_t> positionals;  // indexes into plan.argv
  bool flags_done = false;
  plan.argv.emplace_back(args[0]);
  for (std::size_t i = 1; i < args.size(); ++i) {
    plan.argv.emplace_back(args[i]);
    if (!flags_done && args[i] == "--") {
      flags_done = true;
    } else if (!flags_done && args[i].starts_with("--")) {
      if (takes_value(args[i]) && i + 1 < args.size()) {
        plan.argv.emplace_back(args[++i]);
        if (args[i - 1] == kConfigFlag.name) {
          plan.argv.back() = std::filesystem::absolute(plan.argv.back()).string();
        }
      }
    } else {
      positionals.push_back(plan.argv.size() - 1);
    }
  }
  std::optional<std::size_t> file;  // the positional naming a file, if any
  const std::string& command = plan.argv[0];
  if (command == "put") {
    if (positionals.empty()) plan.reads_stdin = true;
    else file = positionals[0];
  } else if (command == "keystone" && positionals.size() >= 2) {
    const std::string& action = plan.argv[positionals[0]];
    if (action == "export" || action == "trust" || action == "recover") file = positionals[1];
  }
  if (file) {
    std::string& name = plan.argv[*file];
    if (name == "-") {
      plan.reads_stdin = command != "keystone" || plan.argv[positionals[0]] != "export";
    } else {
      name = std::filesystem::absolute(name).string();
    }
  }
  return plan;
}

}  // namespace

std::filesystem::path local_api_socket(const std::filesystem::path& config) {
  std::error_code error;
  std::filesystem::path file = std::filesystem::weakly_canonical(std::filesystem::absolute(config), error);
  if (error) file = std::filesystem::absolute(config);
  return file.string() + ".sock";
}

Result<std::optional<ApiReply>> call_local_api(const std::filesystem::path& socket, const std::vector<std::string>& argv,
                                               std::string_view stdin_text) {
  GIBKIT_ASSIGN_OR_RETURN(sockaddr_un address, socket_address(socket));
  Fd fd;
  if (const int error = connect_to(address, fd); error != 0) {
    // No gibd: no socket, or the file of one that died (kill -9).
    if (error == ENOENT || error == ECONNREFUSED) return std::optional<ApiReply>();
    return unavailable("cannot connect to gibd's local API at " + socket.string() + ": " + errno_text(error));
  }
  std::string request(kMagic);
  put_u32(request, static_cast<std::uint32_t>(argv.size()));
  for (const std::string& arg : argv) {
    put_u32(request, static_cast<std::uint32_t>(arg.size()));
    request += arg;
  }
  put_u64(request, stdin_text.size());
  request += stdin_text;
  // A refusal (busy, too large, another uid) is answered without reading the
  // whole request: the reply is still there to read after a failed send.
  const Status sent = send_all(fd.get(), request);
  ::shutdown(fd.get(), SHUT_WR);
  auto read_reply = [&]() -> Result<ApiReply> {
    GIBKIT_RETURN_IF_ERROR(read_magic(fd.get()));
    ApiReply reply;
    GIBKIT_ASSIGN_OR_RETURN(std::uint64_t exit_code, read_uint(fd.get(), 4));
    reply.exit_code = static_cast<int>(static_cast<std::int32_t>(exit_code));
    GIBKIT_ASSIGN_OR_RETURN(std::uint64_t out_size, read_uint(fd.get(), 8));
    GIBKIT_RETURN_IF_ERROR(read_exact(fd.get(), out_size, reply.out));
    GIBKIT_ASSIGN_OR_RETURN(std::uint64_t err_size, read_uint(fd.get(), 8));
    GIBKIT_RETURN_IF_ERROR(read_exact(fd.get(), err_size, reply.err));
    return reply;
  };
  Result<ApiReply> reply = read_reply();
  if (!reply.ok()) {
    const Status& why = sent.ok() ? reply.status() : sent;
    return why.with_context("gibd at " + socket.string() + " did not answer");
  }
  return std::optional<ApiReply>(std::move(reply).value());
}

std::optional<int> forward_to_gibd(std::span<const std::string_view> args, std::istream& in, std::ostream& out,
                                   std::ostream& err) {
  if (args.empty()) return std::nullopt;
  const std::optional<std::string> config = config_of(args.subspan(1));
  if (!config) return std::nullopt;  // the command reports the missing flag itself
  const Forwarded plan = plan_request(args);
  const std::filesystem::path socket = local_api_socket(*config);
  std::error_code error;
  if (!std::filesystem::exists(socket, error)) return std::nullopt;
  std::string input;
  if (plan.reads_stdin) {
    // Read up to one byte over the limit: enough to know it is too large.
    input.resize(kLocalApiMaxRequestBytes + 1);
    in.read(input.data(), static_cast<std::streamsize>(input.size()));
    input.resize(static_cast<std::size_t>(in.gcount()));
    if (input.size() > kLocalApiMaxRequestBytes) {
      err << "gib " << args[0] << ": the input is larger than the " << mib(kLocalApiMaxRequestBytes)
          << " gibd's local API takes (gibd runs on " << *config << "); split it\n";
      return kExitUsage;
    }
  }
  Result<std::optional<ApiReply>> reply = call_local_api(socket, plan.argv, input);
  if (!reply.ok()) {
    err << "gib " << args[0] << ": " << reply.status().message() << '\n';
    return kExitFailed;
  }
  if (!*reply) return std::nullopt;
  out << (*reply)->out << std::flush;
  err << (*reply)->err << std::flush;
  return (*reply)->exit_code;
}

// --- server ---

struct LocalApiServer::State {
  kernel::Node* node = nullptr;
  std::filesystem::path deployment_file;  // canonical
  std::filesystem::path path;
  Fd listener;
  Fd wake_read, wake_write;  // the destructor wakes the accept loop
  std::thread acceptor;

  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::mutex workers_mutex;
  std::list<Worker> workers;
  std::atomic<std::size_t> active{0};

  void accept_loop();
  void serve(int fd, const ucred& peer);
  ApiReply run(std::vector<std::string> argv, std::string input);
  void reap(bool all);
};

void LocalApiServer::State::reap(bool all) {
  std::lock_guard lock(workers_mutex);
  for (auto it = workers.begin(); it != workers.end();) {
    if (all || it->done) {
      it->thread.join();
      it = workers.erase(it);
    } else {
      ++it;
    }
  }
}

void LocalApiServer::State::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("local_api.failed", {{"socket", path.string()}, {"error", errno_text(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    Fd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.get() < 0) continue;
    reap(false);

    ucred peer{};
    socklen_t size = sizeof peer;
    if (::getsockopt(connection.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != ::geteuid()) {
      log::warn("local_api.refused", {{"socket", path.string()}, {"uid", static_cast<std::int64_t>(peer.uid)}});
      (void)send_all(connection.get(),
                     encode_reply({kExitFailed, "",
                                   "gib: gibd refuses uid " + std::to_string(peer.uid) +
                                       ": only its own user (uid " + std::to_string(::geteuid()) +
                                       ") may use its local API\n"}));
      continue;
    }
    if (active.load() >= kLocalApiMaxConcurrent) {
      (void)send_all(connection.get(),
                     encode_reply({kExitFailed, "",
                                   "gib: gibd is busy: " + std::to_string(kLocalApiMaxConcurrent) +
                                       " local API requests are running; try again\n"}));
      continue;
    }
    ++active;
    std::lock_guard lock(workers_mutex);
    Worker& worker = workers.emplace_back();
    worker.thread = std::thread([this, &worker, peer, fd = std::make_shared<Fd>(std::move(connection))] {
      serve(fd->get(), peer);
      fd->reset();
      --active;
      worker.done = true;
    });
  }
}

void LocalApiServer::State::serve(int fd, const ucred& peer) {
  timeval timeout{kReceiveTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::vector<std::string> argv;
  std::string input;
  std::size_t budget = kLocalApiMaxRequestBytes;
  auto too_large = [&] {
    return unavailable("the request is larger than the " + mib(kLocalApiMaxRequestBytes) +
                       " gibd's local API takes; split the input");
  };
  auto read_request = [&]() -> Status {
    GIBKIT_RETURN_IF_ERROR(read_magic(fd));
    GIBKIT_ASSIGN_OR_RETURN(std::uint64_t argc, read_uint(fd, 4));
    if (argc == 0 || argc * 4 > budget) return invalid_argument("local API: bad argument count");
    for (std::uint64_t i = 0; i < argc; ++i) {
      GIBKIT_ASSIGN_OR_RETURN(std::uint64_t size, read_uint(fd, 4));
      if (size > budget) return too_large();
      budget -= size;
      GIBKIT_RETURN_IF_ERROR(read_exact(fd, size, argv.emplace_back()));
    }
    GIBKIT_ASSIGN_OR_RETURN(std::uint64_t size, read_uint(fd, 8));
    if (size > budget) return too_large();
    return read_exact(fd, size, input);
  };
  if (Status read = read_request(); !read.ok()) {
    log::warn("local_api.bad_request", {{"socket", path.string()}, {"error", read.message()}});
    if (send_all(fd, encode_reply({kExitUsage, "", "gib: " + read.message() + '\n'})).ok()) {
      drain(fd, kLocalApiMaxRequestBytes);
    }
    return;
  }
  const std::string command = argv.front();
  const auto started = std::chrono::steady_clock::now();
  ApiReply reply = run(std::move(argv), std::move(input));
  // One line per forwarded command: who ran what on the node, and how it
  // went (the command's own output goes back to gib only).
  log::info("local_api.command",
            {{"command", command},
             {"uid", static_cast<std::int64_t>(peer.uid)},
             {"pid", static_cast<std::int64_t>(peer.pid)},
             {"outcome", outcome_name(reply.exit_code)},
             {"exit", reply.exit_code},
             {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                        .count()}});
  if (Status sent = send_all(fd, encode_reply(reply)); !sent.ok()) {
    log::warn("local_api.reply_failed", {{"command", command}, {"error", sent.message()}});
  }
}

ApiReply LocalApiServer::State::run(std::vector<std::string> argv, std::string input) {
  ApiReply reply;
  const std::vector<std::string_view> args(argv.begin(), argv.end());
  const std::span<const std::string_view> rest(args.data() + 1, args.size() - 1);
  // The socket is derived from the deployment file, so another file here
  // means a symlink or copy: refuse rather than act on the wrong node.
  if (const std::optional<std::string> config = config_of(rest); config) {
    std::error_code error;
    const std::filesystem::path named = std::filesystem::weakly_canonical(*config, error);
    if (error || named != deployment_file) {
      reply.exit_code = kExitUsage;
      reply.err = "gib " + argv[0] + ": this gibd runs " + deployment_file.string() + ", not " + *config + '\n';
      return reply;
    }
  }
  for (const Command& command : commands()) {
    if (command.name != args[0]) continue;
    std::istringstream in(std::move(input));
    std::ostringstream out, err;
    CommandIo io{in, out, err, /*err_is_terminal=*/false};
    try {
      reply.exit_code = command.run(rest, io);
    } catch (const std::exception& e) {
      err << "gib: internal error: " << e.what() << '\n';
      reply.exit_code = kExitUsage;
    }
    reply.out = std::move(out).str();
    reply.err = std::move(err).str();
    return reply;
  }
  reply.exit_code = kExitUsage;
  reply.err = "gib: unknown command '" + argv[0] + "'\n";
  return reply;
}

Result<std::unique_ptr<LocalApiServer>> LocalApiServer::start(kernel::Node& node,
                                                              const kernel::Deployment& deployment) {
  auto state = std::make_unique<State>();
  state->node = &node;
  state->path = local_api_socket(deployment.file);
  std::error_code error;
  state->deployment_file = std::filesystem::weakly_canonical(std::filesystem::absolute(deployment.file), error);
  GIBKIT_ASSIGN_OR_RETURN(sockaddr_un address, socket_address(state->path));

  // A socket file left by a gibd that was killed answers nothing: replace
  // it. One that answers belongs to a running gibd: leave it alone.
  struct stat existing {};
  if (::lstat(state->path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return failed_precondition("local API: " + state->path.string() + " exists and is not a socket");
    }
    Fd probe;
    if (connect_to(address, probe) == 0) {
      return failed_precondition("local API: another process serves " + state->path.string());
    }
    ::unlink(state->path.c_str());
  }
  state->listener = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (state->listener.get() < 0) return unavailable("local API: socket: " + errno_text(errno));
  // The mode is set after bind (a Unix socket's mode cannot be set before
  // it exists); the SO_PEERCRED check covers the instant in between.
  if (::bind(state->listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return unavailable("local API: cannot bind " + state->path.string() + ": " + errno_text(errno));
  }
  if (::chmod(state->path.c_str(), 0600) != 0 || ::listen(state->listener.get(), 16) != 0) {
    const int failed = errno;
    ::unlink(state->path.c_str());
    return unavailable("local API: cannot set up " + state->path.string() + ": " + errno_text(failed));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::unlink(state->path.c_str());
    return unavailable("local API: pipe: " + errno_text(errno));
  }
  state->wake_read = Fd(pipe_fds[0]);
  state->wake_write = Fd(pipe_fds[1]);
  NodeSession::serve_from(node, deployment);
  State* raw = state.get();
  state->acceptor = std::thread([raw] { raw->accept_loop(); });
  log::info("local_api.listening", {{"socket", state->path.string()}});
  return std::unique_ptr<LocalApiServer>(new LocalApiServer(std::move(state)));
}

LocalApiServer::LocalApiServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

LocalApiServer::~LocalApiServer() {
  // Stop accepting first, so no new command starts on a node about to stop.
  const char wake = 1;
  (void)!::write(state_->wake_write.get(), &wake, 1);
  state_->acceptor.join();
  state_->listener.reset();
  ::unlink(state_->path.c_str());
  state_->reap(/*all=*/true);
}

const std::filesystem::path& LocalApiServer::path() const noexcept { return state_->path; }

std::size_t LocalApiServer::running() const noexcept { return state_->active.load(); }

}  // namespace gibkit::tools
