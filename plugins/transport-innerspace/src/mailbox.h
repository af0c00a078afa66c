// File: plugins/transport-innerspace/src/mailbox.h
//
// A listening innerspace receiver: the kernel's handler plus what is needed
// to stop it safely while other threads are calling it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "gibkit/status.h"
#include "gibkit/transport.h"

namespace gibkit::plugins::innerspace {

class Mailbox {
 public:
  Mailbox(std::string name, RequestHandler handler, std::size_t max_message_bytes);

  // Runs the handler on the calling thread with `request` (already a copy).
  // kUnavailable once closed; kResourceExhausted for a request or response
  // over this receiver's max_message_bytes; kInternal if the handler throws.
  [[nodiscard]] Result<std::string> deliver(std::string_view request);

  // Refuses new deliveries, waits until running ones return, then releases
  // the handler (the plugin ABI requires it gone by stop()). Must not be
  // called from inside this mailbox's own handler.
  void close();

  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  const std::string name_;
  RequestHandler handler_;  // empty once closed
  const std::size_t max_message_bytes_;
  std::mutex mutex_;
  std::condition_variable idle_;
  bool closed_ = false;
  int running_ = 0;
};

}  // namespace gibkit::plugins::innerspace
