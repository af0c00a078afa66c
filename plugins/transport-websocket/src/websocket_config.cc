#include "websocket_config.h"

#include <arpa/inet.h>

#include <cmath>
#include <string_view>
#include <variant>

namespace gibkit::plugins::websocket {
namespace {

using Member = std::variant<std::string WebsocketConfig::*, bool WebsocketConfig::*, int WebsocketConfig::*,
                            std::size_t WebsocketConfig::*, std::int64_t WebsocketConfig::*,
                            Compression WebsocketConfig::*>;

// The values of `compression`, in the order of the enum.
constexpr Compression kCompressions[] = {Compression::kNone, Compression::kDeflate};

// One row per key: the single place that names, bounds and documents it.
struct KeySpec {
  std::string_view key;
  Member member;
  double min = 0;  // integers only
  double max = 0;
  std::string_view description;
};

constexpr double kMaxBytes = 1ull << 40;

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      {"address", &WebsocketConfig::address, 0, 0, "interface the receiver listens on"},
      {"port", &WebsocketConfig::port, 0, 65535, "TCP port to listen on; 0 lets the OS choose"},
      {"tls_cert", &WebsocketConfig::tls_cert, 0, 0, "PEM certificate file; with tls_key the receiver serves wss"},
      {"tls_key", &WebsocketConfig::tls_key, 0, 0, "PEM private key file for tls_cert"},
      {"max_connections", &WebsocketConfig::max_connections, 1, 100000, "concurrent peer connections accepted"},
      {"worker_threads", &WebsocketConfig::worker_threads, 1, 256, "threads running the request handler"},
      {"reserved_connections", &WebsocketConfig::reserved_connections, 0, 100000,
       "connection slots only authenticated peers may hold"},
      {"max_pending_per_address", &WebsocketConfig::max_pending_per_address, 1, 100000,
       "not yet authenticated connections from one address"},
      {"preauth_max_message_bytes", &WebsocketConfig::preauth_max_message_bytes, 1, kMaxBytes,
       "largest request on a connection not yet authenticated"},
      {"preauth_timeout_s", &WebsocketConfig::preauth_timeout_s, 1, 3600,
       "time a connection has to authenticate before it is closed"},
      {"max_buffered_bytes", &WebsocketConfig::max_buffered_bytes, 1, kMaxBytes,
       "received and unsent bytes all connections together may hold"},
      {"tls_ca", &WebsocketConfig::tls_ca, 0, 0, "PEM file of CAs trusted when connecting to wss peers"},
      {"source_address", &WebsocketConfig::source_address, 0, 0,
       "local IP address outgoing connections bind to; empty: the OS picks"},
      {"tls_insecure_skip_verify", &WebsocketConfig::tls_insecure_skip_verify, 0, 0,
       "accept any server certificate (tests only)"},
      {"max_message_bytes", &WebsocketConfig::max_message_bytes, 1, kMaxBytes, "largest message, either direction"},
      {"max_frame_bytes", &WebsocketConfig::max_frame_bytes, 4, kMaxBytes,
       "largest body of one websocket message; longer messages are split"},
      {"max_send_queue_bytes", &WebsocketConfig::max_send_queue_bytes, 1, kMaxBytes,
       "unsent bytes queued per connection before reading from it pauses"},
      {"max_in_flight", &WebsocketConfig::max_in_flight, 1, 100000, "unanswered requests per connection"},
      {"request_timeout_ms", &WebsocketConfig::request_timeout_ms, 1, 86400000.0,
       "upper bound on how long a request waits for its response"},
      {"handshake_timeout_s", &WebsocketConfig::handshake_timeout_s, 1, 3600,
       "time allowed for connect, TLS and websocket upgrade"},
      {"idle_timeout_s", &WebsocketConfig::idle_timeout_s, 1, 86400,
       "receiver closes a connection without traffic for this long"},
      {"compression", &WebsocketConfig::compression, 0, 0,
       "deflate: offer (sender) and accept (receiver) permessage-deflate; a connection is compressed only when "
       "both ends say deflate"},
  };
  return specs;
}

json::Value default_value(const KeySpec& spec) {
  static const WebsocketConfig defaults;
  return std::visit(
      [](auto member) -> json::Value {
        const auto& value = defaults.*member;
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
          return json::Value(value);
        } else if constexpr (std::is_same_v<T, Compression>) {
          return json::Value(std::string(compression_name(value)));
        } else {
          return json::Value(static_cast<double>(value));
        }
      },
      spec.member);
}

