// libFuzzer target: deployment YAML (kernel DeploymentLoader::load_text,
// gibkit/kernel/config/deployment.h). Fast and offline: the plugin
// directory is an empty temporary directory, so no plugin is loaded and
// instance blocks end in "no such plugin" problems, while the YAML itself,
// the node block and an extension section (a stand-in for gibd's `sync:`,
// with a key of every ConfigType) are checked in full. Every input must load
// or be refused with kInvalidArgument; nothing may crash or throw.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "gibkit/plugin/config_key.h"

namespace {

std::filesystem::path g_plugin_dir;

gibkit::kernel::DeploymentLoader make_loader() {
  using gibkit::ConfigKey;
  using gibkit::ConfigType;
  gibkit::kernel::DeploymentLoader loader;
  std::vector<ConfigKey> keys;
  keys.push_back(ConfigKey{.key = "signer", .type = ConfigType::kString});
  keys.push_back(ConfigKey{.key = "transport", .type = ConfigType::kString, .default_value = gibkit::json::Value("t")});
  keys.push_back(ConfigKey{.key = "trust", .type = ConfigType::kStringList});
  keys.push_back(ConfigKey{.key = "peers", .type = ConfigType::kObject});
  keys.push_back(ConfigKey{.key = "max_message_bytes", .type = ConfigType::kInteger,
                           .default_value = gibkit::json::Value(1024)});
  keys.push_back(ConfigKey{.key = "ratio", .type = ConfigType::kNumber});
  keys.push_back(ConfigKey{.key = "enabled", .type = ConfigType::kBoolean});
  keys.push_back(ConfigKey{.key = "key_file", .type = ConfigType::kPath});
  keys.push_back(ConfigKey{.key = "name", .type = ConfigType::kString, .required = true});
  loader.set_section("sync", std::move(keys));
  return loader;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::error_code ec;
  g_plugin_dir = std::filesystem::temp_directory_path(ec) / "gibkit-fuzz-no-plugins";
  std::filesystem::create_directories(g_plugin_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", g_plugin_dir.c_str(), ec.message().c_str());
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const gibkit::kernel::DeploymentLoader loader = make_loader();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gibkit::kernel::PluginRegistry registry;
  gibkit::Result<gibkit::kernel::Deployment> deployment =
      loader.load_text(text, "/nonexistent/fuzz/deployment.yaml", registry, {g_plugin_dir});
  if (!deployment.ok() && deployment.status().code() != gibkit::StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "load_text failed with an unexpected code: %s\n", deployment.status().to_string().c_str());
    std::abort();
  }
  return 0;
}
