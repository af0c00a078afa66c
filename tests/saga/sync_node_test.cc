// Nodes built from deployment YAML, as gibd builds them: swapping the
// durable space or the signer is an edit of the YAML, and the same sync
// works with every combination.
#include <filesystem>
#include <fstream>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>

#include "gibkit/identity/identity_registry.h"
#include "gibkit/record_graph.h"
#include "gibkit/saga/sync_node.h"
#include "gibkit/transforms.h"

namespace gibkit::saga {
namespace {

namespace fs = std::filesystem;

struct DeployedNode {
  kernel::PluginRegistry registry;
  kernel::Deployment deployment;
  std::unique_ptr<kernel::Node> node;
  std::unique_ptr<SyncNode> sync;
};

class SyncNodeTest : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gibkit-sync-node-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(++counter_));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A deployment whose durable space and signer come from the test parameter.
  std::unique_ptr<DeployedNode> deploy(const std::string& name, const std::string& trust) {
    const auto [space_plugin, signer_plugin] = GetParam();
    const fs::path home = dir_ / name;
    fs::create_directories(home / "secrets");
    fs::permissions(home / "secrets", fs::perms::owner_all);
    std::string durable = std::string("  - {name: main, plugin: ") + space_plugin + ", role: durable";
    if (std::string(space_plugin) == "space-leveldb") durable += ", config: {path: db, create_if_missing: true}";
    std::ofstream(home / "node.yaml") << "node: {name: " << name << ", plugin_dirs: [" GIBKIT_TEST_PLUGIN_DIR "]}\n"
                                      << "spaces:\n" << durable << "}\n"
                                      << "  - {name: staging, plugin: space-memory, role: temporary}\n"
                                      << "signers:\n  - {name: keys, plugin: " << signer_plugin
                                      << ", config: {secrets_dir: " << (home / "secrets").string() << "}}\n"
                                      << "transports:\n  - {name: inner, plugin: transport-innerspace, listen: true, "
                                      << "config: {name: " << name << counter_ << "}}\n"
                                      << "sync: {trust: [" << trust << "]}\n";
    auto deployed = std::make_unique<DeployedNode>();
    auto deployment = SyncNode::deployment_loader().load_file(home / "node.yaml", deployed->registry);
    EXPECT_TRUE(deployment.ok()) << deployment.status().to_string();
    if (!deployment) return nullptr;
    deployed->deployment = std::move(*deployment);
    auto node = kernel::Node::create(deployed->deployment, deployed->registry);
    EXPECT_TRUE(node.ok()) << node.status().to_string();
    if (!node) return nullptr;
    deployed->node = std::move(*node);
    auto sync = SyncNode::create(*deployed->node, deployed->deployment);
    EXPECT_TRUE(sync.ok()) << sync.status().to_string();
    if (!sync) return nullptr;
    deployed->sync = std::move(*sync);
    EXPECT_TRUE(deployed->node->start(deployed->sync->handler()).ok());
    return deployed;
  }

