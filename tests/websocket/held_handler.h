// A request handler that holds every call until opened, for tests that need
// requests in flight; it counts the calls running at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gibkit/transport.h"

namespace gibkit::plugins::websocket::test_support {

class HeldHandler {
 public:
  // Answers each request with `response`, or echoes it when none is given,
  // once open(); a request "hello" is answered at once. Every answer admits
  // the connection (a peer's first request is its hello).
  RequestHandler handler(std::optional<std::string> response = std::nullopt) {
    return [this, response = std::move(response)](std::string_view request) -> Result<Answer> {
      if (request == "hello") return Answer{"hello", Admission::kAuthenticated};
      std::unique_lock lock(mutex_);
      ++running_;
      peak_ = std::max(peak_, running_);
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(60), [&] { return open_; });
      --running_;
      return Answer{response ? *response : std::string(request), Admission::kAuthenticated};
    };
  }
  // True once `n` calls run at once (waits at most 20 s).
  bool wait_running(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return running_ >= n; });
  }
  int peak() {
    std::lock_guard lock(mutex_);
    return peak_;
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int running_ = 0;
  int peak_ = 0;
  bool open_ = false;
};

}  // namespace gibkit::plugins::websocket::test_support
