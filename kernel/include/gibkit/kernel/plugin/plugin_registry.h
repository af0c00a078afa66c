// File: gibkit/kernel/plugin/plugin_registry.h
//
// The plugins a node can use, keyed by kind and name, loaded from plugin
// directories. A library that fails to load (wrong version, not a plugin)
// does not stop the others; it is remembered as a problem so that an error
// about a missing plugin can say why it is missing.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/status.h"

namespace gibkit::kernel {

// <directory of the running executable>/../lib/gibkit/plugins, where the
// build and the install put the bundled plugins.
[[nodiscard]] std::filesystem::path default_plugin_dir();

class PluginRegistry {
 public:
  // Loads every shared library (*.so) in `dir`, in name order. kNotFound if
  // the directory does not exist; per-library failures go to problems().
  Status load_directory(const std::filesystem::path& dir);

  // Adds one loaded plugin; kAlreadyExists if its kind and name are taken.
  Status add(std::shared_ptr<LoadedPlugin> plugin);

  // nullptr when absent.
  [[nodiscard]] std::shared_ptr<LoadedPlugin> find(PluginKind kind, std::string_view name) const;
  [[nodiscard]] std::vector<std::shared_ptr<LoadedPlugin>> plugins() const;
  [[nodiscard]] std::vector<std::string> names(PluginKind kind) const;

  // Libraries that were found but refused, with the reason.
  [[nodiscard]] const std::vector<Status>& problems() const noexcept { return problems_; }

 private:
  std::map<std::pair<PluginKind, std::string>, std::shared_ptr<LoadedPlugin>, std::less<>> plugins_;
  std::vector<Status> problems_;
};

}  // namespace gibkit::kernel