  // Alice, and Bob trusting her domain; Alice authenticates Bob's replies:
  // she trusts his domain too (and the tests name it as the one expected at
  // his address). Null on failure.
  std::pair<std::unique_ptr<DeployedNode>, std::unique_ptr<DeployedNode>> deploy_pair() {
    auto alice = deploy("alice", "");
    if (!alice) return {};
    const fs::path alice_domain = dir_ / "alice-domain.json";
    std::ofstream(alice_domain) << **alice->node->durable_space().get(alice->sync->domain_tjp());
    auto bob = deploy("bob", alice_domain.string());
    if (!bob) return {};
    const Status trusted =
        alice->sync->service().trust_peer(**bob->node->durable_space().get(bob->sync->domain_tjp()));
    EXPECT_TRUE(trusted.ok()) << trusted.to_string();
    if (!trusted.ok()) return {};
    return {std::move(alice), std::move(bob)};
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

TEST_P(SyncNodeTest, SyncsATimelineBetweenDeployedNodes) {
  auto [alice, bob] = deploy_pair();
  ASSERT_TRUE(alice && bob);

  ForkOptions fork_options;
  fork_options.dna = true;
  fork_options.tjp_uuid = true;
  fork_options.n_counter = true;
  fork_options.dest_ib = "note";
  auto genesis = fork(IbGib{"note", "gib", std::nullopt, std::nullopt}, fork_options);
  ASSERT_TRUE(genesis.ok());
  Mut8Options mut8_options;
  mut8_options.dna = true;
  mut8_options.n_counter = true;
  mut8_options.data_to_add_or_patch = json::Object{{"text", "hello"}};
  auto edit = mut8(genesis->frame, mut8_options);
  ASSERT_TRUE(edit.ok());
  const std::string tjp = genesis->frame.address();
  WriteBatch batch;
  for (const IbGib& record : {*genesis->dna, genesis->frame, *edit->dna, edit->frame}) {
    batch.puts.push_back({record.address(), record.to_json_text()});
  }
  batch.heads.push_back({tjp, edit->frame.address(), std::nullopt});
  ASSERT_TRUE(alice->node->durable_space().write(batch).ok());

  auto report = alice->sync->sync_with("innerspace://bob" + std::to_string(counter_), {tjp}, {}, bob->sync->domain_tjp());
  ASSERT_TRUE(report.ok()) << report.status().to_string();

  EXPECT_EQ(report->records_sent, 4u);
  EXPECT_EQ(*bob->node->durable_space().head(tjp), edit->frame.address());
  RecordReader alice_reader({&alice->node->durable_space()});
  RecordReader bob_reader({&bob->node->durable_space()});
  EXPECT_EQ(*dependency_closure(alice_reader, {edit->frame.address()}),
            *dependency_closure(bob_reader, {edit->frame.address()}));
}

// Each saga has a fresh session on each side, which signs that saga's turns
// and nothing else, ever (docs/security.md, "Sessions"). What a signer keeps
// of one must go with the saga: it used to stay in secrets_dir, two files a
// side for every sync, so that a peer syncing (or a push_interval_ms) grew
// both nodes' secrets_dir without bound.
TEST_P(SyncNodeTest, SyncsLeaveNoSessionSecretsBehind) {
  auto [alice, bob] = deploy_pair();
  ASSERT_TRUE(alice && bob);
  ForkOptions fork_options;
  fork_options.tjp_uuid = true;
  fork_options.n_counter = true;
  fork_options.dest_ib = "note";
  auto genesis = fork(IbGib{"note", "gib", std::nullopt, std::nullopt}, fork_options);
  ASSERT_TRUE(genesis.ok());
  const std::string tjp = genesis->frame.address();
  WriteBatch batch;
  batch.puts.push_back({tjp, genesis->frame.to_json_text()});
  batch.heads.push_back({tjp, tjp, std::nullopt});
  ASSERT_TRUE(alice->node->durable_space().write(batch).ok());
  const auto files_in = [](const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++n;
    return n;
  };
  const std::size_t alice_files = files_in(dir_ / "alice" / "secrets");
  const std::size_t bob_files = files_in(dir_ / "bob" / "secrets");
  std::vector<std::string> bob_sessions;
  for (int i = 0; i < 3; ++i) {
    auto report = alice->sync->sync_with("innerspace://bob" + std::to_string(counter_), {tjp}, {},
                                         bob->sync->domain_tjp());
    ASSERT_TRUE(report.ok()) << report.status().to_string();
    bob_sessions.push_back(report->peer_session);
  }
  EXPECT_EQ(*bob->node->durable_space().head(tjp), tjp);
  EXPECT_EQ(files_in(dir_ / "alice" / "secrets"), alice_files);
  EXPECT_EQ(files_in(dir_ / "bob" / "secrets"), bob_files);
  // Nor is any kept in memory: Bob's signer no longer signs for them.
  identity::IdentityRegistry registry(bob->node->durable_space());
  for (const std::string& session : bob_sessions) {
    auto signed_frame = registry.sign(*bob->node->signer("keys"), session, Claim{"sync", tjp});
    EXPECT_FALSE(signed_frame.ok()) << session;
  }
  // The domains still sign (their secrets stay in secrets_dir).
  EXPECT_TRUE(registry.begin_session(*bob->node->signer("keys"), *bob->node->signer("keys"), bob->sync->domain_tjp())
                  .ok());
}

TEST_P(SyncNodeTest, TheDomainIdentitySurvivesARestart) {
  std::string domain;
  {
    auto node = deploy("carol", "");
    ASSERT_TRUE(node);
    domain = node->sync->domain_tjp();
  }
  if (std::string(std::get<0>(GetParam())) != "space-leveldb") GTEST_SKIP() << "a memory space forgets everything";
  auto again = deploy("carol", "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sync->domain_tjp(), domain);
  // Its secret survived too (secrets_dir): the domain can still endorse.
  identity::IdentityRegistry registry(again->node->durable_space());
  auto session = registry.begin_session(*again->node->signer("keys"), *again->node->signer("keys"), domain);
  EXPECT_TRUE(session.ok()) << session.status().to_string();
}

// The sync section's keys carry their rules in the schema, so a bad value
// is refused at load (gibd validate) with its position, not later.
TEST(SyncSectionTest, RefusesValuesOutsideTheRules) {
  kernel::PluginRegistry registry;
  const std::string yaml = "node: {name: n}\nspaces:\n  - {name: m, plugin: space-memory, role: durable}\n"
                           "sync:\n  endorsement_history: -1\n  max_message_bytes: 0\n";
  ASSERT_TRUE(registry.load_directory(GIBKIT_TEST_PLUGIN_DIR).ok());
  auto deployment = SyncNode::deployment_loader().load_text(yaml, "node.yaml", registry);
  ASSERT_FALSE(deployment.ok());
  const std::string message = deployment.status().message();
  EXPECT_NE(message.find("node.yaml:5:24"), std::string::npos) << message;
  EXPECT_NE(message.find("-1 is below the minimum 1"), std::string::npos) << message;
  EXPECT_NE(message.find("0 is below the minimum 1"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Deployments, SyncNodeTest,
                         ::testing::Combine(::testing::Values("space-memory", "space-leveldb"),
                                            ::testing::Values("signer-keystone", "signer-ed25519")),
                         [](const auto& info) {
                           std::string name = std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace gibkit::saga
