#include "gibkit/kernel/plugin/plugin_registry.h"

#include <algorithm>
#include <system_error>

#include <boost/dll/runtime_symbol_info.hpp>

namespace gibkit::kernel {

std::filesystem::path default_plugin_dir() {
  boost::dll::fs::error_code ec;
  std::filesystem::path exe(boost::dll::program_location(ec).string());
  if (ec) return std::filesystem::path("lib") / "gibkit" / "plugins";  // /proc unreadable: relative fallback
  return (exe.parent_path() / ".." / "lib" / "gibkit" / "plugins").lexically_normal();
}

Status PluginRegistry::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return not_found("plugin directory " + dir.string() + " does not exist");
  std::vector<std::filesystem::path> libraries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".so") libraries.push_back(entry.path());
  }
  if (ec) return unavailable("cannot list plugin directory " + dir.string() + ": " + ec.message());
  std::sort(libraries.begin(), libraries.end());
  for (const std::filesystem::path& path : libraries) {
    Result<std::shared_ptr<LoadedPlugin>> plugin = LoadedPlugin::load(path);
    Status status = plugin.ok() ? add(std::move(*plugin)) : plugin.status();
    if (!status.ok()) problems_.push_back(std::move(status));
  }
  return Status();
}

Status PluginRegistry::add(std::shared_ptr<LoadedPlugin> plugin) {
  auto key = std::make_pair(plugin->kind(), plugin->name());
  if (auto it = plugins_.find(key); it != plugins_.end()) {
    return already_exists("plugin " + plugin->path().string() + ": a " +
                          std::string(plugin_kind_name(plugin->kind())) + " plugin named '" + plugin->name() +
                          "' is already loaded from " + it->second->path().string());
  }
  plugins_.emplace(std::move(key), std::move(plugin));
  return Status();
}

std::shared_ptr<LoadedPlugin> PluginRegistry::find(PluginKind kind, std::string_view name) const {
  auto it = plugins_.find(std::make_pair(kind, std::string(name)));
  return it == plugins_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<LoadedPlugin>> PluginRegistry::plugins() const {
  std::vector<std::shared_ptr<LoadedPlugin>> out;
  for (const auto& [key, plugin] : plugins_) out.push_back(plugin);
  return out;
}

std::vector<std::string> PluginRegistry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto& [key, plugin] : plugins_) {
    if (key.first == kind) out.push_back(key.second);
  }
  return out;
}

}  // namespace gibkit::kernel
