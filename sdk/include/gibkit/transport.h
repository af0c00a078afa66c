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

// What the kernel learned of a request's sender while answering it. Until a
// connection has carried an authenticated request, anyone could be behind
// it, and a transport holds it to tighter limits (docs/transport.md,
// "Admission"): the kernel tells it when that changes.
enum class Admission {
  kPending = 0,        // nothing learned: keep the connection as it is
  kAuthenticated = 1,  // the request authenticated as a trusted peer: admit the connection
  kRefused = 2,        // the request failed authentication or did not decode
};

// One answer of the kernel: the response message and the verdict on its sender.
struct Answer {
  std::string message;
  Admission admission = Admission::kPending;
};

// The kernel's side of a receiver: answers one request message with one
// response message (or an error, which the transport reports to the peer).
// Called from transport threads, for several connections at once; must be
// thread safe.
using RequestHandler = std::function<Result<Answer>(std::string_view request)>;

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
