// The version promise of docs/plugins.md ("Versioning"), from the kernel's
// side: a plugin built against an earlier minor's headers loads (and gets
// no host services, which it does not know), and a plugin claiming a newer
// minor or another major is refused with the documented message.
// compat_space_conformance_test runs the conformance suite over the former.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/log/log.h"
#include "captured_log.h"
#include "gibkit/plugin_abi.h"
#include "support/temp_dir.h"

namespace gibkit {
namespace {

using kernel::LoadedPlugin;
using gibkit::testing::CapturedLog;

std::filesystem::path compat_plugin(const std::string& stem) {
  return std::filesystem::path(GIBKIT_COMPAT_PLUGIN_DIR) / ("libgibkit-" + stem + ".so");
}

TEST(Compat, TheHeadersKeptAreTheEarlierMinors) {
  // If the build's minor moves on, tests/compat gets the headers of the
  // one before (git show <commit>:sdk/include/gibkit/plugin_abi.h).
  EXPECT_EQ(GIBKIT_SDK_VERSION_MAJOR, 1);
  EXPECT_EQ(GIBKIT_SDK_VERSION_MINOR, 5);
}

class EarlierMinor : public ::testing::TestWithParam<std::string> {};

// Loads, creates and writes; a 1.1 or 1.2 plugin does so without host
// services; none of them offers sagas' staging (1.4; the example does not),
// and the kernel reads no table entry past the end of theirs.
TEST_P(EarlierMinor, LoadsCreatesAndWrites) {
  CapturedLog log;
  auto plugin = LoadedPlugin::load(compat_plugin("space-files-c-sdk-" + GetParam()));
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  EXPECT_EQ((*plugin)->sdk_version(), GetParam());
  EXPECT_EQ((*plugin)->name(), "space-files-c");
  testing::TempDir dir;
  json::Object config;
  config.set("path", json::Value((dir.path() / "db").string()));
  config.set("create_if_missing", json::Value(true));
  auto space = (*plugin)->create_space(config);
  ASSERT_TRUE(space.ok()) << space.status().to_string();
  WriteBatch batch;
  batch.puts.push_back({"a^gib", R"({"ib":"a","gib":"gib"})"});
  batch.heads.push_back({"tl", "a^gib", std::nullopt});
  ASSERT_TRUE((*space)->write(batch).ok());
  auto head = (*space)->head("tl");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, std::optional<std::string>("a^gib"));
  EXPECT_EQ((*space)->saga_staging(), nullptr);
  if (GetParam() == "1.3" || GetParam() == "1.4") return;  // has host services: it logs (host_services_test.cc)
  // Built before host services existed: its descriptor ends before
  // attach_host, the kernel never offers them, and it logs nothing.
  for (const std::string& line : log.lines()) {
    EXPECT_EQ(line.find("plugin=space-files-c"), std::string::npos) << line;
  }
}

INSTANTIATE_TEST_SUITE_P(Sdk, EarlierMinor, ::testing::Values("1.1", "1.2", "1.3", "1.4"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "v" + info.param;
                           name[2] = '_';
                           return name;
                         });

// The message docs/plugins.md quotes, for a plugin claiming `claimed`.
std::string refusal(const std::string& path, const std::string& claimed) {
  return "plugin " + path + ": built for gibkit SDK " + claimed +
         ", but this kernel supports SDK 1.0 to 1.5; rebuild the plugin against this SDK or upgrade gibkit";
}

TEST(Compat, RefusesAFutureMinor) {
  const std::filesystem::path path = compat_plugin("claims-sdk-1.6");
  auto plugin = LoadedPlugin::load(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kIncompatible);
  EXPECT_EQ(plugin.status().message(), refusal(path.string(), "1.6"));
}

TEST(Compat, RefusesAnotherMajor) {
  const std::filesystem::path path = compat_plugin("claims-sdk-2.0");
  auto plugin = LoadedPlugin::load(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kIncompatible);
  EXPECT_EQ(plugin.status().message(), refusal(path.string(), "2.0"));
}

}  // namespace
}  // namespace gibkit
