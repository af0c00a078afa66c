#include "innerspace_transport.h"

#include <chrono>
#include <utility>

#include "registry.h"

namespace gibkit::plugins::innerspace {
namespace {

class InnerspaceConnection final : public Connection {
 public:
  InnerspaceConnection(std::string name, std::size_t max_message_bytes)
      : name_(std::move(name)), max_message_bytes_(max_message_bytes) {}

  Result<std::string> request(std::string_view message, std::chrono::milliseconds timeout) override {
    if (message.size() > max_message_bytes_) {
      return resource_exhausted("request of " + std::to_string(message.size()) +
                                " bytes exceeds max_message_bytes " + std::to_string(max_message_bytes_));
    }
    std::shared_ptr<Mailbox> mailbox = Registry::instance().find(name_);
    if (!mailbox) return unavailable("nothing listens on innerspace://" + name_);
    const auto started = std::chrono::steady_clock::now();
    const std::string copy(message);  // the receiver never sees the caller's buffer
    Result<std::string> response = mailbox->deliver(copy);
    if (std::chrono::steady_clock::now() - started > timeout) {
      return deadline_exceeded("innerspace://" + name_ + " answered after more than " +
                               std::to_string(timeout.count()) + " ms");
    }
    if (response.ok() && response->size() > max_message_bytes_) {
      return resource_exhausted("response exceeds max_message_bytes " + std::to_string(max_message_bytes_));
    }
    return response;
  }

 private:
  const std::string name_;
  const std::size_t max_message_bytes_;
};

}  // namespace

InnerspaceTransport::InnerspaceTransport(InnerspaceConfig config) : config_(std::move(config)) {}

InnerspaceTransport::~InnerspaceTransport() { stop(); }

Status InnerspaceTransport::listen(RequestHandler handler) {
  if (config_.name.empty()) return invalid_argument("transport-innerspace needs config key \"name\" to listen");
  std::lock_guard lock(mutex_);
  if (mailbox_) return failed_precondition("already listening on innerspace://" + config_.name);
  auto mailbox = std::make_shared<Mailbox>(config_.name, std::move(handler), config_.max_message_bytes);
  GIBKIT_RETURN_IF_ERROR(Registry::instance().add(mailbox));
  mailbox_ = std::move(mailbox);
  return Status();
}

void InnerspaceTransport::stop() {
  std::shared_ptr<Mailbox> mailbox;
  {
    std::lock_guard lock(mutex_);
    mailbox.swap(mailbox_);
  }
  if (!mailbox) return;
  Registry::instance().remove(*mailbox);
  mailbox->close();
}

std::string InnerspaceTransport::endpoint() const {
  std::lock_guard lock(mutex_);
  return mailbox_ ? std::string(kScheme) + config_.name : std::string();
}

Result<std::unique_ptr<Connection>> InnerspaceTransport::connect(std::string_view peer) {
  if (!peer.starts_with(kScheme) || peer.size() == kScheme.size()) {
    return invalid_argument("innerspace URL must be innerspace://<name>, got \"" + std::string(peer) + "\"");
  }
  std::string name(peer.substr(kScheme.size()));
  if (!Registry::instance().find(name)) return unavailable("nothing listens on " + std::string(peer));
  return std::unique_ptr<Connection>(std::make_unique<InnerspaceConnection>(std::move(name), config_.max_message_bytes));
}

}  // namespace gibkit::plugins::innerspace
