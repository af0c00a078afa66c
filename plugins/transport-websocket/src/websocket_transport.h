// File: plugins/transport-websocket/src/websocket_transport.h
//
// gibkit::Transport over websockets (libwebsockets): the receiver listens on
// ws:// or wss://, the sender connects to peers' URLs. See docs/transport.md
// for the wire format, limits and threading model.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gibkit/transport.h"
#include "receiver.h"
#include "sender.h"
#include "websocket_config.h"

namespace gibkit::plugins::websocket {

class WebsocketTransport final : public Transport {
 public:
  explicit WebsocketTransport(WebsocketConfig config);
  ~WebsocketTransport() override;

  // kFailedPrecondition when already listening.
  Status listen(RequestHandler handler) override;
  void stop() override;
  [[nodiscard]] std::string endpoint() const override;
  // What the receiver holds for its peers (docs/transport.md, back-pressure);
  // all zero when not listening. Not part of gibkit::Transport: for tests and
  // for embedders that hold this class.
  [[nodiscard]] ReceiverLoad load() const;
  // The sender's event loop starts with the first connect().
  Result<std::unique_ptr<Connection>> connect(std::string_view peer) override;

 private:
  const WebsocketConfig config_;
  mutable std::mutex mutex_;
  std::unique_ptr<Receiver> receiver_;
  std::shared_ptr<Sender> sender_;
};

}  // namespace gibkit::plugins::websocket
