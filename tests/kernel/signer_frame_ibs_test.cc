// The identity frames a signer plugin declares it verifies, by their `ib`
// (gibkit_plugin_descriptor.signer_frame_ibs, SDK 1.1): the bundled signers
// declare the ib of the frames they make, a node's signer instances carry
// the declaration of their plugin, and a signer built against SDK 1.0
// (without the field) still loads, declaring nothing.
#include <gtest/gtest.h>

#include "gibkit/ibgib.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "support/temp_dir.h"

namespace gibkit::kernel {
namespace {

const std::filesystem::path kPluginDir = GIBKIT_PLUGIN_DIR;
const std::filesystem::path kTestPlugins = GIBKIT_TEST_PLUGIN_ROOT;

using Ibs = std::vector<std::string>;

std::shared_ptr<LoadedPlugin> load(const std::filesystem::path& path) {
  auto plugin = LoadedPlugin::load(path);
  EXPECT_TRUE(plugin.ok()) << plugin.status().to_string();
  return plugin.ok() ? *plugin : nullptr;
}

// Each bundled signer declares exactly the ib of the frames it makes, and its
// instances carry the declaration.
TEST(SignerFrameIbs, BundledSignersDeclareTheIbOfTheirFrames) {
  for (const auto& [file, ib] : {std::pair{"libgibkit-signer-keystone.so", "keystone"},
                                 std::pair{"libgibkit-signer-ed25519.so", "ed25519-identity"}}) {
    SCOPED_TRACE(file);
    auto plugin = load(kPluginDir / file);
    ASSERT_NE(plugin, nullptr);
    EXPECT_EQ(plugin->kind(), PluginKind::kSigner);
    EXPECT_EQ(plugin->frame_ibs(), Ibs{ib});
    auto signer = plugin->create_signer(json::Object());
    ASSERT_TRUE(signer.ok()) << signer.status().to_string();
    EXPECT_EQ(signer_frame_ibs(**signer), Ibs{ib});
    auto made = (*signer)->create_identity(json::Value());
    ASSERT_TRUE(made.ok()) << made.status().to_string();
    auto genesis = IbGib::parse(made->records_json.back());
    ASSERT_TRUE(genesis.ok());
    EXPECT_EQ(genesis->ib, ib);
  }
}

TEST(SignerFrameIbs, OtherKindsAndUndeclaringSignersDeclareNone) {
  auto space = load(kPluginDir / "libgibkit-space-memory.so");
  ASSERT_NE(space, nullptr);
  EXPECT_TRUE(space->frame_ibs().empty());
  // Built with GIBKIT_PLUGIN, not GIBKIT_SIGNER_PLUGIN: a 1.1 descriptor whose
  // field is NULL.
  auto echo = load(kTestPlugins / "kinds" / "libgibkit_test_echo_signer.so");
  ASSERT_NE(echo, nullptr);
  EXPECT_TRUE(echo->frame_ibs().empty());
  auto signer = echo->create_signer(json::Object{{"label", "x"}, {"retries", 3}});
  ASSERT_TRUE(signer.ok()) << signer.status().to_string();
  EXPECT_TRUE(signer_frame_ibs(**signer).empty());
}

// A plugin built before the field existed: its descriptor is 1.0's, shorter
// than this SDK's, and it must load and work as before.
TEST(SignerFrameIbs, SignerBuiltAgainstSdk10StillLoads) {
  auto plugin = load(kTestPlugins / "frame-ibs" / "libgibkit_test_sdk_1_0_signer.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->sdk_version(), std::to_string(GIBKIT_SDK_VERSION_MAJOR) + ".0");
  EXPECT_EQ(plugin->kind(), PluginKind::kSigner);
  EXPECT_EQ(plugin->name(), "test-sdk-1-0-signer");
  EXPECT_TRUE(plugin->frame_ibs().empty());
  auto signer = plugin->create_signer(json::Object());
  ASSERT_TRUE(signer.ok()) << signer.status().to_string();
  EXPECT_TRUE(signer_frame_ibs(**signer).empty());
  auto signed_frames = (*signer)->sign("{}", Claim{"sync", "t^gib"});
  ASSERT_TRUE(signed_frames.ok()) << signed_frames.status().to_string();
  EXPECT_EQ(signed_frames->records_json, Ibs{"sync:t^gib"});
}

TEST(SignerFrameIbs, ThirdPartySignerDeclaresWithTheSdkMacro) {
  auto plugin = load(kTestPlugins / "frame-ibs" / "libgibkit_test_declaring_signer.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->sdk_version(),
            std::to_string(GIBKIT_SDK_VERSION_MAJOR) + "." + std::to_string(GIBKIT_SDK_VERSION_MINOR));
  EXPECT_EQ(plugin->frame_ibs(), (Ibs{"test-frame", "test-frame-v2"}));
  auto signer = plugin->create_signer(json::Object());
  ASSERT_TRUE(signer.ok()) << signer.status().to_string();
  EXPECT_EQ(signer_frame_ibs(**signer), (Ibs{"test-frame", "test-frame-v2"}));
}

TEST(SignerFrameIbs, RefusesASignerDeclaringSomethingThatIsNotAnIb) {
  auto plugin = LoadedPlugin::load(kTestPlugins / "bad-frame-ibs" / "libgibkit_test_bad_ib_signer.so");
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plugin.status().message().find("signer_frame_ibs[1] 'a^b' is not a valid ib"), std::string::npos)
      << plugin.status().message();
}

// What the saga uses to pick the verifier of a peer's frame: a node's signer
// instances, by name, carry their plugin's declaration.
TEST(SignerFrameIbs, NodeSignersCarryTheirPluginsDeclaration) {
  testing::TempDir dir;
  PluginRegistry registry;
  const std::string yaml =
      "node:\n  name: frames\n"
      "spaces:\n  - name: main\n    plugin: space-memory\n    role: durable\n"
      "signers:\n  - name: domain\n    plugin: signer-keystone\n  - name: device\n    plugin: signer-ed25519\n";
  auto deployment = DeploymentLoader().load_text(yaml, dir.path() / "node.yaml", registry, {kPluginDir});
  ASSERT_TRUE(deployment.ok()) << deployment.status().message();
  auto node = Node::create(*deployment, registry);
  ASSERT_TRUE(node.ok()) << node.status().to_string();
  ASSERT_NE((*node)->signer("domain"), nullptr);
  ASSERT_NE((*node)->signer("device"), nullptr);
  EXPECT_EQ(signer_frame_ibs(*(*node)->signer("domain")), Ibs{"keystone"});
  EXPECT_EQ(signer_frame_ibs(*(*node)->signer("device")), Ibs{"ed25519-identity"});
}

}  // namespace
}  // namespace gibkit::kernel
