#include "registry.h"

namespace gibkit::plugins::innerspace {

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

Status Registry::add(std::shared_ptr<Mailbox> mailbox) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = mailboxes_.emplace(mailbox->name(), mailbox);
  if (!inserted) return already_exists("innerspace://" + mailbox->name() + " is already listening");
  return Status();
}

void Registry::remove(const Mailbox& mailbox) {
  std::lock_guard lock(mutex_);
  auto it = mailboxes_.find(mailbox.name());
  if (it != mailboxes_.end() && it->second.get() == &mailbox) mailboxes_.erase(it);
}

std::shared_ptr<Mailbox> Registry::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = mailboxes_.find(name);
  return it == mailboxes_.end() ? nullptr : it->second;
}

}  // namespace gibkit::plugins::innerspace
