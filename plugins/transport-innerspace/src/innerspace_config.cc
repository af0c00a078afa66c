#include "innerspace_config.h"

#include <cmath>

namespace gibkit::plugins::innerspace {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<ConfigKey> innerspace_config_schema() {
  const InnerspaceConfig defaults;
  return {
      ConfigKey{.key = "name",
                .type = ConfigType::kString,
                .default_value = json::Value(defaults.name),
                .description = "name peers in this process connect to, as innerspace://<name>; needed to listen"},
      ConfigKey{.key = "max_message_bytes",
                .type = ConfigType::kInteger,
                .default_value = json::Value(static_cast<double>(defaults.max_message_bytes)),
                .description = "largest request or response",
                .min = 1,
                .max = static_cast<double>(1ull << 40)},
  };
}

Result<InnerspaceConfig> parse_innerspace_config(const json::Object& object) {
  InnerspaceConfig config;
  for (const auto& [key, value] : object) {
    if (key == "name") {
      if (!value.is_string()) return invalid_argument("config key \"name\" must be a string");
      config.name = value.as_string();
      if (!config.name.empty() && !valid_name(config.name)) {
        return invalid_argument("config key \"name\" must match [A-Za-z0-9._-]+, got \"" + config.name + "\"");
      }
    } else if (key == "max_message_bytes") {
      double n = value.is_number() ? value.as_number() : -1;
      if (n != std::floor(n) || n < 1 || n > static_cast<double>(1ull << 40)) {
        return invalid_argument("config key \"max_message_bytes\" must be an integer in [1, 2^40]");
      }
      config.max_message_bytes = static_cast<std::size_t>(n);
    } else {
      return invalid_argument("unknown config key \"" + key + "\" for transport-innerspace");
    }
  }
  return config;
}

}  // namespace gibkit::plugins::innerspace
