// File: gibkit/plugin/config_key.h
//
// One key of a plugin's configuration schema. A plugin declares its keys; the
// kernel validates the plugin's YAML block against them (unknown keys, wrong
// types, missing required keys, all with file:line:column) and fills in
// defaults, so the plugin's factory receives a complete, well-typed object.
//
// On the ABI the schema is a JSON array of
//   {"key": "path", "type": "string", "required": true,
//    "default": <JSON value>, "description": "...",
//    "min": 1, "max": 65535, "oneOf": ["a", "b"],
//    "mustExist": true, "persistsState": true}
// ("default" only when present; "min", "max", "oneOf", "mustExist" and
// "persistsState" only when set: a schema without them means what it meant
// before they existed). See docs/plugins.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/json.h"

namespace gibkit {

enum class ConfigType {
  kString,      // "string"
  kInteger,     // "integer": a JSON number with no fractional part
  kNumber,      // "number"
  kBoolean,     // "boolean"
  kStringList,  // "string_list": array of strings
  kObject,      // "object": free-form mapping, passed through as JSON
  kPath,        // "path": a string; the kernel makes a relative path absolute
                // against the directory of the deployment file
};

// The schema name of a type, e.g. "string_list".
[[nodiscard]] inline std::string_view config_type_name(ConfigType type) noexcept {
  switch (type) {
    case ConfigType::kString: return "string";
    case ConfigType::kInteger: return "integer";
    case ConfigType::kNumber: return "number";
    case ConfigType::kBoolean: return "boolean";
    case ConfigType::kStringList: return "string_list";
    case ConfigType::kObject: return "object";
    case ConfigType::kPath: return "path";
  }
  return "unknown";
}

[[nodiscard]] inline std::optional<ConfigType> config_type_from_name(std::string_view name) noexcept {
  for (ConfigType t : {ConfigType::kString, ConfigType::kInteger, ConfigType::kNumber, ConfigType::kBoolean,
                       ConfigType::kStringList, ConfigType::kObject, ConfigType::kPath}) {
    if (config_type_name(t) == name) return t;
  }
  return std::nullopt;
}

// Every member has a default initializer so that designated initializers may
// leave any of them out without -Wmissing-field-initializers.
struct ConfigKey {
  std::string key{};
  ConfigType type = ConfigType::kString;
  bool required = false;
  std::optional<json::Value> default_value{};  // used when the key is absent
  std::string description{};
  // Rules the kernel enforces on the YAML value (docs/config.md):
  std::optional<double> min{};      // integer/number: smallest value allowed
  std::optional<double> max{};      // integer/number: largest value allowed
  std::vector<std::string> one_of{};  // string/string_list: the only values allowed (empty: any)
  bool must_exist = false;          // path: names a file or directory that must exist
  // This key says where the plugin keeps state across restarts (a space's
  // directory, a signer's secrets); absent, the state dies with the process.
  // The kernel refuses a signer left without it next to a durable space that
  // persists (the node's records would outlive the identity that signs them).
  bool persists_state = false;
};

// The schema as ABI JSON text (see the file comment).
[[nodiscard]] inline std::string config_schema_to_json(const std::vector<ConfigKey>& keys) {
  json::Array array;
  for (const ConfigKey& k : keys) {
    json::Object entry;
    entry.set("key", json::Value(k.key));
    entry.set("type", json::Value(config_type_name(k.type)));
    entry.set("required", json::Value(k.required));
    if (k.default_value) entry.set("default", *k.default_value);
    entry.set("description", json::Value(k.description));
    if (k.min) entry.set("min", json::Value(*k.min));
    if (k.max) entry.set("max", json::Value(*k.max));
    if (!k.one_of.empty()) {
      json::Array one_of;
      for (const std::string& v : k.one_of) one_of.push_back(json::Value(v));
      entry.set("oneOf", json::Value(std::move(one_of)));
    }
    if (k.must_exist) entry.set("mustExist", json::Value(true));
    if (k.persists_state) entry.set("persistsState", json::Value(true));
    array.push_back(json::Value(std::move(entry)));
  }
  return json::stringify(json::Value(std::move(array)));
}

}  // namespace gibkit
