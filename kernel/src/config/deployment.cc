#include "gibkit/kernel/config/deployment.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

#include <yaml-cpp/yaml.h>

namespace gibkit::kernel {
namespace {

namespace fs = std::filesystem;

// Collects every problem with its position; the loader reports them together.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void add(const YAML::Mark& mark, const std::string& message) {
    if (mark.is_null()) {
      lines_.push_back({-1, -1, file_ + ": " + message});
    } else {
      lines_.push_back({mark.line, mark.column, file_ + ":" + std::to_string(mark.line + 1) + ":" +
                                                    std::to_string(mark.column + 1) + ": " + message});
    }
  }
  [[nodiscard]] bool empty() const { return lines_.empty(); }
  // All problems, in file order.
  [[nodiscard]] Status to_status() {
    std::stable_sort(lines_.begin(), lines_.end(), [](const Line& a, const Line& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::string message = std::to_string(lines_.size()) + (lines_.size() == 1 ? " problem" : " problems") +
                          " in deployment " + file_ + ":";
    for (const Line& line : lines_) message += "\n" + line.text;
    return invalid_argument(std::move(message));
  }

 private:
  struct Line {
    int line;
    int column;
    std::string text;
  };
  std::string file_;
  std::vector<Line> lines_;
};

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "; did you mean 'x'?" for the closest candidate within a typo's reach.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  return best ? "; did you mean '" + *best + "'?" : "";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "(none)" : out;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "nothing";
  }
}

// Plain (unquoted) scalars are typed by their text; quoted ones are strings.
bool is_plain(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(const std::string& s) {
  std::int64_t value = 0;
  const char* begin = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) return std::nullopt;
  // Beyond 2^53 a JSON number (a double) would silently round.
  if (value > (std::int64_t{1} << 53) || value < -(std::int64_t{1} << 53)) return std::nullopt;
  return value;
}

std::optional<double> parse_number(const std::string& s) {
  double value = 0;
  const char* begin = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) return std::nullopt;
  return value;
}

// A free-form YAML tree as JSON (for `object` values).
json::Value infer_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::Object object;
      for (const auto& member : node) object.set(member.first.Scalar(), infer_json(member.second));
      return json::Value(std::move(object));
    }
    case YAML::NodeType::Sequence: {
      json::Array array;
      for (const auto& item : node) array.push_back(infer_json(item));
      return json::Value(std::move(array));
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (!is_plain(node)) return json::Value(s);
      if (s == "~" || s == "null") return json::Value(nullptr);
      if (auto b = parse_bool(s)) return json::Value(*b);
      if (auto n = parse_number(s)) return json::Value(*n);
      return json::Value(s);
    }
    default: return json::Value(nullptr);
  }
}

// The value of `node` as `type`, or nullopt; `expected` then says what was wanted.
std::optional<json::Value> convert(const YAML::Node& node, ConfigType type, const fs::path& base_dir,
                                   std::string& expected) {
  switch (type) {
    case ConfigType::kString:
    case ConfigType::kPath:
      expected = type == ConfigType::kPath ? "a path (string)" : "a string";
      if (!node.IsScalar()) return std::nullopt;
      if (type == ConfigType::kPath) {
        fs::path p(node.Scalar());
        if (p.empty()) return std::nullopt;
        return json::Value((p.is_absolute() ? p : base_dir / p).lexically_normal().string());
      }
      return json::Value(node.Scalar());
    case ConfigType::kInteger:
      expected = "an integer (at most 2^53 in magnitude)";
      if (!is_plain(node)) return std::nullopt;
      if (auto i = parse_integer(node.Scalar())) return json::Value(*i);
      return std::nullopt;
    case ConfigType::kNumber:
      expected = "a number";
      if (!is_plain(node)) return std::nullopt;
      if (auto n = parse_number(node.Scalar())) return json::Value(*n);
      return std::nullopt;
    case ConfigType::kBoolean:
      expected = "true or false";
      if (!is_plain(node)) return std::nullopt;
      if (auto b = parse_bool(node.Scalar())) return json::Value(*b);
      return std::nullopt;
    case ConfigType::kStringList: {
      expected = "a sequence of strings";
      if (!node.IsSequence()) return std::nullopt;
      json::Array array;
      for (const auto& item : node) {
        if (!item.IsScalar()) return std::nullopt;
        array.push_back(json::Value(item.Scalar()));
      }
      return json::Value(std::move(array));
    }
    case ConfigType::kObject:
      expected = "a mapping";
      if (!node.IsMap()) return std::nullopt;
      return infer_json(node);
  }
  return std::nullopt;
}

