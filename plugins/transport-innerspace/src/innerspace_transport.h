// File: plugins/transport-innerspace/src/innerspace_transport.h
//
// gibkit::Transport between kernels in one process, for tests and embedding:
// a receiver registers under innerspace://<name>; a request runs the
// receiver's handler directly on the caller's thread with a copy of the
// message, so no sockets, threads or serialization are involved.
//
// Timeouts: the handler cannot be interrupted, so a request whose handler
// took longer than `timeout` returns kDeadlineExceeded and its response is
// discarded, as a late answer on a network transport would be. Either way
// the receiver may have acted on the request.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gibkit/transport.h"
#include "innerspace_config.h"
#include "mailbox.h"

namespace gibkit::plugins::innerspace {

inline constexpr std::string_view kScheme = "innerspace://";

class InnerspaceTransport final : public Transport {
 public:
  explicit InnerspaceTransport(InnerspaceConfig config);
  ~InnerspaceTransport() override;  // stops listening

  // kInvalidArgument without a configured name, kAlreadyExists when the name
  // is taken in this process, kFailedPrecondition when already listening.
  Status listen(RequestHandler handler) override;
  // Unregisters, then waits for running handler calls; later requests from
  // connections get kUnavailable until some receiver registers the name again.
  void stop() override;
  [[nodiscard]] std::string endpoint() const override;
  // kInvalidArgument for a URL that is not innerspace://<name>, kUnavailable
  // when nothing listens under that name now.
  Result<std::unique_ptr<Connection>> connect(std::string_view peer) override;

 private:
  const InnerspaceConfig config_;
  mutable std::mutex mutex_;
  std::shared_ptr<Mailbox> mailbox_;  // while listening
};

}  // namespace gibkit::plugins::innerspace
