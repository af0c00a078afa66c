// Records synced per second between two nodes built from deployments exactly
// as gibd builds them (plugins, spaces, keystone signer, SyncNode):
//  * over innerspace, both nodes in this process, memory or LevelDB spaces;
//  * over websocket on loopback to a separate gibd process (LevelDB spaces).
//
//   saga_bench --benchmark_filter=Memory/10000
//
// Each record is about 1 KiB: timelines of a fork and four mut8 frames, each
// frame with its dna record. The figure is records received and committed by
// the receiver per second of the whole saga (Init to the sender's commit).
//
// BM_SyncLongTimeline/{linked,accumulating}/FRAMES: one note edited FRAMES-1
// times (websocket, two processes, LevelDB), its frames linking only the
// previous frame and their own dna (ts-gib linkedRel8ns, what gib makes by
// default) or listing the whole history (ts-gib's default); items are the
// records sent, bytes_sent what went on the wire.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/saga/sync_node.h"
#include "gibkit/transforms.h"

namespace {

namespace fs = std::filesystem;
using namespace gibkit;

struct BenchNode {
  kernel::PluginRegistry registry;
  kernel::Deployment deployment;
  std::unique_ptr<kernel::Node> node;
  std::unique_ptr<saga::SyncNode> sync;
};

extern "C" char** environ;

std::string durable_space_yaml(bool leveldb, const fs::path& dir) {
  if (!leveldb) return "  - {name: main, plugin: space-memory, role: durable}\n";
  return "  - name: main\n    plugin: space-leveldb\n    role: durable\n    config: {path: " + (dir / "db").string() +
         ", create_if_missing: true}\n";
}

// Builds a node from a deployment written to `dir`; aborts the benchmark run
// on any error (a benchmark with a broken setup measures nothing).
std::string innerspace_yaml(const std::string& name) {
  return "  - {name: inner, plugin: transport-innerspace, listen: true, config: {name: " + name +
         ", max_message_bytes: 67108864}}\n";
}

std::string websocket_yaml(bool listen) {
  return std::string("  - {name: ws, plugin: transport-websocket, listen: ") + (listen ? "true" : "false") +
         ", config: {port: 0, max_message_bytes: 67108864}}\n";
}

// Writes the deployment `dir`/node.yaml.
fs::path write_deployment(const std::string& name, bool leveldb, const fs::path& dir, const std::string& transport,
                          const std::string& trust_file) {
  fs::create_directories(dir);
  std::ofstream(dir / "node.yaml") << "node: {name: " << name << ", plugin_dirs: [" << GIBKIT_BENCH_PLUGIN_DIR
                                   << "]}\nspaces:\n"
                                   << durable_space_yaml(leveldb, dir)
                                   << "  - {name: staging, plugin: space-memory, role: temporary}\n"
                                   << "signers:\n  - {name: keys, plugin: signer-keystone, config: {secrets_dir: "
                                   << (dir / "secrets").string() << "}}\n"
                                   << "transports:\n" << transport
                                   << "sync:\n  trust: [" << trust_file << "]\n";
  fs::create_directories(dir / "secrets");
  fs::permissions(dir / "secrets", fs::perms::owner_all);
  return dir / "node.yaml";
}

std::unique_ptr<BenchNode> make_node(const std::string& name, bool leveldb, const fs::path& dir,
                                     const std::string& transport, const std::string& trust_file) {
  write_deployment(name, leveldb, dir, transport, trust_file);
  auto node = std::make_unique<BenchNode>();
  auto deployment = saga::SyncNode::deployment_loader().load_file(dir / "node.yaml", node->registry);
  if (!deployment) throw std::runtime_error(deployment.status().to_string());
  node->deployment = std::move(*deployment);
  auto created = kernel::Node::create(node->deployment, node->registry);
  if (!created) throw std::runtime_error(created.status().to_string());
  node->node = std::move(*created);
  auto sync = saga::SyncNode::create(*node->node, node->deployment);
  if (!sync) throw std::runtime_error(sync.status().to_string());
  node->sync = std::move(*sync);
  Status started = node->node->start(node->sync->handler());
  if (!started.ok()) throw std::runtime_error(started.to_string());
  return node;
}

// `records` records in timelines of 5 frames (+5 dna); returns the heads.
std::vector<std::string> fill(Space& space, std::size_t records) {
  std::vector<std::string> heads;
  const std::string filler(800, 'x');
  WriteBatch batch;
  for (std::size_t t = 0; t * 10 < records; ++t) {
    IbGib primitive{"note", "gib", std::nullopt, std::nullopt};
    ForkOptions fork_options;
    fork_options.dna = true;
    fork_options.dest_ib = "note";
    fork_options.tjp_uuid = true;
    fork_options.n_counter = true;
    TransformResult step = *fork(primitive, fork_options);
    const std::string tjp = step.frame.address();
    for (int i = 0;; ++i) {
      batch.puts.push_back({step.dna->address(), step.dna->to_json_text()});
      batch.puts.push_back({step.frame.address(), step.frame.to_json_text()});
      if (i == 4) break;
      Mut8Options options;
      options.dna = true;
      options.n_counter = true;
      options.data_to_add_or_patch = json::Object{{"text", filler + std::to_string(t * 10 + i)}};
      step = *mut8(step.frame, options);
    }
    batch.heads.push_back({tjp, step.frame.address(), std::nullopt});
    heads.push_back(step.frame.address());
    if (batch.puts.size() >= 5000) {
      if (!space.write(batch).ok()) throw std::runtime_error("fill failed");
      batch = WriteBatch{};
    }
  }
  if (!batch.empty() && !space.write(batch).ok()) throw std::runtime_error("fill failed");
  return heads;
}

// One timeline: a fork and `frames` - 1 mut8 edits of a short text, each
// frame with its own dna record; `linked` as gib fork/mut8 link by default.
std::vector<std::string> fill_long_timeline(Space& space, std::size_t frames, bool linked) {
  const std::vector<std::string> linked_rel8ns = linked ? default_linked_rel8ns() : std::vector<std::string>{};
  IbGib primitive{"note", "gib", std::nullopt, std::nullopt};
  ForkOptions fork_options;
  fork_options.dna = true;
  fork_options.dest_ib = "note";
  fork_options.tjp_uuid = true;
  fork_options.tjp_timestamp = true;
  fork_options.n_counter = true;
  fork_options.linked_rel8ns = linked_rel8ns;
  TransformResult step = *fork(primitive, fork_options);
  const std::string tjp = step.frame.address();
  WriteBatch batch;
  for (std::size_t i = 1;; ++i) {
    batch.puts.push_back({step.dna->address(), step.dna->to_json_text()});
    batch.puts.push_back({step.frame.address(), step.frame.to_json_text()});
    if (batch.puts.size() >= 2000) {
      if (!space.write(batch).ok()) throw std::runtime_error("fill failed");
      batch = WriteBatch{};
    }
    if (i == frames) break;
    Mut8Options options;
    options.dna = true;
    options.n_counter = true;
    options.linked_rel8ns = linked_rel8ns;
    options.data_to_add_or_patch = json::Object{{"text", "a line of the note, edit " + std::to_string(i)}};
    step = *mut8(step.frame, options);
  }
  batch.heads.push_back({tjp, step.frame.address(), std::nullopt});
  if (!space.write(batch).ok()) throw std::runtime_error("fill failed");
  return {step.frame.address()};
}

fs::path export_domain(BenchNode& node, const fs::path& dir) {
  const fs::path file = dir / "domain.json";
  std::ofstream(file) << **node.node->durable_space().get(node.sync->domain_tjp());
  return file;
}

std::string genesis_of(BenchNode& node) { return **node.node->durable_space().get(node.sync->domain_tjp()); }

// The receiver of one measured sync, kept alive until the sync ends, and
// the domain identity it answers as (the sender authenticates its replies).
struct Receiver {
  std::shared_ptr<void> keep_alive;
  std::string endpoint;
  std::string domain;
  std::string domain_genesis;
};
using MakeReceiver = std::function<Receiver(const fs::path& dir, const std::string& suffix, const fs::path& trust)>;
// Fills the sender's durable space with `n` items; returns the heads to sync.
using Fill = std::function<std::vector<std::string>(Space& space, std::size_t n)>;

// Builds Alice (whose domain the receiver trusts, enrolled through its
// deployment as an operator would), fills her with records, and times one
// sync of them; setup and teardown are not timed.
void measure_sync(benchmark::State& state, bool leveldb, const std::function<std::string(const std::string&)>& alice_transport,
                  const MakeReceiver& make_receiver, const Fill& fill_with = fill, bool items_are_records_sent = false) {
  const auto records = static_cast<std::size_t>(state.range(0));
  std::size_t records_sent = 0;
  static int run = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string suffix = std::to_string(++run);
    const fs::path dir = fs::temp_directory_path() / ("gibkit-saga-bench-" + std::to_string(::getpid()) + "-" + suffix);
    auto alice = make_node("alice" + suffix, leveldb, dir / "alice", alice_transport("alice" + suffix), "");
    Receiver bob = make_receiver(dir, suffix, export_domain(*alice, dir));
    std::vector<std::string> heads = fill_with(alice->node->durable_space(), records);

    if (!alice->sync->service().trust_peer(bob.domain_genesis).ok()) throw std::runtime_error("cannot trust bob");
    state.ResumeTiming();

    auto report = alice->sync->sync_with(bob.endpoint, heads, {}, bob.domain);

    state.PauseTiming();
    if (!report) {
      state.SkipWithError(report.status().to_string().c_str());
      break;
    }
    state.counters["turns"] = static_cast<double>(report->turns);
    state.counters["MB_sent"] = static_cast<double>(report->bytes_sent) / 1e6;
    state.counters["bytes_sent"] = static_cast<double>(report->bytes_sent);
    state.counters["records_sent"] = static_cast<double>(report->records_sent);
    records_sent += report->records_sent;
    bob.keep_alive.reset();
    alice.reset();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  // The main benchmarks count the records filled (comparable across
  // versions); a long timeline, whose argument is frames, counts the records
  // actually sent (frames and dna records).
  state.SetItemsProcessed(static_cast<std::int64_t>(items_are_records_sent ? records_sent : state.iterations() * records));
}

// Both nodes in this process, over innerspace.
void sync_in_process(benchmark::State& state, bool leveldb) {
  measure_sync(state, leveldb, innerspace_yaml, [&](const fs::path& dir, const std::string& suffix, const fs::path& trust) {
    std::shared_ptr<BenchNode> bob =
        make_node("bob" + suffix, leveldb, dir / "bob", innerspace_yaml("bob" + suffix), trust.string());
    return Receiver{bob, "innerspace://bob" + suffix, bob->sync->domain_tjp(), genesis_of(*bob)};
  });
}

// A gibd child process serving a deployment; stopped with SIGTERM.
class GibdProcess {
 public:
  explicit GibdProcess(const fs::path& config) {
    const fs::path log = config.parent_path() / "gibd.out";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const std::string gibd = std::string(GIBKIT_BENCH_BIN_DIR) + "/gibd";
    std::vector<std::string> args{gibd, "--config", config.string(), "--log-level", "warn"};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, gibd.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + gibd);
    }
    posix_spawn_file_actions_destroy(&actions);
    // gibd prints "... ws at ws://127.0.0.1:PORT" once it listens.
    const std::regex endpoint(R"(ws at (ws://[0-9.]+:[0-9]+))");
    for (int tries = 0; tries < 600 && endpoint_.empty(); ++tries) {
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::smatch match;
      if (std::regex_search(text, match, endpoint)) endpoint_ = match[1];
      if (endpoint_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (endpoint_.empty()) throw std::runtime_error("gibd did not start; see " + log.string());
  }
  ~GibdProcess() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  [[nodiscard]] const std::string& endpoint() const { return endpoint_; }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
};

// Bob as a gibd process on LevelDB, listening on websocket.
Receiver gibd_receiver(const fs::path& dir, const std::string&, const fs::path& trust) {
  // Bob's domain is made first in this process (his store and secrets stay
  // on disk), so Alice can trust it.
  std::string domain, genesis;
  {
    auto seed = make_node("bob", true, dir / "bob", websocket_yaml(false), trust.string());
    domain = seed->sync->domain_tjp();
    genesis = genesis_of(*seed);
  }
  auto bob = std::make_shared<GibdProcess>(write_deployment("bob", true, dir / "bob", websocket_yaml(true), trust.string()));
  return Receiver{bob, bob->endpoint(), domain, genesis};
}

// Alice in this process, Bob a gibd process; both on LevelDB.
void BM_SyncWebsocketTwoProcesses(benchmark::State& state) {
  measure_sync(state, true, [](const std::string&) { return websocket_yaml(false); }, gibd_receiver);
}

// One long timeline over websocket to a gibd process, both on LevelDB.
void BM_SyncLongTimeline(benchmark::State& state, bool linked) {
  measure_sync(
      state, true, [](const std::string&) { return websocket_yaml(false); }, gibd_receiver,
      [linked](Space& space, std::size_t frames) { return fill_long_timeline(space, frames, linked); },
      /*items_are_records_sent=*/true);
}

void BM_SyncMemory(benchmark::State& state) { sync_in_process(state, false); }
void BM_SyncLevelDb(benchmark::State& state) { sync_in_process(state, true); }

BENCHMARK(BM_SyncMemory)->Arg(1000)->Arg(10000)->Arg(100000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SyncLevelDb)->Arg(1000)->Arg(10000)->Arg(100000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SyncWebsocketTwoProcesses)->Arg(1000)->Arg(10000)->Arg(100000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SyncLongTimeline, linked, true)->Arg(1000)->Arg(10000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
// Accumulating at 1,000 frames only: the frames' past and dna grow by two
// addresses per frame, so 10,000 frames would be ~10 GB to send, above the
// receiver's max_staged_bytes (1 GiB).
BENCHMARK_CAPTURE(BM_SyncLongTimeline, accumulating, false)->Arg(1000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
