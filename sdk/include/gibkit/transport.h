// File: gibkit/transport.h
//
// A transport carries saga messages between two nodes as request/response
// pairs. A message is one JSON text (see docs/protocol.md); a transport moves
// it unchanged and knows nothing of its meaning.
//
// The receiver end listens and hands every request to the kernel's handler;
// the sender end connects to a peer and makes requests. Transports bound
// message sizes, time requests out, and turn every network failure into a
// Status (kUnavailable, kDeadlineExceeded, kResourceExhausted,
// kInvalidArgument for malformed frames); they never throw.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gibkit/status.h"

namespace gibkit {

// The kernel's side of a receiver: answers one request message with one
// response message (or an error, which the transport reports to the peer).
// Called from transport threads; must be thread safe.
using RequestHandler = std::function<Result<std::string>(std::string_view request)>;

// One open connection from a sender to a peer's receiver.
class Connection {
 public:
  virtual ~Connection() = default;
  // Sends one request and waits for its response, at most `timeout`.
  virtual Result<std::string> request(std::string_view message, std::chrono::milliseconds timeout) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Starts serving requests with `handler` until stop() or destruction.
  virtual Status listen(RequestHandler handler) = 0;
  // Stops serving; in-flight requests finish or fail with kUnavailable.
  virtual void stop() = 0;
  // Where peers reach this receiver once listening (e.g. "ws://127.0.0.1:4100"
  // or "innerspace://bob"); empty when not listening.
  [[nodiscard]] virtual std::string endpoint() const = 0;

  // Opens a connection to `peer` (a URL this transport understands).
  virtual Result<std::unique_ptr<Connection>> connect(std::string_view peer) = 0;
};

}  // namespace gibkit
