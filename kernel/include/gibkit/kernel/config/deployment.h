// File: gibkit/kernel/config/deployment.h
//
// A deployment: the YAML file that says what a node is made of (which
// plugins, which instances, with which settings). The format is documented
// in docs/config.md. Loading validates everything up front and reports every
// problem at once, each as "file:line:column: what was expected", so that a
// node never starts half-configured.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/status.h"

namespace gibkit::kernel {

// One plugin instance: `name` is how the rest of the deployment (and the
// kernel) refers to it, `plugin` the plugin's registered name, `config` the
// plugin's block validated against its schema with defaults filled in.
struct InstanceConfig {
  std::string name;
  std::string plugin;
  json::Object config;
};

enum class SpaceRole { kDurable, kTemporary };

struct SpaceConfig : InstanceConfig {
  SpaceRole role = SpaceRole::kDurable;
};

struct TransportConfig : InstanceConfig {
  bool listen = false;  // a receiver: serves requests while the node runs
};

using SignerConfig = InstanceConfig;

struct Deployment {
  std::filesystem::path file;
  std::string node_name;
  std::vector<std::filesystem::path> plugin_dirs;  // absolute, in search order
  std::vector<SpaceConfig> spaces;                 // exactly one is durable
  std::vector<TransportConfig> transports;
  std::vector<SignerConfig> signers;
  // Extension sections (e.g. "sync"), validated against their registered
  // keys with defaults filled; absent from the map when absent from the file.
  std::map<std::string, json::Object, std::less<>> sections;
};

class DeploymentLoader {
 public:
  // Adds (or replaces) a top-level section validated against `keys`, so a
  // subsystem owns its settings without editing the loader (gibd registers
  // the saga's `sync:` keys, gibkit::saga::SyncNode::section_keys()).
  void set_section(std::string name, std::vector<ConfigKey> keys);

  // Reads and validates `file`, loading plugins into `registry` from the
  // plugin directories: `plugin_dir_override` when not empty (gibd
  // --plugin-dir), else node.plugin_dirs, else default_plugin_dir().
  // On any problem returns kInvalidArgument whose message lists them all, one
  // per line, as "file:line:column: message".
  [[nodiscard]] Result<Deployment> load_file(const std::filesystem::path& file, PluginRegistry& registry,
                                             const std::vector<std::filesystem::path>& plugin_dir_override = {}) const;

  // As load_file, from text; `file` names it in messages and anchors
  // relative paths.
  [[nodiscard]] Result<Deployment> load_text(std::string_view text, const std::filesystem::path& file,
                                             PluginRegistry& registry,
                                             const std::vector<std::filesystem::path>& plugin_dir_override = {}) const;

 private:
  std::map<std::string, std::vector<ConfigKey>, std::less<>> sections_;
};

}  // namespace gibkit::kernel
