// Records synced per second over innerspace, between two nodes built from
// deployments exactly as gibd builds them (plugins, spaces, keystone signer,
// SyncNode), with memory or LevelDB durable spaces.
//
//   saga_bench --benchmark_filter=Memory/10000
//
// Each record is about 1 KiB: timelines of a fork and four mut8 frames, each
// frame with its dna record. The figure is records received and committed by
// the receiver per second of the whole saga (Init to the sender's commit).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

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

std::string durable_space_yaml(bool leveldb, const fs::path& dir) {
  if (!leveldb) return "  - {name: main, plugin: space-memory, role: durable}\n";
  return "  - name: main\n    plugin: space-leveldb\n    role: durable\n    config: {path: " + (dir / "db").string() +
         ", create_if_missing: true}\n";
}

// Builds a node from a deployment written to `dir`; aborts the benchmark run
// on any error (a benchmark with a broken setup measures nothing).
std::unique_ptr<BenchNode> make_node(const std::string& name, bool leveldb, const fs::path& dir,
                                     const std::string& trust_file) {
  fs::create_directories(dir);
  std::ofstream(dir / "node.yaml") << "node: {name: " << name << ", plugin_dirs: [" << GIBKIT_BENCH_PLUGIN_DIR
                                   << "]}\nspaces:\n"
                                   << durable_space_yaml(leveldb, dir)
                                   << "  - {name: staging, plugin: space-memory, role: temporary}\n"
                                   << "signers:\n  - {name: keys, plugin: signer-keystone}\n"
                                   << "transports:\n  - {name: inner, plugin: transport-innerspace, listen: true, "
                                   << "config: {name: " << name << ", max_message_bytes: 67108864}}\n"
                                   << "sync:\n  trust: [" << trust_file << "]\n";
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

void sync_records(benchmark::State& state, bool leveldb) {
  const auto records = static_cast<std::size_t>(state.range(0));
  static int run = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path dir = fs::temp_directory_path() / ("gibkit-saga-bench-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(++run));
    const std::string suffix = std::to_string(run);
    auto alice = make_node("alice" + suffix, leveldb, dir / "alice", "");
    // Trust is enrolled through the deployment, as an operator would.
    const fs::path alice_domain = dir / "alice-domain.json";
    std::ofstream(alice_domain) << **alice->node->durable_space().get(alice->sync->domain_tjp());
    std::unique_ptr<BenchNode> bob = make_node("bob" + suffix, leveldb, dir / "bob", alice_domain.string());
    std::vector<std::string> heads = fill(alice->node->durable_space(), records);
    state.ResumeTiming();

    auto report = alice->sync->sync_with("innerspace://bob" + suffix, heads);

    state.PauseTiming();
    if (!report) {
      state.SkipWithError(report.status().to_string().c_str());
      break;
    }
    state.counters["turns"] = static_cast<double>(report->turns);
    state.counters["MB_sent"] = static_cast<double>(report->bytes_sent) / 1e6;
    alice.reset();
    bob.reset();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}

void BM_SyncMemory(benchmark::State& state) { sync_records(state, false); }
void BM_SyncLevelDb(benchmark::State& state) { sync_records(state, true); }

BENCHMARK(BM_SyncMemory)->Arg(1000)->Arg(10000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SyncLevelDb)->Arg(1000)->Arg(10000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