// What is wrong with `value` (already of `spec.type`) under the key's rules
// (min, max, one_of, must_exist), or nullopt.
std::optional<std::string> check_rules(const ConfigKey& spec, const json::Value& value) {
  if (value.is_number()) {
    const double n = value.as_number();
    if (spec.min && n < *spec.min) {
      return json::number_to_string(n) + " is below the minimum " + json::number_to_string(*spec.min);
    }
    if (spec.max && n > *spec.max) {
      return json::number_to_string(n) + " is above the maximum " + json::number_to_string(*spec.max);
    }
  }
  if (!spec.one_of.empty() && (spec.type == ConfigType::kString || spec.type == ConfigType::kStringList)) {
    std::vector<json::Value> items;
    if (value.is_string()) items.push_back(value);
    if (value.is_array()) items.assign(value.as_array().begin(), value.as_array().end());
    for (const json::Value& item : items) {
      const std::string& s = item.as_string();
      if (std::find(spec.one_of.begin(), spec.one_of.end(), s) == spec.one_of.end()) {
        return "'" + s + "' is not one of " + join(spec.one_of) + did_you_mean(s, spec.one_of);
      }
    }
  }
  if (spec.must_exist && spec.type == ConfigType::kPath && value.is_string()) {
    std::error_code ec;
    const fs::file_status status = fs::status(value.as_string(), ec);
    if (!fs::exists(status)) {
      return value.as_string() + " does not exist" + (ec && ec != std::errc::no_such_file_or_directory
                                                          ? " (" + ec.message() + ")"
                                                          : std::string());
    }
  }
  return std::nullopt;
}

// A validated mapping: its values (defaults filled) and where each key was.
struct Block {
  json::Object values;
  std::map<std::string, YAML::Mark, std::less<>> marks;
  YAML::Mark mark;
};

// Checks `node` (a mapping, or absent: `fallback` marks where it would be)
// against `keys`: unknown keys, wrong types, missing required keys.
Block check_block(const YAML::Node& node, const YAML::Mark& fallback, const std::vector<ConfigKey>& keys,
                  const std::string& what, const fs::path& base_dir, Problems& problems) {
  Block block;
  block.mark = node ? node.Mark() : fallback;
  if (node && !node.IsMap() && !node.IsNull()) {
    problems.add(node.Mark(), what + ": expected a mapping, got " + describe(node));
    return block;
  }
  std::vector<std::string> known;
  for (const ConfigKey& k : keys) known.push_back(k.key);
  if (node && node.IsMap()) {
    for (const auto& member : node) {
      const std::string& key = member.first.Scalar();
      const YAML::Mark key_mark = member.first.Mark();
      auto spec = std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& k) { return k.key == key; });
      if (spec == keys.end()) {
        problems.add(key_mark, what + ": unknown key '" + key + "'" +
                                   (known.empty() ? std::string(" (it takes no keys)")
                                                  : did_you_mean(key, known) + " (expected one of: " + join(known) + ")"));
        continue;
      }
      if (block.marks.count(key) != 0) {
        problems.add(key_mark, what + ": key '" + key + "' appears twice");
        continue;
      }
      block.marks[key] = key_mark;
      std::string expected;
      std::optional<json::Value> value = convert(member.second, spec->type, base_dir, expected);
      if (!value) {
        problems.add(member.second.Mark(),
                     what + ": '" + key + "' must be " + expected + ", got " + describe(member.second));
        continue;
      }
      if (std::optional<std::string> broken = check_rules(*spec, *value)) {
        problems.add(member.second.Mark(), what + ": '" + key + "': " + *broken);
        continue;
      }
      block.values.set(key, std::move(*value));
    }
  }
  for (const ConfigKey& k : keys) {
    if (block.values.contains(k.key) || block.marks.count(k.key) != 0) continue;
    if (k.default_value) {
      block.values.set(k.key, *k.default_value);
    } else if (k.required) {
      problems.add(block.mark, what + ": missing required key '" + k.key + "' (" +
                                   std::string(config_type_name(k.type)) +
                                   (k.description.empty() ? "" : ": " + k.description) + ")");
    }
  }
  return block;
}

