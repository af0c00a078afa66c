// Loading plugins with Boost.DLL: descriptors, the SDK version gate, the
// registry, and libraries that are not plugins.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "support/temp_dir.h"

namespace gibkit::kernel {
namespace {

const std::filesystem::path kPluginDir = GIBKIT_PLUGIN_DIR;
const std::filesystem::path kTestPlugins = GIBKIT_TEST_PLUGIN_ROOT;

TEST(PluginLoading, LoadsBundledSpacePluginWithItsSchema) {
  auto plugin = LoadedPlugin::load(kPluginDir / "libgibkit-space-leveldb.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  EXPECT_EQ((*plugin)->kind(), PluginKind::kSpace);
  EXPECT_EQ((*plugin)->name(), "space-leveldb");
  EXPECT_EQ((*plugin)->sdk_version(), std::to_string(GIBKIT_SDK_VERSION_MAJOR) + "." +
                                          std::to_string(GIBKIT_SDK_VERSION_MINOR));
  const auto& schema = (*plugin)->config_schema();
  ASSERT_EQ(schema.size(), 3u);
  EXPECT_EQ(schema[0].key, "path");
  EXPECT_EQ(schema[0].type, ConfigType::kPath);
  EXPECT_TRUE(schema[0].required);
  EXPECT_EQ(schema[1].key, "create_if_missing");
  ASSERT_TRUE(schema[1].default_value.has_value());
  EXPECT_EQ(*schema[1].default_value, json::Value(true));
  EXPECT_EQ(schema[2].key, "pack_min_bytes");
  EXPECT_EQ(schema[2].type, ConfigType::kInteger);
  ASSERT_TRUE(schema[2].default_value.has_value());
  EXPECT_EQ(*schema[2].default_value, json::Value(4 << 20));
  EXPECT_EQ(schema[2].min, 1.0);
}

TEST(PluginLoading, RefusesPluginBuiltForNewerMinor) {
  auto plugin = LoadedPlugin::load(kTestPlugins / "newer-minor" / "libgibkit_test_newer_minor.so");
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kIncompatible);
  const std::string expected = "built for gibkit SDK " + std::to_string(GIBKIT_SDK_VERSION_MAJOR) + "." +
                               std::to_string(GIBKIT_SDK_VERSION_MINOR + 1);
  EXPECT_NE(plugin.status().message().find(expected), std::string::npos) << plugin.status().message();
}

TEST(PluginLoading, RefusesPluginBuiltForAnotherMajor) {
  auto plugin = LoadedPlugin::load(kTestPlugins / "other-major" / "libgibkit_test_other_major.so");
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kIncompatible);
  EXPECT_NE(plugin.status().message().find("built for gibkit SDK " + std::to_string(GIBKIT_SDK_VERSION_MAJOR + 1)),
            std::string::npos)
      << plugin.status().message();
}

TEST(PluginLoading, RejectsFileThatIsNotALibrary) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "fake.so") << "not an ELF file";
  auto plugin = LoadedPlugin::load(dir.path() / "fake.so");
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(plugin.status().message().find("fake.so"), std::string::npos);
}

TEST(PluginLoading, RegistryKeepsGoodPluginsAndRecordsRefusedOnes) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_directory(kPluginDir).ok());
  ASSERT_TRUE(registry.load_directory(kTestPlugins / "newer-minor").ok());
  EXPECT_NE(registry.find(PluginKind::kSpace, "space-memory"), nullptr);
  EXPECT_NE(registry.find(PluginKind::kSpace, "space-leveldb"), nullptr);
  EXPECT_EQ(registry.find(PluginKind::kTransport, "space-memory"), nullptr);
  EXPECT_EQ(registry.find(PluginKind::kSpace, "test-newer-minor"), nullptr);
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].code(), StatusCode::kIncompatible);
}

