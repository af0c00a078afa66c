// File: plugins/transport-websocket/src/receiver.h
//
// The listening end of the websocket transport. Requests arrive on the
// libwebsockets thread, are reassembled, and run on a small worker pool so
// that a slow handler never stalls the event loop; responses go back through
// the loop, one lws_write per WRITEABLE callback.
//
// Back-pressure, per connection: at most max_in_flight requests run at once
// and at most max_send_queue_bytes of responses wait to be written (plus, at
// worst, the responses of requests already running); past either bound the
// receiver stops reading from that peer (lws_rx_flow_control) until it drains.
// A peer that reads none of its answers for idle_timeout_s is disconnected.
// A peer that breaks the protocol gets an error part (docs/transport.md) and a
// close frame; other peers are unaffected.
//
// Admission: a connection is pending until the kernel says a request on it
// authenticated (gibkit::Admission); until then it has tighter limits (one
// request at a time, preauth_max_message_bytes, preauth_timeout_s, a share
// of the slots per address and in all) and is the first to go when a new
// connection needs room. A refused request closes a pending connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "gibkit/status.h"
#include "gibkit/transport.h"
#include "websocket_config.h"

namespace gibkit::plugins::websocket {

// What a receiver holds for its peers at one moment (Receiver::load()).
struct ReceiverLoad {
  int connections = 0;  // websocket connections, refused ones included until they are closed
  // Bytes of requests and answers held for the peers: partly received
  // messages and requests, requests waiting for or in the handler, unsent
  // answers. The handler's own memory and libwebsockets' buffers (at most one
  // read chunk per connection, and on a compressed connection a 1 KiB inflate
  // buffer plus zlib's state while a message is under way) are not included.
  std::size_t buffered_bytes = 0;
  int pending = 0;             // connections not yet admitted (holding a slot)
  std::uint64_t evicted = 0;   // pending connections evicted to make room, since start
  int compressed = 0;          // connections that negotiated permessage-deflate (config `compression`)
};

class Receiver {
 public:
  // Binds and starts serving; kUnavailable when the address cannot be bound,
  // kInvalidArgument when the TLS files cannot be read.
  [[nodiscard]] static Result<std::unique_ptr<Receiver>> start(const WebsocketConfig& config,
                                                               RequestHandler handler);

  // Waits for running handlers, then closes every connection. Requests not
  // yet answered are lost; their senders see the connection drop (kUnavailable).
  ~Receiver();

  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // "ws://address:port" or "wss://address:port", with the bound port.
  [[nodiscard]] const std::string& endpoint() const;

  // Thread safe; a snapshot that may be outdated as soon as it is returned.
  [[nodiscard]] ReceiverLoad load() const;

 private:
  class Impl;
  explicit Receiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gibkit::plugins::websocket