std::string string_at(const Block& block, std::string_view key) {
  const json::Value* v = block.values.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

YAML::Mark mark_of(const Block& block, std::string_view key) {
  auto it = block.marks.find(key);
  return it == block.marks.end() ? block.mark : it->second;
}

// One entry of spaces/transports/signers after validation.
struct Instance {
  Block entry;
  json::Object plugin_config;
  std::shared_ptr<LoadedPlugin> plugin;  // null when the plugin was not found
};

std::vector<Instance> check_instances(const YAML::Node& root, const std::string& section, PluginKind kind,
                                      const std::vector<ConfigKey>& extra_keys, const PluginRegistry& registry,
                                      const fs::path& base_dir, Problems& problems) {
  std::vector<Instance> out;
  const YAML::Node list = root[section];
  if (!list || list.IsNull()) return out;
  if (!list.IsSequence()) {
    problems.add(list.Mark(), "'" + section + "' must be a sequence of mappings, got " + describe(list));
    return out;
  }
  std::vector<ConfigKey> keys = {
      {.key = "name", .type = ConfigType::kString, .required = true, .description = "instance name"},
      {.key = "plugin", .type = ConfigType::kString, .required = true, .description = "plugin name"},
      {.key = "config", .type = ConfigType::kObject, .description = "the plugin's settings"},
  };
  keys.insert(keys.end(), extra_keys.begin(), extra_keys.end());
  const std::string kind_name(plugin_kind_name(kind));
  std::map<std::string, YAML::Mark, std::less<>> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string what = section + "[" + std::to_string(i) + "]";
    Instance instance{check_block(item, item.Mark(), keys, what, base_dir, problems), {}, nullptr};
    const std::string name = string_at(instance.entry, "name");
    if (!name.empty()) {
      auto [it, inserted] = names.emplace(name, mark_of(instance.entry, "name"));
      if (!inserted) {
        problems.add(mark_of(instance.entry, "name"),
                     what + ": duplicate " + kind_name + " name '" + name + "' (first defined at line " +
                         std::to_string(it->second.line + 1) + ", column " + std::to_string(it->second.column + 1) +
                         ")");
      }
    }
    const std::string plugin_name = string_at(instance.entry, "plugin");
    if (plugin_name.empty()) {
      out.push_back(std::move(instance));
      continue;
    }
    std::shared_ptr<LoadedPlugin> plugin = registry.find(kind, plugin_name);
    if (plugin == nullptr) {
      std::string message = what + ": no " + kind_name + " plugin named '" + plugin_name + "'" +
                            did_you_mean(plugin_name, registry.names(kind)) + " (loaded " + kind_name +
                            " plugins: " + join(registry.names(kind)) + ")";
      for (const Status& refused : registry.problems()) message += "; refused: " + refused.message();
      problems.add(mark_of(instance.entry, "plugin"), message);
      out.push_back(std::move(instance));
      continue;
    }
    const YAML::Node config = item.IsMap() ? item["config"] : YAML::Node();
    Block plugin_block = check_block(config, instance.entry.mark, plugin->config_schema(),
                                     what + " ('" + name + "', plugin " + plugin_name + ") config", base_dir,
                                     problems);
    instance.plugin_config = std::move(plugin_block.values);
    instance.plugin = std::move(plugin);
    out.push_back(std::move(instance));
  }
  return out;
}

