// File: plugins/transport-websocket/src/event_loop.h
//
// One libwebsockets context and the thread that services it. libwebsockets is
// single-threaded: every call on the context or its connections must happen on
// that thread. Other threads hand work over with post(), which queues a task
// and wakes the loop with lws_cancel_service(); the loop runs the queue when
// the owner's protocol callback forwards LWS_CALLBACK_EVENT_WAIT_CANCELLED to
// run_posted().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <libwebsockets.h>

#include "gibkit/status.h"

namespace gibkit::plugins::websocket {

class EventLoop {
 public:
  // Creates the context from `info` on the calling thread, so that failures
  // (a port in use) are reported here. `what` names it in errors. Callbacks
  // may already run during creation, but service starts only with run(), so
  // the owner can finish setting up (and store this object) first.
  [[nodiscard]] static Result<std::unique_ptr<EventLoop>> create(const lws_context_creation_info& info,
                                                                 const std::string& what);

  // Starts the service thread; call once.
  void run();

  // Before run(), or on the loop thread.
  [[nodiscard]] lws_context* context() const { return context_; }

  // Stops the loop and destroys the context on the loop thread, which closes
  // every connection (their CLOSED callbacks run during this call). Tasks
  // still queued are dropped without running; post() drops new ones.
  // Returns once the loop thread has finished; idempotent; not on the loop
  // thread.
  //
  // Owners call stop() before they release this object, never by resetting
  // their pointer to it: unique_ptr::reset() clears the pointer before it
  // runs the destructor, and the callbacks that run while the loop closes
  // read that pointer on the loop thread (a data race, and a null call).
  void stop();
  ~EventLoop();  // stop()

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `task` on the loop thread soon. Thread safe; dropped after shutdown began.
  void post(std::function<void()> task);

  // Runs the queued tasks; loop thread only.
  void run_posted();

 private:
  explicit EventLoop(lws_context* context) : context_(context) {}
  void service();

  lws_context* context_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
  std::thread thread_;
};

}  // namespace gibkit::plugins::websocket
