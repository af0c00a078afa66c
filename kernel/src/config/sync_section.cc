#include "gibkit/kernel/config/sync_section.h"

namespace gibkit::kernel {

std::vector<ConfigKey> sync_section_keys() {
  return {
      {.key = "identity", .type = ConfigType::kString, .description = "Latest address of this node's identity"},
      {.key = "signer", .type = ConfigType::kString, .description = "Name of the signer instance that signs for it"},
      {.key = "transport", .type = ConfigType::kString, .description = "Name of the transport used to reach peers"},
      {.key = "peers", .type = ConfigType::kStringList, .description = "Peer endpoints to sync with"},
      {.key = "max_message_bytes", .type = ConfigType::kInteger, .default_value = json::Value(16 * 1024 * 1024),
       .description = "Largest saga message accepted or sent"},
      {.key = "request_timeout_ms", .type = ConfigType::kInteger, .default_value = json::Value(30000),
       .description = "How long one saga request may take"},
  };
}

}  // namespace gibkit::kernel
