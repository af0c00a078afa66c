// File: gibkit/kernel/plugin/loaded_plugin.h
//
// One plugin shared library, loaded with Boost.DLL, whose descriptor passed
// the version gate and whose config schema parsed. It makes instances
// through the plugin's factory and hands them out as the C++ interfaces
// (host-side proxies over the C tables), so no kernel code sees the ABI.
//
// A signer plugin also declares which identity frames it verifies, by their
// `ib` (frame_ibs()), so that the kernel need not guess it from names.
//
// A plugin of SDK 1.3 or later that asks for them (attach_host) gets the
// node's services at load, before any instance is made: its log lines, its
// metrics and the node's clock (gibkit/kernel/plugin/host_services.h).
//
// Every instance keeps its LoadedPlugin alive, and the library itself is
// loaded with RTLD_NODELETE: its code stays mapped until the process exits,
// because libraries plugins use leave threads and singletons behind that
// cannot be unloaded safely (Boost.DLL issue #68).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "gibkit/json.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/plugin_abi.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/status.h"
#include "gibkit/transport.h"

namespace gibkit::kernel {

enum class PluginKind { kSpace = GIBKIT_PLUGIN_KIND_SPACE, kTransport = GIBKIT_PLUGIN_KIND_TRANSPORT,
                        kSigner = GIBKIT_PLUGIN_KIND_SIGNER };

// "space", "transport", "signer".
[[nodiscard]] std::string_view plugin_kind_name(PluginKind kind) noexcept;

class LoadedPlugin : public std::enable_shared_from_this<LoadedPlugin> {
 public:
  // Loads `path` and checks it: kNotFound/kUnavailable when it cannot be
  // loaded, kInvalidArgument when it exports no gibkit entry point or has a
  // malformed descriptor, kIncompatible when built for another SDK major or a
  // newer minor (checked before anything else is read).
  [[nodiscard]] static Result<std::shared_ptr<LoadedPlugin>> load(const std::filesystem::path& path);

  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  [[nodiscard]] PluginKind kind() const noexcept { return kind_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& version() const noexcept { return version_; }
  [[nodiscard]] const std::string& description() const noexcept { return description_; }
  [[nodiscard]] const std::vector<ConfigKey>& config_schema() const noexcept { return schema_; }
  // Signers: the `ib` of the identity frames the plugin verifies, as it
  // declared them (gibkit_plugin_descriptor.signer_frame_ibs, SDK 1.1).
  // Empty for other kinds and for signers that declare none (built against
  // SDK 1.0, or with GIBKIT_PLUGIN rather than GIBKIT_SIGNER_PLUGIN).
  [[nodiscard]] const std::vector<std::string>& frame_ibs() const noexcept { return frame_ibs_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  // "major.minor" of the SDK the plugin was built with.
  [[nodiscard]] std::string sdk_version() const;

  // Instantiates the plugin. `config` must already satisfy config_schema()
  // (the kernel's config validation does that); the plugin checks again and
  // reports kInvalidArgument otherwise. kFailedPrecondition for another kind.
  [[nodiscard]] Result<std::unique_ptr<Space>> create_space(const json::Object& config);
  [[nodiscard]] Result<std::unique_ptr<Transport>> create_transport(const json::Object& config);
  [[nodiscard]] Result<std::unique_ptr<Signer>> create_signer(const json::Object& config);

 private:
  LoadedPlugin() = default;
  Status check_kind(PluginKind wanted) const;

  boost::dll::shared_library library_;
  const gibkit_plugin_descriptor* descriptor_ = nullptr;
  std::filesystem::path path_;
  PluginKind kind_ = PluginKind::kSpace;
  std::string name_;
  std::string version_;
  std::string description_;
  std::vector<ConfigKey> schema_;
  std::vector<std::string> frame_ibs_;
};

// The frame ibs declared by the plugin that made `signer` (the frame_ibs() of
// its LoadedPlugin): what a caller holding only the instance, such as
// Node::signer(name), uses to pick the verifier of a frame by its ib. Empty
// for a signer no plugin made (e.g. one built in process).
[[nodiscard]] const std::vector<std::string>& signer_frame_ibs(const Signer& signer) noexcept;

}  // namespace gibkit::kernel
