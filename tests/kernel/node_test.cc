// The node over a deployment, and the promise that swapping the memory space
// for LevelDB is a YAML edit: the same scenario runs under both example
// deployments in configs/.
#include <gtest/gtest.h>

#include <fstream>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "support/temp_dir.h"

namespace gibkit::kernel {
namespace {

const std::vector<std::filesystem::path> kPluginDirs = {GIBKIT_PLUGIN_DIR};

class ExampleDeployment : public ::testing::TestWithParam<std::string> {
 protected:
  // Copies the example deployment into a temp dir, so relative paths
  // (LevelDB's directory) land there and not in the source tree.
  std::unique_ptr<Node> start_node() {
    const std::filesystem::path copy = dir_.path() / GetParam();
    if (!std::filesystem::exists(copy)) {
      std::filesystem::copy_file(std::filesystem::path(GIBKIT_CONFIGS_DIR) / GetParam(), copy);
    }
    registry_ = PluginRegistry();
    auto deployment = DeploymentLoader().load_file(copy, registry_, kPluginDirs);
    EXPECT_TRUE(deployment.ok()) << deployment.status().message();
    if (!deployment.ok()) return nullptr;
    auto node = Node::create(*deployment, registry_);
    EXPECT_TRUE(node.ok()) << node.status().to_string();
    return node.ok() ? std::move(*node) : nullptr;
  }

  testing::TempDir dir_;
  PluginRegistry registry_;
};

TEST_P(ExampleDeployment, PutRecordsMoveHeadsAndReadBack) {
  auto node = start_node();
  ASSERT_NE(node, nullptr);
  ASSERT_NE(node->space("staging"), nullptr);
  EXPECT_EQ(node->space("nope"), nullptr);
  Space& space = node->durable_space();
  EXPECT_EQ(&space, node->space("main"));

  StoredRecord t0{"t^gib", R"({"ib":"t","gib":"gib"})"};
  StoredRecord t1{"t1^gib", R"({"ib":"t1","gib":"gib","data":{"n":1}})"};
  ASSERT_TRUE(space.write(WriteBatch{{t0, t1}, {{"t^gib", "t1^gib", std::string()}}, {}}).ok());
  StoredRecord t2{"t2^gib", R"({"ib":"t2","gib":"gib","data":{"n":2}})"};
  ASSERT_TRUE(space.write(WriteBatch{{t2}, {{"t^gib", "t2^gib", std::string("t1^gib")}}, {}}).ok());
  EXPECT_EQ(space.write(WriteBatch{{}, {{"t^gib", "x^gib", std::string("t1^gib")}}, {}}).code(),
            StatusCode::kAborted);

  EXPECT_EQ(*space.head("t^gib"), std::optional<std::string>("t2^gib"));
  EXPECT_EQ(*space.get("t1^gib"), std::optional<std::string>(t1.json_text));
  int records = 0;
  ASSERT_TRUE(space.for_each_record([&](std::string_view, std::string_view) { return ++records > 0; }).ok());
  EXPECT_EQ(records, 3);
}

TEST_P(ExampleDeployment, StartsAndStopsWithoutListeners) {
  auto node = start_node();
  ASSERT_NE(node, nullptr);
  ASSERT_TRUE(node->start([](std::string_view) -> Result<Answer> { return Answer{}; }).ok());
  EXPECT_TRUE(node->endpoints().empty());
  node->stop();
}

INSTANTIATE_TEST_SUITE_P(Configs, ExampleDeployment, ::testing::Values("memory-node.yaml", "leveldb-node.yaml"),
                         [](const auto& info) { return info.param.substr(0, info.param.find('-')); });

TEST(LevelDbDeployment, RecordsSurviveANodeRestart) {
  testing::TempDir dir;
  const std::filesystem::path copy = dir.path() / "leveldb-node.yaml";
  std::filesystem::copy_file(std::filesystem::path(GIBKIT_CONFIGS_DIR) / "leveldb-node.yaml", copy);
  for (int run = 0; run < 2; ++run) {
    PluginRegistry registry;
    auto deployment = DeploymentLoader().load_file(copy, registry, kPluginDirs);
    ASSERT_TRUE(deployment.ok()) << deployment.status().message();
    auto node = Node::create(*deployment, registry);
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    if (run == 0) {
      ASSERT_TRUE((*node)->durable_space().write(WriteBatch{{{"a^gib", "{}"}}, {{"t^gib", "a^gib", {}}}, {}}).ok());
    } else {
      EXPECT_TRUE(*(*node)->durable_space().has("a^gib"));
      EXPECT_EQ(*(*node)->durable_space().head("t^gib"), std::optional<std::string>("a^gib"));
    }
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "leveldb-node" / "CURRENT"));
}

}  // namespace
}  // namespace gibkit::kernel