TEST(PluginLoading, RegistryRefusesDuplicateNames) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_directory(kPluginDir).ok());
  auto again = LoadedPlugin::load(kPluginDir / "libgibkit-space-memory.so");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(registry.add(*again).code(), StatusCode::kAlreadyExists);
}

TEST(PluginLoading, MissingDirectoryIsNotFound) {
  PluginRegistry registry;
  EXPECT_EQ(registry.load_directory(kTestPlugins / "no-such-dir").code(), StatusCode::kNotFound);
}

TEST(PluginLoading, CreatingTheWrongKindFails) {
  auto plugin = LoadedPlugin::load(kPluginDir / "libgibkit-space-memory.so");
  ASSERT_TRUE(plugin.ok());
  auto transport = (*plugin)->create_transport(json::Object());
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), StatusCode::kFailedPrecondition);
}

TEST(PluginLoading, InstanceKeepsLibraryLoadedAfterPluginHandleIsGone) {
  std::unique_ptr<Space> space;
  {
    auto plugin = LoadedPlugin::load(kPluginDir / "libgibkit-space-memory.so");
    ASSERT_TRUE(plugin.ok());
    auto made = (*plugin)->create_space(json::Object());
    ASSERT_TRUE(made.ok());
    space = std::move(*made);
  }
  ASSERT_TRUE(space->write(WriteBatch{{StoredRecord{"a^gib", "{}"}}, {}, {}}).ok());
  EXPECT_TRUE(*space->has("a^gib"));
}

// Whether a library whose file name contains `part` is mapped into this
// process (/proc/self/maps).
bool mapped(const std::string& part) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(part) != std::string::npos) return true;
  }
  return false;
}

// A kernel loads every plugin of its directories; space-postgres keeps
// libpq (and the ~20 libraries it brings) out of every process that does
// not create a PostgreSQL space (plugins/space-postgres/postgres_client.h).
TEST(PluginLoading, LoadingSpacePostgresMapsNoPostgresClient) {
  if (mapped("libpq.so") || mapped("libpqxx")) GTEST_SKIP() << "this test process already maps libpq";
  auto plugin = LoadedPlugin::load(kPluginDir / "libgibkit-space-postgres.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  EXPECT_EQ((*plugin)->name(), "space-postgres");
  EXPECT_FALSE((*plugin)->config_schema().empty());
  EXPECT_FALSE(mapped("libpq.so"));
  EXPECT_FALSE(mapped("libpqxx"));
  EXPECT_FALSE(mapped("libgibkit-space-postgres-client"));
}

// Where the client library is missing, the plugin still loads (a node that
// does not use it starts), and creating a space names what did not load.
TEST(PluginLoading, SpacePostgresWithoutItsClientLibraryNamesIt) {
  gibkit::testing::TempDir dir;
  std::filesystem::copy_file(kPluginDir / "libgibkit-space-postgres.so", dir.path() / "libgibkit-space-postgres.so");
  auto plugin = LoadedPlugin::load(dir.path() / "libgibkit-space-postgres.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  auto space = (*plugin)->create_space(json::Object{{"connection", "host=/nonexistent"}});
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(space.status().message().find((dir.path() / "space-postgres" / "libgibkit-space-postgres-client.so").string()),
            std::string::npos)
      << space.status().message();
}

// With the client beside it, creating a space reaches PostgreSQL: here a
// server that is not there, refused by libpq, not by the loader.
TEST(PluginLoading, SpacePostgresLoadsItsClientWhenASpaceIsCreated) {
  gibkit::testing::TempDir sockets;
  auto plugin = LoadedPlugin::load(kPluginDir / "libgibkit-space-postgres.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  auto space = (*plugin)->create_space(
      json::Object{{"connection", "host=" + sockets.path().string() + " dbname=none user=none connect_timeout=2"}});
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().message().find("client library"), std::string::npos) << space.status().message();
  EXPECT_TRUE(mapped("libgibkit-space-postgres-client"));
  EXPECT_TRUE(mapped("libpq.so"));
}

}  // namespace
}  // namespace gibkit::kernel
