#include "work_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace gibkit::saga {

WorkPool::WorkPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void WorkPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void WorkPool::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      // Queued jobs still run when stopping: a submitted job's future must
      // become ready, or whoever waits on it would wait forever.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void WorkPool::for_each(std::size_t n, const std::function<void(std::size_t)>& fn) {
  if (n == 0) return;
  // Shared with helpers that may start after the caller returned (they find
  // nothing left and leave), so it lives as long as the last of them.
  struct Shared {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::mutex mutex;
    std::condition_variable finished;
  };
  auto shared = std::make_shared<Shared>();
  const std::function<void(std::size_t)>* body = &fn;
  auto run = [shared, body, n] {
    std::size_t ran = 0;
    for (std::size_t i = shared->next++; i < n; i = shared->next++) {
      (*body)(i);
      ++ran;
    }
    if (ran != 0 && shared->done.fetch_add(ran) + ran == n) {
      std::lock_guard lock(shared->mutex);
      shared->finished.notify_all();
    }
  };
  const std::size_t helpers = std::min<std::size_t>(workers_.size(), n - 1);
  for (std::size_t i = 0; i < helpers; ++i) post(run);
  run();
  // `fn` (behind `body`) belongs to the caller: no helper may still be in it
  // when this returns. Every item counted as done has returned from fn, and
  // a helper that found nothing left never touches it.
  std::unique_lock lock(shared->mutex);
  shared->finished.wait(lock, [&] { return shared->done.load() == n; });
}

std::future<Status> WorkPool::submit(std::function<Status()> job) {
  auto task = std::make_shared<std::packaged_task<Status()>>(std::move(job));
  std::future<Status> result = task->get_future();
  post([task] { (*task)(); });
  return result;
}

}  // namespace gibkit::saga
