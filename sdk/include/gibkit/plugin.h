// File: gibkit/plugin.h
//
// How to write a gibkit plugin. Implement one of the C++ interfaces
// (gibkit::Space, gibkit::Transport, gibkit::Signer), describe the plugin in
// a function returning a PluginSpec, and export it with GIBKIT_PLUGIN at
// global scope, once per shared library:
//
//   #include "gibkit/plugin.h"
//
//   namespace {
//   class MySpace final : public gibkit::Space { ... };
//
//   gibkit::PluginSpec<gibkit::Space> my_space_plugin() {
//     return {
//         .name = "space-mine",
//         .version = "1.0.0",
//         .description = "Keeps records in my store",
//         .config = {{.key = "path", .type = gibkit::ConfigType::kString, .required = true,
//                     .description = "Directory of the store"}},
//         .create = [](const gibkit::json::Object& config)
//             -> gibkit::Result<std::unique_ptr<gibkit::Space>> {
//           std::string path = config.find("path")->as_string();  // validated
//           return std::unique_ptr<gibkit::Space>(new MySpace(path));
//         },
//     };
//   }
//   }  // namespace
//
//   GIBKIT_PLUGIN(my_space_plugin)
//
// and build it with gibkit_add_plugin(<target> SOURCES ...) from the gibkit
// CMake package. What happens underneath (docs/plugins.md has the details):
//  * GIBKIT_PLUGIN exports the C entry point gibkit_plugin_v1 (a plain
//    extern "C" symbol with default visibility, GIBKIT_PLUGIN_ENTRY below)
//    returning a C descriptor (plugin_abi.h) stamped with the SDK version this
//    plugin was compiled against;
//  * the kernel validates the YAML config block against `config` before
//    calling `create`, filling defaults, so `create` may rely on every
//    required key being present with the declared type;
//  * every call into the object is wrapped so that no exception leaves the
//    plugin (an exception becomes a kInternal error) and no C++ type crosses
//    the boundary;
//  * the object is destroyed by the kernel through the plugin, so allocation
//    and deallocation always happen on the same side.
//  * the kernel's services (log, metrics, clock; SDK 1.3) are attached when
//    it loads the plugin: gibkit::host() (gibkit/host.h) from any code of it.
//
// This header, like every installed SDK header, needs only the C++ standard
// library (plugin_abi.h only C): no Boost.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gibkit/host.h"
#include "gibkit/json.h"
#include "gibkit/plugin/abi_support.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/plugin/signer_export.h"
#include "gibkit/plugin/space_export.h"
#include "gibkit/plugin/transport_export.h"
#include "gibkit/plugin_abi.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/status.h"
#include "gibkit/transport.h"

// GIBKIT_PLUGIN_EXPORT (plugin_abi.h) marks the entry point exported from a
// plugin built with hidden visibility (gibkit_add_plugin builds so).

// The entry point's name embeds the major (GIBKIT_PLUGIN_ENTRY_NAME); a new
// major renames it here too.
static_assert(GIBKIT_SDK_VERSION_MAJOR == 1, "GIBKIT_PLUGIN_ENTRY defines gibkit_plugin_v1: rename it with the major");

// Defines the exported entry point gibkit_plugin_v1 as a constant pointer to
// `entry_function` (a function `const gibkit_plugin_descriptor*() noexcept`):
// a plain extern "C" data symbol with default visibility, laid out exactly as
// the Boost.DLL alias that earlier SDKs exported, so kernels of every
// version load it (this kernel also loads the function itself exported under
// that name, which is simpler to write in C). GIBKIT_PLUGIN and
// GIBKIT_SIGNER_PLUGIN use it; a hand-written descriptor may too. At global
// scope, once per shared library.
#define GIBKIT_PLUGIN_ENTRY(entry_function)                                              \
  extern "C" {                                                                           \
  GIBKIT_PLUGIN_EXPORT extern const gibkit_plugin_entry_fn gibkit_plugin_v1;             \
  const gibkit_plugin_entry_fn gibkit_plugin_v1 = &entry_function;                       \
  }

namespace gibkit {

// Describes a plugin implementing `Interface` (Space, Transport or Signer).
template <typename Interface>
struct PluginSpec {
  using interface_type = Interface;
  using Factory = std::function<Result<std::unique_ptr<Interface>>(const json::Object& config)>;

