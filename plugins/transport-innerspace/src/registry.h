// File: plugins/transport-innerspace/src/registry.h
//
// The process-wide table of listening innerspace receivers, by name. Thread
// safe. Connections look a name up on every request, so a receiver that is
// stopped and started again under the same name is found again.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gibkit/status.h"
#include "mailbox.h"

namespace gibkit::plugins::innerspace {

class Registry {
 public:
  [[nodiscard]] static Registry& instance();

  // kAlreadyExists when the name is taken.
  [[nodiscard]] Status add(std::shared_ptr<Mailbox> mailbox);
  // Removes `mailbox` if it is still the one registered under its name.
  void remove(const Mailbox& mailbox);
  // nullptr when nothing listens under `name`.
  [[nodiscard]] std::shared_ptr<Mailbox> find(std::string_view name) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Mailbox>, std::less<>> mailboxes_;
};

}  // namespace gibkit::plugins::innerspace
