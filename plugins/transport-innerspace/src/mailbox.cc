#include "mailbox.h"

#include <exception>
#include <utility>

namespace gibkit::plugins::innerspace {

Mailbox::Mailbox(std::string name, RequestHandler handler, std::size_t max_message_bytes)
    : name_(std::move(name)), handler_(std::move(handler)), max_message_bytes_(max_message_bytes) {}

Result<std::string> Mailbox::deliver(std::string_view request) {
  if (request.size() > max_message_bytes_) {
    return resource_exhausted("request of " + std::to_string(request.size()) + " bytes exceeds max_message_bytes " +
                              std::to_string(max_message_bytes_) + " of innerspace://" + name_);
  }
  {
    std::lock_guard lock(mutex_);
    if (closed_) return unavailable("innerspace://" + name_ + " stopped");
    ++running_;
  }
  // In one process there is no connection to admit: the verdict is dropped.
  Result<std::string> response = internal_error("unset");
  try {
    Result<Answer> answer = handler_(request);
    response = answer.ok() ? Result<std::string>(std::move(answer->message)) : Result<std::string>(answer.status());
  } catch (const std::exception& e) {
    response = internal_error(std::string("request handler threw: ") + e.what());
  } catch (...) {
    response = internal_error("request handler threw a non-standard exception");
  }
  {
    std::lock_guard lock(mutex_);
    if (--running_ == 0) idle_.notify_all();
  }
  if (response.ok() && response->size() > max_message_bytes_) {
    return resource_exhausted("response exceeds max_message_bytes " + std::to_string(max_message_bytes_) +
                              " of innerspace://" + name_);
  }
  return response;
}

void Mailbox::close() {
  RequestHandler released;
  {
    std::unique_lock lock(mutex_);
    closed_ = true;
    idle_.wait(lock, [&] { return running_ == 0; });
    released.swap(handler_);
  }
  // `released` is destroyed here, outside the lock: its destructor is the
  // kernel's (through the plugin ABI) and may take its own locks.
}

}  // namespace gibkit::plugins::innerspace
