// File: plugins/transport-websocket/src/websocket_config.h
//
// Settings of the websocket transport, as given in the node's configuration
// (docs/transport.md lists them with their defaults). One struct serves both
// ends: a node that listens and connects uses the same limits on both sides,
// which keeps the two peers' limits equal when they share a configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/status.h"

namespace gibkit::plugins::websocket {

// Compression of message bodies (docs/transport.md, "Compression"). A
// connection is compressed only when both ends ask for it: permessage-deflate
// (RFC 7692) is offered by the sender and accepted by the receiver in the
// websocket upgrade, so a peer that does not offer it, or a receiver that does
// not accept it, leaves the connection uncompressed.
enum class Compression { kNone, kDeflate };

[[nodiscard]] std::string_view compression_name(Compression compression);

struct WebsocketConfig {
  // Receiver end.
  std::string address = "127.0.0.1";  // interface to listen on
  int port = 0;                       // 0: the OS picks one; endpoint() reports it
  std::string tls_cert;               // PEM certificate file; with tls_key enables wss
  std::string tls_key;                // PEM private key file
  int max_connections = 64;           // concurrent peers; more are refused
  int worker_threads = 2;             // threads that run the kernel's handler
  // Admission (docs/transport.md): a connection is *pending* until a request
  // on it authenticates (the kernel's verdict); until then it may have one
  // request of at most preauth_max_message_bytes at a time and must be
  // admitted within preauth_timeout_s. Pending connections hold at most
  // max_connections - reserved_connections slots, at most
  // max_pending_per_address of them from one address; a new connection
  // over either bound evicts the oldest pending one, never an admitted one.
  int reserved_connections = 16;
  int max_pending_per_address = 16;
  std::size_t preauth_max_message_bytes = 2 * 1024 * 1024;
  int preauth_timeout_s = 10;
  // What all connections together may hold in received and unsent bytes
  // (ReceiverLoad::buffered_bytes); a connection whose input would go over
  // it is closed with resource_exhausted ("try again later").
  std::size_t max_buffered_bytes = 256 * 1024 * 1024;

  // Sender end.
  std::string tls_ca;                     // PEM file of trusted CAs for wss peers
  // Local IP address outgoing connections bind to (e.g. one of several of a
  // multi-homed host, so that a peer's firewall and its per-address limits
  // see that one); empty: the OS picks.
  std::string source_address;
  bool tls_insecure_skip_verify = false;  // accept any certificate (tests only)

  // Both ends.
  std::size_t max_message_bytes = 16 * 1024 * 1024;  // one whole message
  std::size_t max_frame_bytes = 64 * 1024;           // body of one websocket message
  std::size_t max_send_queue_bytes = 32 * 1024 * 1024;  // queued, unsent bytes per connection
  int max_in_flight = 32;             // unanswered requests per connection
  std::int64_t request_timeout_ms = 30000;  // used by the plugin when the caller gives none
  int handshake_timeout_s = 10;       // TCP + TLS + websocket upgrade
  int idle_timeout_s = 300;           // receiver closes connections silent this long
  // Offered (sender) or accepted (receiver); every limit above counts the
  // inflated bytes.
  Compression compression = Compression::kNone;

  [[nodiscard]] bool tls_enabled() const { return !tls_cert.empty(); }
};

// The keys above as a plugin config schema, defaults taken from WebsocketConfig.
[[nodiscard]] std::vector<ConfigKey> websocket_config_schema();

// Reads a config object; absent keys keep their defaults, unknown keys and
// out-of-range values are kInvalidArgument naming the key.
[[nodiscard]] Result<WebsocketConfig> parse_websocket_config(const json::Object& config);

}  // namespace gibkit::plugins::websocket
