#include "websocket_transport.h"

#include <utility>

namespace gibkit::plugins::websocket {

WebsocketTransport::WebsocketTransport(WebsocketConfig config) : config_(std::move(config)) {}

WebsocketTransport::~WebsocketTransport() = default;

Status WebsocketTransport::listen(RequestHandler handler) {
  std::lock_guard lock(mutex_);
  if (receiver_) return failed_precondition("websocket transport is already listening on " + receiver_->endpoint());
  GIBKIT_ASSIGN_OR_RETURN(receiver_, Receiver::start(config_, std::move(handler)));
  return Status();
}

void WebsocketTransport::stop() {
  std::unique_ptr<Receiver> receiver;
  {
    std::lock_guard lock(mutex_);
    receiver.swap(receiver_);
  }
  // Destroyed outside the lock: it waits for running handlers, which may
  // themselves ask this transport for its endpoint.
  receiver.reset();
}

std::string WebsocketTransport::endpoint() const {
  std::lock_guard lock(mutex_);
  return receiver_ ? receiver_->endpoint() : std::string();
}

ReceiverLoad WebsocketTransport::load() const {
  std::lock_guard lock(mutex_);
  return receiver_ ? receiver_->load() : ReceiverLoad{};
}

Result<std::unique_ptr<Connection>> WebsocketTransport::connect(std::string_view peer) {
  std::shared_ptr<Sender> sender;
  {
    std::lock_guard lock(mutex_);
    if (!sender_) {
      GIBKIT_ASSIGN_OR_RETURN(sender_, Sender::start(config_));
    }
    sender = sender_;
  }
  return sender->connect(peer);
}

}  // namespace gibkit::plugins::websocket
