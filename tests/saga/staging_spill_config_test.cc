// sync.staging_spill and its companions (sync.shared_staging), as gibd
// reads them: the schema rules at load, and the rules SyncNode::create adds
// (the spill must be a temporary space other than the staging space; the
// shared staging a space that keeps sagas' staging).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gibkit/saga/sync_node.h"

namespace gibkit::saga {
namespace {

namespace fs = std::filesystem;

class StagingSpillConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gibkit-spill-config-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "secrets");
    fs::permissions(dir_ / "secrets", fs::perms::owner_all);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads a deployment with `spaces` and `sync`, then sets sync up on it.
  Status set_up(const std::string& spaces, const std::string& sync) {
    std::ofstream(dir_ / "node.yaml") << "node: {name: n, plugin_dirs: [" GIBKIT_TEST_PLUGIN_DIR "]}\n"
                                      << "spaces:\n  - {name: main, plugin: space-memory, role: durable}\n"
                                      << spaces << "signers:\n  - {name: keys, plugin: signer-keystone, "
                                      << "config: {secrets_dir: " << (dir_ / "secrets").string() << "}}\n"
                                      << "sync: " << sync << "\n";
    kernel::PluginRegistry registry;
    auto deployment = SyncNode::deployment_loader().load_file(dir_ / "node.yaml", registry);
    if (!deployment) return deployment.status();
    auto node = kernel::Node::create(*deployment, registry);
    if (!node) return node.status();
    return SyncNode::create(**node, *deployment).status();
  }

  std::string leveldb_spill() const {
    return "  - {name: spill, plugin: space-leveldb, role: temporary, config: {path: " + (dir_ / "spill").string() +
           ", create_if_missing: true}}\n";
  }

  fs::path dir_;
};

constexpr const char* kMemoryStaging = "  - {name: staging, plugin: space-memory, role: temporary}\n";

TEST_F(StagingSpillConfigTest, ALevelDbSpillBesideMemoryStagingIsAccepted) {
  Status status = set_up(kMemoryStaging + leveldb_spill(),
                         "{staging_spill: spill, staging_spill_threshold_bytes: 8388608, resume_keep_ms: 0}");
  EXPECT_TRUE(status.ok()) << status.to_string();
  // The default staging space is the temporary space that is not the spill,
  // whatever their order.
  status = set_up(leveldb_spill() + kMemoryStaging, "{staging_spill: spill}");
  EXPECT_TRUE(status.ok()) << status.to_string();
}

TEST_F(StagingSpillConfigTest, TheSpillMustBeAnotherTemporarySpace) {
  Status status = set_up(kMemoryStaging, "{staging_spill: nowhere}");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("no space instance named 'nowhere'"), std::string::npos) << status.to_string();

  status = set_up(kMemoryStaging, "{staging_spill: main}");  // the durable space: erased at every start
  EXPECT_NE(status.message().find("must have role: temporary"), std::string::npos) << status.to_string();

  status = set_up(kMemoryStaging, "{staging: staging, staging_spill: staging}");
  EXPECT_NE(status.message().find("is also sync.staging"), std::string::npos) << status.to_string();
}

// sync.shared_staging: the space must exist and its plugin must declare
// that it keeps sagas' staging (its table's saga_staging, SDK 1.4).
TEST_F(StagingSpillConfigTest, SharedStagingMustBeASpaceThatKeepsSagasStaging) {
  Status status = set_up(kMemoryStaging, "{shared_staging: main}");  // space-memory keeps it
  EXPECT_TRUE(status.ok()) << status.to_string();
  status = set_up(kMemoryStaging, "{shared_staging: nowhere}");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("sync.shared_staging: no space instance named 'nowhere'"), std::string::npos)
      << status.to_string();
  status = set_up(kMemoryStaging + leveldb_spill(), "{shared_staging: spill}");  // space-leveldb keeps it too
  EXPECT_TRUE(status.ok()) << status.to_string();
  // examples/space-files-c does not.
  const std::string files = "  - {name: files, plugin: space-files-c, role: temporary, config: {path: " +
                            (dir_ / "files").string() + "}}\n";
  status = set_up(kMemoryStaging + files, "{staging: staging, shared_staging: files}");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("space 'files' keeps no sagas' staging"), std::string::npos) << status.to_string();
}

TEST_F(StagingSpillConfigTest, TheSchemaRulesHold) {
  Status status = set_up(kMemoryStaging + leveldb_spill(), "{staging_spill: spill, staging_spill_threshold_bytes: 0}");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.to_string();
  EXPECT_NE(status.message().find("staging_spill_threshold_bytes"), std::string::npos) << status.to_string();
  status = set_up(kMemoryStaging, "{resume_keep_ms: -1}");
  EXPECT_NE(status.message().find("resume_keep_ms"), std::string::npos) << status.to_string();
}

}  // namespace
}  // namespace gibkit::saga
