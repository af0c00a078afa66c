// File: plugins/transport-websocket/src/sender.h
//
// The connecting end of the websocket transport. A Sender owns one event loop
// shared by all connections it opens; a connection keeps its Sender alive, so
// connections may outlive the transport that made them.
//
// A connection multiplexes requests over one websocket: each request gets an
// id, its parts are queued whole, and its caller blocks until the response
// with that id arrives or the deadline passes. At most max_in_flight requests
// wait at once (further callers block for a slot, within their deadline), and
// at most max_send_queue_bytes wait to be written. If the socket drops, the
// requests already (partly) written fail with kUnavailable, since whether the
// peer acted on them is unknown; queued ones go out on a new socket. A
// request on a connection whose socket is gone reconnects first.
#pragma once

#include <memory>
#include <string_view>

#include "gibkit/status.h"
#include "gibkit/transport.h"
#include "websocket_config.h"

namespace gibkit::plugins::websocket {

class Sender : public std::enable_shared_from_this<Sender> {
 public:
  [[nodiscard]] static Result<std::shared_ptr<Sender>> start(const WebsocketConfig& config);
  ~Sender();

  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Opens a websocket to `peer` ("ws://host:port[/path]" or "wss://...") and
  // waits for the handshake: kInvalidArgument for a malformed URL,
  // kUnavailable when the peer cannot be reached within handshake_timeout_s.
  [[nodiscard]] Result<std::unique_ptr<Connection>> connect(std::string_view peer);

  class Impl;

 private:
  explicit Sender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gibkit::plugins::websocket
