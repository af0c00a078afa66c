#include "gibkit/kernel/plugin/loaded_plugin.h"

#include <dlfcn.h>
#include <link.h>  // ElfW: the symbol table entry dladdr1 gives

#include <cstddef>
#include <exception>

#include <boost/dll/import.hpp>

#include "gibkit/kernel/plugin/host_services.h"
#include "gibkit/plugin/abi_support.h"
#include "host_proxies.h"

namespace gibkit::kernel {
namespace {

// The smallest descriptor a plugin may hand out: a 1.0 one. Fields added
// since are read only when its struct_size covers them.
constexpr size_t kMinDescriptorSize = GIBKIT_PLUGIN_DESCRIPTOR_SIZE_1_0;

// Whether a descriptor of `struct_size` bytes holds the field at `offset`
// of `size` bytes (the plugin was built against an SDK that has it).
constexpr bool covers(size_t struct_size, size_t offset, size_t size) { return struct_size >= offset + size; }

// The frame ibs a signer declares (SDK 1.1): a NULL-terminated list of
// valid, distinct ibs, at most GIBKIT_MAX_SIGNER_FRAME_IBS of them.
Result<std::vector<std::string>> parse_frame_ibs(const gibkit_plugin_descriptor& d) {
  if (!covers(d.struct_size, offsetof(gibkit_plugin_descriptor, signer_frame_ibs), sizeof(d.signer_frame_ibs)) ||
      d.signer_frame_ibs == nullptr) {
    return std::vector<std::string>{};
  }
  if (d.kind != GIBKIT_PLUGIN_KIND_SIGNER) return invalid_argument("only a signer declares signer_frame_ibs");
  std::vector<std::string> ibs;
  for (size_t i = 0; d.signer_frame_ibs[i] != nullptr; ++i) {
    if (i == GIBKIT_MAX_SIGNER_FRAME_IBS) {
      return invalid_argument("signer_frame_ibs holds more than " + std::to_string(GIBKIT_MAX_SIGNER_FRAME_IBS) +
                              " entries (is it NULL-terminated?)");
    }
    std::string ib = d.signer_frame_ibs[i];
    if (ib.empty() || ib.find('^') != std::string::npos) {
      return invalid_argument("signer_frame_ibs[" + std::to_string(i) + "] '" + ib + "' is not a valid ib");
    }
    for (const std::string& seen : ibs) {
      if (seen == ib) return invalid_argument("signer_frame_ibs declares '" + ib + "' twice");
    }
    ibs.push_back(std::move(ib));
  }
  return ibs;
}

Result<ConfigKey> parse_schema_entry(const json::Value& entry, size_t index) {
  const std::string where = "config schema entry " + std::to_string(index);
  if (!entry.is_object()) return invalid_argument(where + " is not an object");
  const json::Object& object = entry.as_object();
  for (const auto& [key, value] : object) {
    if (key != "key" && key != "type" && key != "required" && key != "default" && key != "description" &&
        key != "min" && key != "max" && key != "oneOf" && key != "mustExist" && key != "persistsState") {
      return invalid_argument(where + " has unknown member '" + key + "'");
    }
  }
  ConfigKey out;
  GIBKIT_ASSIGN_OR_RETURN(out.key, json::get_string(object, "key"));
  if (out.key.empty()) return invalid_argument(where + " has an empty key");
  GIBKIT_ASSIGN_OR_RETURN(std::string type_name, json::get_string(object, "type"));
  std::optional<ConfigType> type = config_type_from_name(type_name);
  if (!type) return invalid_argument(where + " ('" + out.key + "') has unknown type '" + type_name + "'");
  out.type = *type;
  if (object.contains("required")) {
    GIBKIT_ASSIGN_OR_RETURN(out.required, json::get_bool(object, "required"));
  }
  if (const json::Value* d = object.find("default")) out.default_value = *d;
  if (object.contains("description")) {
    GIBKIT_ASSIGN_OR_RETURN(out.description, json::get_string(object, "description"));
  }
  // Rules (SDK schema members added after 1.1; absent in older plugins).
  const bool numeric = out.type == ConfigType::kInteger || out.type == ConfigType::kNumber;
  for (const char* bound : {"min", "max"}) {
    const json::Value* v = object.find(bound);
    if (v == nullptr) continue;
    if (!numeric || !v->is_number()) {
      return invalid_argument(where + " ('" + out.key + "'): '" + bound + "' must be a number on an integer or number key");
    }
    (std::string_view(bound) == "min" ? out.min : out.max) = v->as_number();
  }
  if (out.min && out.max && *out.min > *out.max) {
    return invalid_argument(where + " ('" + out.key + "'): min is above max");
  }
  if (const json::Value* v = object.find("oneOf")) {
    if ((out.type != ConfigType::kString && out.type != ConfigType::kStringList) || !v->is_array() ||
        v->as_array().empty()) {
      return invalid_argument(where + " ('" + out.key + "'): 'oneOf' must be a non-empty array on a string key");
    }
    for (const json::Value& item : v->as_array()) {
      if (!item.is_string()) return invalid_argument(where + " ('" + out.key + "'): 'oneOf' holds a non-string");
      out.one_of.push_back(item.as_string());
    }
  }
  if (object.contains("mustExist")) {
    GIBKIT_ASSIGN_OR_RETURN(out.must_exist, json::get_bool(object, "mustExist"));
    if (out.must_exist && out.type != ConfigType::kPath) {
      return invalid_argument(where + " ('" + out.key + "'): 'mustExist' is for path keys");
    }
  }
  if (object.contains("persistsState")) {
    GIBKIT_ASSIGN_OR_RETURN(out.persists_state, json::get_bool(object, "persistsState"));
  }
  return out;
}

Result<std::vector<ConfigKey>> parse_schema(const char* text) {
  if (text == nullptr) return invalid_argument("descriptor has no config schema");
  Result<json::Value> parsed = json::parse(text);
  if (!parsed.ok()) return parsed.status().with_context("config schema");
  if (!parsed->is_array()) return invalid_argument("config schema is not a JSON array");
  std::vector<ConfigKey> keys;
  for (size_t i = 0; i < parsed->as_array().size(); ++i) {
    GIBKIT_ASSIGN_OR_RETURN(ConfigKey key, parse_schema_entry(parsed->as_array()[i], i));
    for (const ConfigKey& seen : keys) {
      if (seen.key == key.key) return invalid_argument("config schema declares '" + key.key + "' twice");
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

// The entry point, exported in either form a gibkit plugin may use:
//  * a function (STT_FUNC): GIBKIT_PLUGIN_ENTRY, or a C plugin's
//    `GIBKIT_PLUGIN_EXPORT const gibkit_plugin_descriptor* gibkit_plugin_v1(void)`;
//  * a Boost.DLL alias (STT_OBJECT): a `const void*` variable holding the
//    function's address, as GIBKIT_PLUGIN exported it before the SDK
//    headers dropped Boost (SDK 1.0 to 1.2 plugins).
// The dynamic linker's own symbol table entry for the address says which
// (dladdr1 with RTLD_DL_SYMENT), so an older plugin still loads unchanged.
Result<gibkit_plugin_entry_fn> import_entry(const boost::dll::shared_library& library, const std::string& where) {
  using EntryFunction = const gibkit_plugin_descriptor*();
  // Boost.DLL's get<T> is a reference to the symbol; its address is the symbol's.
  void* address = static_cast<void*>(&library.get<unsigned char>(GIBKIT_PLUGIN_ENTRY_NAME));
  Dl_info info{};
  void* entry = nullptr;
  if (dladdr1(address, &info, &entry, RTLD_DL_SYMENT) == 0 || entry == nullptr) {
    return invalid_argument(where + ": cannot tell how '" GIBKIT_PLUGIN_ENTRY_NAME "' is exported");
  }
  const auto* symbol = static_cast<const ElfW(Sym)*>(entry);
  // ELF32_ST_TYPE and ELF64_ST_TYPE are the same (the low 4 bits of st_info).
  switch (ELF64_ST_TYPE(symbol->st_info)) {
    case STT_FUNC: return &library.get<EntryFunction>(GIBKIT_PLUGIN_ENTRY_NAME);
    case STT_OBJECT: {
      if (symbol->st_size != sizeof(void*)) break;
      if (library.get<const void*>(GIBKIT_PLUGIN_ENTRY_NAME) == nullptr) break;
      return &library.get_alias<EntryFunction>(GIBKIT_PLUGIN_ENTRY_NAME);
    }
    default: break;
  }
  return invalid_argument(where + ": exports '" GIBKIT_PLUGIN_ENTRY_NAME
                          "' but neither as a function nor as a Boost.DLL alias to one");
}

}  // namespace

std::string_view plugin_kind_name(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::kSpace: return "space";
    case PluginKind::kTransport: return "transport";
    case PluginKind::kSigner: return "signer";
  }
  return "unknown";
}

Result<std::shared_ptr<LoadedPlugin>> LoadedPlugin::load(const std::filesystem::path& path) {
  std::shared_ptr<LoadedPlugin> plugin(new LoadedPlugin());
  plugin->path_ = path;
  const std::string where = "plugin " + path.string();
  try {
    // RTLD_NODELETE: a plugin's code stays mapped for the life of the
    // process. Libraries plugins use start threads and never-destroyed
    // singletons (LevelDB's Env::Default() has a detached background thread),
    // so unmapping them is never safe (Boost.DLL issue #68). Boost.DLL passes
    // native dlopen flags through on POSIX.
    plugin->library_.load(boost::dll::fs::path(path.string()),
                          static_cast<boost::dll::load_mode::type>(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
    if (!plugin->library_.has(GIBKIT_PLUGIN_ENTRY_NAME)) {
      return invalid_argument(where + ": not a gibkit plugin (it exports no '" GIBKIT_PLUGIN_ENTRY_NAME "')");
    }
    Result<gibkit_plugin_entry_fn> entry = import_entry(plugin->library_, where);
    if (!entry.ok()) return entry.status();
    plugin->descriptor_ = (*entry)();
  } catch (const std::exception& e) {
    return unavailable(where + ": cannot load: " + e.what());
  }
  const gibkit_plugin_descriptor* d = plugin->descriptor_;
  if (d == nullptr) return internal_error(where + ": the plugin failed to describe itself");

  // The version gate reads only the two fields that never move.
  if (d->sdk_version_major != GIBKIT_SDK_VERSION_MAJOR || d->sdk_version_minor > GIBKIT_SDK_VERSION_MINOR) {
    return incompatible(where + ": built for gibkit SDK " + std::to_string(d->sdk_version_major) + "." +
                        std::to_string(d->sdk_version_minor) + ", but this kernel supports SDK " +
                        std::to_string(GIBKIT_SDK_VERSION_MAJOR) + ".0 to " +
                        std::to_string(GIBKIT_SDK_VERSION_MAJOR) + "." + std::to_string(GIBKIT_SDK_VERSION_MINOR) +
                        "; rebuild the plugin against this SDK or upgrade gibkit");
  }
  if (d->struct_size < kMinDescriptorSize) return invalid_argument(where + ": descriptor is truncated");
  if (d->kind < GIBKIT_PLUGIN_KIND_SPACE || d->kind > GIBKIT_PLUGIN_KIND_SIGNER) {
    return invalid_argument(where + ": unknown plugin kind " + std::to_string(d->kind));
  }
  plugin->kind_ = static_cast<PluginKind>(d->kind);
  if (d->name == nullptr || d->name[0] == '\0') return invalid_argument(where + ": descriptor has no name");
  plugin->name_ = d->name;
  plugin->version_ = d->version ? d->version : "";
  plugin->description_ = d->description ? d->description : "";
  const bool has_factory = (plugin->kind_ == PluginKind::kSpace && d->create_space) ||
                           (plugin->kind_ == PluginKind::kTransport && d->create_transport) ||
                           (plugin->kind_ == PluginKind::kSigner && d->create_signer);
  if (!has_factory) return invalid_argument(where + ": descriptor has no factory for its kind");
  Result<std::vector<ConfigKey>> schema = parse_schema(d->config_schema_json);
  if (!schema.ok()) return schema.status().with_context(where);
  plugin->schema_ = std::move(*schema);
  Result<std::vector<std::string>> frame_ibs = parse_frame_ibs(*d);
  if (!frame_ibs.ok()) return frame_ibs.status().with_context(where);
  plugin->frame_ibs_ = std::move(*frame_ibs);
  // SDK 1.3: the host's services, before any factory runs. A 1.0 to 1.2
  // plugin's descriptor ends before attach_host and is never asked.
  if (covers(d->struct_size, offsetof(gibkit_plugin_descriptor, attach_host), sizeof(d->attach_host)) &&
      d->attach_host != nullptr) {
    d->attach_host(plugin_host(plugin->name_));
  }
  return plugin;
}

std::string LoadedPlugin::sdk_version() const {
  return std::to_string(descriptor_->sdk_version_major) + "." + std::to_string(descriptor_->sdk_version_minor);
}

Status LoadedPlugin::check_kind(PluginKind wanted) const {
  if (kind_ == wanted) return Status();
  return failed_precondition("plugin '" + name_ + "' is a " + std::string(plugin_kind_name(kind_)) +
                             " plugin, not a " + std::string(plugin_kind_name(wanted)) + " plugin");
}

namespace {

// Calls a descriptor factory and checks the table it returns: it must hold
// at least the entries of the oldest minor of this major (`min_size`; the
// proxy checks struct_size before it uses a later entry).
template <typename Handle, typename Factory>
Result<Handle> make_handle(Factory factory, const json::Object& config, const std::string& name,
                           std::size_t min_size = sizeof(*Handle{}.vtable)) {
  std::string config_json = json::stringify(json::Value(config));
  Handle handle{nullptr, nullptr};
  std::string error;
  int code = factory(abi::to_str(config_json), &handle, abi::string_sink(&error));
  if (code != 0) return abi::to_status(code, std::move(error)).with_context("plugin '" + name + "'");
  if (handle.vtable == nullptr || handle.vtable->struct_size < min_size) {
    return incompatible("plugin '" + name + "' returned a missing or truncated table");
  }
  return handle;
}

}  // namespace

Result<std::unique_ptr<Space>> LoadedPlugin::create_space(const json::Object& config) {
  GIBKIT_RETURN_IF_ERROR(check_kind(PluginKind::kSpace));
  GIBKIT_ASSIGN_OR_RETURN(gibkit_space handle, make_handle<gibkit_space>(descriptor_->create_space, config, name_,
                                                                     GIBKIT_SPACE_VTABLE_SIZE_1_3));
  return make_space_proxy(handle, shared_from_this());
}

Result<std::unique_ptr<Transport>> LoadedPlugin::create_transport(const json::Object& config) {
  GIBKIT_RETURN_IF_ERROR(check_kind(PluginKind::kTransport));
  GIBKIT_ASSIGN_OR_RETURN(gibkit_transport handle,
                          make_handle<gibkit_transport>(descriptor_->create_transport, config, name_,
                                                        GIBKIT_TRANSPORT_VTABLE_SIZE_1_0));
  return make_transport_proxy(handle, shared_from_this());
}

Result<std::unique_ptr<Signer>> LoadedPlugin::create_signer(const json::Object& config) {
  GIBKIT_RETURN_IF_ERROR(check_kind(PluginKind::kSigner));
  GIBKIT_ASSIGN_OR_RETURN(gibkit_signer handle,
                          make_handle<gibkit_signer>(descriptor_->create_signer, config, name_,
                                                     GIBKIT_SIGNER_VTABLE_SIZE_1_4));
  return make_signer_proxy(handle, shared_from_this(), frame_ibs_);
}

}  // namespace gibkit::kernel