Status assign(const KeySpec& spec, const json::Value& value, WebsocketConfig& config) {
  return std::visit(
      [&](auto member) -> Status {
        auto& field = config.*member;
        using T = std::decay_t<decltype(field)>;
        const std::string key(spec.key);
        if constexpr (std::is_same_v<T, std::string>) {
          if (!value.is_string()) return invalid_argument("config key \"" + key + "\" must be a string");
          field = value.as_string();
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!value.is_bool()) return invalid_argument("config key \"" + key + "\" must be a boolean");
          field = value.as_bool();
        } else if constexpr (std::is_same_v<T, Compression>) {
          for (Compression candidate : kCompressions) {
            if (value.is_string() && value.as_string() == compression_name(candidate)) {
              field = candidate;
              return Status();
            }
          }
          return invalid_argument("config key \"" + key + "\" must be \"none\" or \"deflate\"");
        } else {
          if (!value.is_number()) return invalid_argument("config key \"" + key + "\" must be an integer");
          double n = value.as_number();
          if (n != std::floor(n) || n < spec.min || n > spec.max) {
            return invalid_argument("config key \"" + key + "\" must be an integer in [" +
                                    json::number_to_string(spec.min) + ", " + json::number_to_string(spec.max) + "]");
          }
          field = static_cast<T>(n);
        }
        return Status();
      },
      spec.member);
}

// TLS files: paths (resolved against the deployment file) that must exist.
bool is_tls_file(const KeySpec& spec) {
  return spec.key == "tls_cert" || spec.key == "tls_key" || spec.key == "tls_ca";
}

ConfigType schema_type(const KeySpec& spec) {
  if (is_tls_file(spec)) return ConfigType::kPath;
  if (std::holds_alternative<std::string WebsocketConfig::*>(spec.member) ||
      std::holds_alternative<Compression WebsocketConfig::*>(spec.member)) {
    return ConfigType::kString;
  }
  if (std::holds_alternative<bool WebsocketConfig::*>(spec.member)) return ConfigType::kBoolean;
  return ConfigType::kInteger;
}

}  // namespace

std::string_view compression_name(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kDeflate:
      return "deflate";
  }
  return "none";
}

std::vector<ConfigKey> websocket_config_schema() {
  std::vector<ConfigKey> keys;
  for (const KeySpec& spec : key_specs()) {
    ConfigKey key{.key = std::string(spec.key),
                  .type = schema_type(spec),
                  .required = false,
                  .default_value = default_value(spec),
                  .description = std::string(spec.description)};
    if (key.type == ConfigType::kInteger) {
      key.min = spec.min;
      key.max = spec.max;
    }
    if (std::holds_alternative<Compression WebsocketConfig::*>(spec.member)) {
      for (Compression value : kCompressions) key.one_of.emplace_back(compression_name(value));
    }
    key.must_exist = is_tls_file(spec);  // the default "" (no TLS) is not checked
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<WebsocketConfig> parse_websocket_config(const json::Object& object) {
  WebsocketConfig config;
  for (const auto& [key, value] : object) {
    const KeySpec* spec = nullptr;
    for (const KeySpec& candidate : key_specs()) {
      if (candidate.key == key) spec = &candidate;
    }
    if (spec == nullptr) return invalid_argument("unknown config key \"" + key + "\" for transport-websocket");
    GIBKIT_RETURN_IF_ERROR(assign(*spec, value, config));
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return invalid_argument("config keys \"tls_cert\" and \"tls_key\" must be given together");
  }
  if (config.max_frame_bytes > config.max_message_bytes) {
    return invalid_argument("config key \"max_frame_bytes\" must not exceed \"max_message_bytes\"");
  }
  // An IP literal, checked here rather than found when the first connect fails.
  if (!config.source_address.empty()) {
    unsigned char ignored[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, config.source_address.c_str(), ignored) != 1 &&
        inet_pton(AF_INET6, config.source_address.c_str(), ignored) != 1) {
      return invalid_argument("config key \"source_address\" must be an IPv4 or IPv6 address, not \"" +
                              config.source_address + "\"");
    }
  }
  if (config.reserved_connections >= config.max_connections) {
    return invalid_argument("config key \"reserved_connections\" must be below \"max_connections\" (" +
                            std::to_string(config.max_connections) + "): pending connections need a slot");
  }
  return config;
}

}  // namespace gibkit::plugins::websocket
