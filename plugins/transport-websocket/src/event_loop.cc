#include "event_loop.h"

#include <utility>

namespace gibkit::plugins::websocket {
namespace {

// libwebsockets logs to stderr at notice level by default; our own errors are
// reported through Status, so only its errors are worth printing.
void quiet_library_logging() {
  static std::once_flag once;
  std::call_once(once, [] { lws_set_log_level(LLL_ERR, nullptr); });
}

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create(const lws_context_creation_info& info, const std::string& what) {
  quiet_library_logging();
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) return unavailable("libwebsockets could not create the " + what);
  return std::unique_ptr<EventLoop>(new EventLoop(context));
}

void EventLoop::run() { thread_ = std::thread([this] { service(); }); }

EventLoop::~EventLoop() { stop(); }

void EventLoop::stop() {
  if (context_ == nullptr) return;  // stopped before
  if (!thread_.joinable()) {        // never ran
    lws_context_destroy(context_);
    context_ = nullptr;
    return;
  }
  {
    std::lock_guard lock(mutex_);
    // Once stopping_ is set under the lock the loop may destroy the context,
    // so it is woken only while it certainly still exists.
    if (!stopping_) {
      stopping_ = true;
      lws_cancel_service(context_);
    }
  }
  thread_.join();
  context_ = nullptr;  // the loop thread destroyed it
}

void EventLoop::post(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  tasks_.push_back(std::move(task));
  lws_cancel_service(context_);
}

void EventLoop::run_posted() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) task();
}

void EventLoop::service() {
  while (!stopping_) {
    if (lws_service(context_, 0) < 0) break;  // the context failed; nothing more will be served
  }
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // Tasks not yet run are dropped: their owners are shutting down and wait
    // for nothing from them.
    dropped.swap(tasks_);
  }
  lws_context_destroy(context_);
}

}  // namespace gibkit::plugins::websocket
