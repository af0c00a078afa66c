// `gib sagas` against saga timelines written by the test through the kernel
// and SagaLog, as the saga writes them (frames relating contexts), so that
// every outcome, the time, the peer and the order are known exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gib_runner.h"
#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/saga/saga_log.h"
#include "support/temp_dir.h"

namespace {

using gibkit::IbGib;
using gibkit::testing::GibRun;
using gibkit::testing::lines_of;
using gibkit::testing::TempDir;
using gibkit::testing::write_file;

constexpr char kSender[] = "keystone sender^AAAA";
constexpr char kReceiver[] = "keystone receiver^BBBB";

class GibSagas : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(config_, "node:\n  name: sagas-test\n  plugin_dirs: [" GIBKIT_PLUGIN_DIR "]\n"
                        "spaces:\n  - name: main\n    plugin: space-leveldb\n    role: durable\n"
                        "    config:\n      path: " + (dir_.path() / "db").string() + "\n"
                        "  - name: staging\n    plugin: space-memory\n    role: temporary\n");
  }

  GibRun gib(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", config_.string()});
    return gibkit::testing::run_gib(dir_.path(), args);
  }

  // Opens the node in this process (the LevelDB lock is released on return).
  void edit_store(const std::function<void(gibkit::Space&)>& edit) {
    gibkit::kernel::PluginRegistry registry;
    gibkit::kernel::DeploymentLoader loader;
    auto deployment = loader.load_file(config_, registry);
    ASSERT_TRUE(deployment.ok()) << deployment.status().message();
    auto node = gibkit::kernel::Node::create(*deployment, registry);
    ASSERT_TRUE(node.ok()) << node.status().message();
    edit((*node)->durable_space());
  }

  // A stored context record with `data` and `rel8ns`; its address.
  static std::string context(gibkit::Space& space, gibkit::json::Object data, gibkit::json::Object rel8ns = {}) {
    IbGib record;
    record.ib = "sync_context";
    record.data = std::move(data);
    if (!rel8ns.empty()) record.rel8ns = std::move(rel8ns);
    record.gib = *gibkit::compute_gib(record);
    gibkit::WriteBatch batch;
    batch.puts.push_back(gibkit::StoredRecord{record.address(), record.to_json_text()});
    EXPECT_TRUE(space.write(batch).ok());
    return record.address();
  }

  // A sender saga: Init issued at `issued_ms` to kReceiver, then `legs`,
  // then "completed" or "failed".
  static void sender_saga(gibkit::Space& space, const std::string& id, double issued_ms,
                          const std::vector<std::string>& legs, bool completed) {
    auto log = gibkit::saga::SagaLog::start(space, id, "sender");
    ASSERT_TRUE(log.ok());
    for (const std::string& leg : legs) {
      gibkit::json::Object data{{"sagaId", id}, {"leg", leg}, {"audience", std::string(kReceiver)}};
      if (leg == "init") data.set("issuedAtMs", issued_ms);
      ASSERT_TRUE(log->record(leg, context(space, std::move(data))).ok());
    }
    ASSERT_TRUE((completed ? log->record("completed", "") : log->record("failed", "", "unavailable: gone")).ok());
  }

  // A receiver saga: one frame per reply leg it sent (ack, delta_reply,
  // commit_reply, abort_reply); its ack relates the sender's Init (issued
  // at `issued_ms`); every reply names kSender as audience.
  static void receiver_saga(gibkit::Space& space, const std::string& id, double issued_ms,
                            const std::vector<std::string>& legs) {
    auto log = gibkit::saga::SagaLog::start(space, id, "receiver");
    ASSERT_TRUE(log.ok());
    const std::string init =
        context(space, gibkit::json::Object{{"sagaId", id}, {"leg", "init"}, {"issuedAtMs", issued_ms}});
    for (const std::string& leg : legs) {
      gibkit::json::Object rel8ns;
      if (leg == "ack") rel8ns.set("request", gibkit::json::Array{init});
      const std::string reply =
          context(space, gibkit::json::Object{{"sagaId", id}, {"leg", leg}, {"audience", std::string(kSender)}}, std::move(rel8ns));
      ASSERT_TRUE(log->record(leg, reply).ok());
    }
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_.path() / "node.yaml";
};

TEST_F(GibSagas, AnEmptyNodeHasNoSagas) {
  GibRun run = gib({"sagas"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "sagas (0 of 0, newest first): time, role, outcome, legs, saga id, peer\n");
}

TEST_F(GibSagas, ListsBothRolesNewestFirstWithOutcomeLegsAndPeer) {
  edit_store([](gibkit::Space& space) {
    sender_saga(space, "aa01", 1000, {"init", "delta", "delta", "delta", "commit"}, /*completed=*/true);
    receiver_saga(space, "bb02", 3'723'004, {"ack", "delta_reply", "commit_reply"});
    receiver_saga(space, "cc03", 2000, {"ack", "abort_reply"});
    receiver_saga(space, "dd04", 2500, {"ack", "delta_reply"});
    sender_saga(space, "ee05", 0, {}, /*completed=*/false);  // refused Init: no leg, no time
  });
  GibRun run = gib({"sagas"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string peer_s = std::string("\t") + kSender, peer_r = std::string("\t") + kReceiver;
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{
                                   "sagas (5 of 5, newest first): time, role, outcome, legs, saga id, peer",
                                   "  1970-01-01T01:02:03.004Z\treceiver\tcommitted\tinit,delta,commit\tbb02" + peer_s,
                                   "  1970-01-01T00:00:02.500Z\treceiver\topen\tinit,delta\tdd04" + peer_s,
                                   "  1970-01-01T00:00:02.000Z\treceiver\taborted\tinit,abort\tcc03" + peer_s,
                                   "  1970-01-01T00:00:01.000Z\tsender\tcommitted\tinit,delta*3,commit\taa01" + peer_r,
                                   "  -\tsender\tfailed\t-\tee05\t-\tunavailable: gone",
                               }))
      << run.out;
}

TEST_F(GibSagas, DashNLimitsTheListToTheNewest) {
  edit_store([](gibkit::Space& space) {
    receiver_saga(space, "old", 1000, {"ack", "commit_reply"});
    receiver_saga(space, "new", 2000, {"ack", "commit_reply"});
  });
  GibRun run = gib({"sagas", "-n", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 2u) << run.out;
  EXPECT_EQ(lines[0].rfind("sagas (1 of 2, newest first)", 0), 0u) << run.out;
  EXPECT_NE(lines[1].find("\tnew\t"), std::string::npos) << run.out;
}

TEST_F(GibSagas, BadArgumentsAreUsageErrors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"sagas", "-n", "0"}, {"sagas", "-n", "ten"}, {"sagas", "-n"}, {"sagas", "extra"}}) {
    GibRun run = gib(args);
    EXPECT_EQ(run.exit_code, 2) << args.back() << ": " << run.err;
    EXPECT_EQ(run.err.rfind("gib sagas: ", 0), 0u) << run.err;
  }
}

}  // namespace