std::vector<ConfigKey> node_keys() {
  return {
      {.key = "name", .type = ConfigType::kString, .required = true, .description = "this node's name"},
      {.key = "plugin_dirs", .type = ConfigType::kStringList,
       .description = "directories to load plugins from (relative to this file)"},
  };
}

}  // namespace

void DeploymentLoader::set_section(std::string name, std::vector<ConfigKey> keys) {
  sections_[std::move(name)] = std::move(keys);
}

Result<Deployment> DeploymentLoader::load_file(const fs::path& file, PluginRegistry& registry,
                                               const std::vector<fs::path>& plugin_dir_override) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found("cannot read deployment file " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unavailable("error reading deployment file " + file.string());
  return load_text(text.str(), file, registry, plugin_dir_override);
}

Result<Deployment> DeploymentLoader::load_text(std::string_view text, const fs::path& file, PluginRegistry& registry,
                                               const std::vector<fs::path>& plugin_dir_override) const {
  Problems problems(file.string());
  std::error_code ec;
  const fs::path absolute_file = fs::absolute(file, ec);
  const fs::path base_dir = (ec ? file : absolute_file).parent_path();

  YAML::Node loaded;
  try {
    loaded = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    problems.add(e.mark, "invalid YAML: " + e.msg);
    return problems.to_status();
  }
  // Read through a const node: yaml-cpp's non-const operator[] inserts keys.
  const YAML::Node& root = loaded;
  if (!root.IsMap()) {
    problems.add(root.Mark(), "expected a mapping with 'node' and 'spaces' at the top level, got " + describe(root));
    return problems.to_status();
  }

  // Top-level keys.
  std::vector<std::string> top_keys = {"node", "spaces", "transports", "signers"};
  for (const auto& [name, keys] : sections_) top_keys.push_back(name);
  for (const auto& member : root) {
    const std::string& key = member.first.Scalar();
    if (std::find(top_keys.begin(), top_keys.end(), key) == top_keys.end()) {
      problems.add(member.first.Mark(), "unknown top-level key '" + key + "'" + did_you_mean(key, top_keys) +
                                            " (expected one of: " + join(top_keys) + ")");
    }
  }

  Deployment deployment;
  deployment.file = absolute_file;

  // node, and the plugins it names, before anything that uses plugins.
  const YAML::Node node = root["node"];
  if (!node) problems.add(root.Mark(), "missing required section 'node' (a mapping with 'name')");
  Block node_block = check_block(node, root.Mark(), node_keys(), "node", base_dir, problems);
  deployment.node_name = string_at(node_block, "name");
  if (!plugin_dir_override.empty()) {
    for (const fs::path& dir : plugin_dir_override) deployment.plugin_dirs.push_back(fs::absolute(dir, ec));
  } else if (const json::Value* dirs = node_block.values.find("plugin_dirs")) {
    for (const json::Value& dir : dirs->as_array()) {
      fs::path p(dir.as_string());
      deployment.plugin_dirs.push_back((p.is_absolute() ? p : base_dir / p).lexically_normal());
    }
  } else {
    deployment.plugin_dirs.push_back(default_plugin_dir());
  }
  for (const fs::path& dir : deployment.plugin_dirs) {
    Status loaded = registry.load_directory(dir);
    if (!loaded.ok()) problems.add(mark_of(node_block, "plugin_dirs"), loaded.message());
  }

  // Instances.
  const std::vector<ConfigKey> space_keys = {
      {.key = "role", .type = ConfigType::kString, .default_value = json::Value("durable"),
       .description = "durable (the node's store, exactly one) or temporary (staging)"}};
  const std::vector<ConfigKey> transport_keys = {
      {.key = "listen", .type = ConfigType::kBoolean, .default_value = json::Value(false),
       .description = "serve requests from peers while the node runs"}};
  if (!root["spaces"]) problems.add(root.Mark(), "missing required section 'spaces' (one durable space at least)");
  size_t durable_count = 0;
  // The durable space when it keeps its records across restarts (a key that
  // persists state is set): its records then outlive anything in memory.
  std::optional<std::string> persisting_durable_space;
  for (Instance& i : check_instances(root, "spaces", PluginKind::kSpace, space_keys, registry, base_dir, problems)) {
    if (string_at(i.entry, "role") == "durable" && i.plugin != nullptr) {
      for (const ConfigKey& k : i.plugin->config_schema()) {
        if (k.persists_state && i.plugin_config.contains(k.key)) {
          persisting_durable_space = string_at(i.entry, "name");
        }
      }
    }
    SpaceConfig space;
    space.name = string_at(i.entry, "name");
    space.plugin = string_at(i.entry, "plugin");
    space.config = std::move(i.plugin_config);
    const std::string role = string_at(i.entry, "role");
    if (role == "durable") {
      space.role = SpaceRole::kDurable;
      if (++durable_count == 2) {
        problems.add(mark_of(i.entry, "role"), "space '" + space.name +
                                                   "': a second durable space; a node has exactly one (mark the "
                                                   "others 'role: temporary')");
      }
    } else if (role == "temporary") {
      space.role = SpaceRole::kTemporary;
    } else if (!role.empty()) {
      problems.add(mark_of(i.entry, "role"), "space '" + space.name + "': role must be durable or temporary, got '" +
                                                 role + "'" + did_you_mean(role, {"durable", "temporary"}));
    }
    deployment.spaces.push_back(std::move(space));
  }
  if (root["spaces"] && root["spaces"].IsSequence() && durable_count == 0) {
    problems.add(root["spaces"].Mark(), "no durable space: exactly one space must have 'role: durable'");
  }
  for (Instance& i :
       check_instances(root, "transports", PluginKind::kTransport, transport_keys, registry, base_dir, problems)) {
    TransportConfig transport;
    transport.name = string_at(i.entry, "name");
    transport.plugin = string_at(i.entry, "plugin");
    transport.config = std::move(i.plugin_config);
    const json::Value* listen = i.entry.values.find("listen");
    transport.listen = listen != nullptr && listen->is_bool() && listen->as_bool();
    deployment.transports.push_back(std::move(transport));
  }
  for (Instance& i : check_instances(root, "signers", PluginKind::kSigner, {}, registry, base_dir, problems)) {
    // A signer that can keep its secrets but is not told where forgets the
    // node's identity at every restart, while the durable space keeps the
    // records that identity signed: refused, with the fix.
    if (persisting_durable_space && i.plugin != nullptr) {
      for (const ConfigKey& k : i.plugin->config_schema()) {
        if (!k.persists_state || i.plugin_config.contains(k.key)) continue;
        const std::string name = string_at(i.entry, "name");
        problems.add(i.entry.mark, "signers: signer '" + name + "' keeps its secrets in memory next to the durable "
                                   "space '" + *persisting_durable_space + "': add " + k.key + " to signer '" + name +
                                   "' config, or the node's identity can never sign after a restart");
      }
    }
    deployment.signers.push_back(
        SignerConfig{string_at(i.entry, "name"), string_at(i.entry, "plugin"), std::move(i.plugin_config)});
  }

  // Extension sections.
  for (const auto& [name, keys] : sections_) {
    const YAML::Node section = root[name];
    if (!section) continue;
    deployment.sections[name] = check_block(section, section.Mark(), keys, name, base_dir, problems).values;
  }

  if (!problems.empty()) return problems.to_status();
  return deployment;
}

}  // namespace gibkit::kernel
