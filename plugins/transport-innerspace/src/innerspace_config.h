// File: plugins/transport-innerspace/src/innerspace_config.h
//
// Settings of the innerspace transport (docs/transport.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/status.h"

namespace gibkit::plugins::innerspace {

struct InnerspaceConfig {
  // Name the receiver registers under ("innerspace://<name>"); only needed
  // to listen.
  std::string name;
  // Largest request or response, as on a network transport, so that a node
  // tested in one process meets the limits it will meet on the wire.
  std::size_t max_message_bytes = 16 * 1024 * 1024;
};

[[nodiscard]] std::vector<ConfigKey> innerspace_config_schema();

// Absent keys keep their defaults; unknown keys, wrong types and names that
// are not [A-Za-z0-9._-]+ are kInvalidArgument.
[[nodiscard]] Result<InnerspaceConfig> parse_innerspace_config(const json::Object& config);

}  // namespace gibkit::plugins::innerspace
