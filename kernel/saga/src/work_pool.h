// Private to the saga library: the threads a node verifies records on.
//
// A Delta's records are independent of each other until Commit, so parsing
// and gib-hashing them spreads over every core (issue #11: one core did it
// all, under one mutex for all peers). Two uses:
//
//  * for_each(n, fn) runs fn(0..n-1) on the pool *and* the calling thread and
//    returns when all n ran. The caller takes items itself, so it finishes
//    even when every pool thread is busy (a job that calls for_each from a
//    pool thread cannot deadlock).
//  * submit(job) runs a job later on a pool thread: the receiver verifies
//    and stages a Delta while its reply travels and the sender prepares the
//    next one (the next turn of that saga waits for it, see ReceiverSaga).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "gibkit/status.h"

namespace gibkit::saga {

class WorkPool {
 public:
  // `threads` 0: one per hardware thread.
  explicit WorkPool(unsigned threads = 0);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void for_each(std::size_t n, const std::function<void(std::size_t)>& fn);
  [[nodiscard]] std::future<Status> submit(std::function<Status()> job);
  [[nodiscard]] unsigned threads() const noexcept { return static_cast<unsigned>(workers_.size()); }

 private:
  void post(std::function<void()> task);
  void work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace gibkit::saga