  std::string name{};         // unique per kind; what YAML `plugin:` refers to
  std::string version{};      // the plugin's own version, shown by the kernel
  std::string description{};  // one line
  std::vector<ConfigKey> config{};
  Factory create{};
};

namespace plugin_detail {

template <typename Interface>
struct Kind;
template <>
struct Kind<Space> {
  static constexpr int value = GIBKIT_PLUGIN_KIND_SPACE;
  using Export = SpaceExport;
  using Handle = gibkit_space;
};
template <>
struct Kind<Transport> {
  static constexpr int value = GIBKIT_PLUGIN_KIND_TRANSPORT;
  using Export = TransportExport;
  using Handle = gibkit_transport;
};
template <>
struct Kind<Signer> {
  static constexpr int value = GIBKIT_PLUGIN_KIND_SIGNER;
  using Export = SignerExport;
  using Handle = gibkit_signer;
};

// The spec of this shared library, built once on first use.
template <auto SpecFunction>
const auto& spec() {
  static const auto kSpec = SpecFunction();
  return kSpec;
}

template <auto SpecFunction>
using InterfaceOf = typename std::decay_t<decltype(SpecFunction())>::interface_type;

template <auto SpecFunction>
int create(gibkit_str config_json, typename Kind<InterfaceOf<SpecFunction>>::Handle* out,
           gibkit_sink error) noexcept {
  using Interface = InterfaceOf<SpecFunction>;
  return abi::guarded(error, [&]() -> Status {
    Result<json::Value> config = json::parse(abi::to_view(config_json));
    if (!config.ok()) return config.status().with_context("plugin config");
    if (!config->is_object()) return invalid_argument("plugin config must be a JSON object");
    Result<std::unique_ptr<Interface>> made = spec<SpecFunction>().create(config->as_object());
    if (!made.ok()) return made.status();
    if (*made == nullptr) return internal_error("plugin factory returned null");
    *out = Kind<Interface>::Export::wrap(std::move(*made));
    return Status();
  });
}

// The C descriptor and the schema text it points into; never copied, so the
// pointers stay valid for the life of the library.
template <auto SpecFunction>
struct Described {
  using Interface = InterfaceOf<SpecFunction>;

  Described() : schema_json(config_schema_to_json(spec<SpecFunction>().config)) {
    const auto& s = spec<SpecFunction>();
    descriptor.sdk_version_major = GIBKIT_SDK_VERSION_MAJOR;
    descriptor.sdk_version_minor = GIBKIT_SDK_VERSION_MINOR;
    descriptor.struct_size = sizeof(gibkit_plugin_descriptor);
    descriptor.kind = Kind<Interface>::value;
    descriptor.name = s.name.c_str();
    descriptor.version = s.version.c_str();
    descriptor.description = s.description.c_str();
    descriptor.config_schema_json = schema_json.c_str();
    if constexpr (std::is_same_v<Interface, Space>) descriptor.create_space = &create<SpecFunction>;
    if constexpr (std::is_same_v<Interface, Transport>) descriptor.create_transport = &create<SpecFunction>;
    if constexpr (std::is_same_v<Interface, Signer>) descriptor.create_signer = &create<SpecFunction>;
    descriptor.attach_host = &attach_host;  // gibkit::host() (gibkit/host.h)
  }
  Described(const Described&) = delete;
  Described& operator=(const Described&) = delete;

  std::string schema_json;
  gibkit_plugin_descriptor descriptor{};
};

template <auto SpecFunction>
const gibkit_plugin_descriptor* describe() noexcept {
  try {
    static const Described<SpecFunction> kDescribed;
    return &kDescribed.descriptor;
  } catch (...) {
    return nullptr;  // the kernel reports that the plugin failed to describe itself
  }
}

}  // namespace plugin_detail
}  // namespace gibkit

// Exports the plugin described by `spec_function` (a function taking no
// arguments and returning a gibkit::PluginSpec). Use once per shared
// library, at global scope.
#define GIBKIT_PLUGIN(spec_function)                                                   \
  namespace {                                                                          \
  const gibkit_plugin_descriptor* gibkit_plugin_entry() noexcept {                     \
    return ::gibkit::plugin_detail::describe<&spec_function>();                        \
  }                                                                                    \
  }                                                                                    \
  GIBKIT_PLUGIN_ENTRY(gibkit_plugin_entry)
