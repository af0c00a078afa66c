// The sagas' staging of space-memory (gibkit/saga_staging.h): what an
// in-process store offers so that several nodes in one process (tests, and
// anyone embedding the kernel) can adopt each other's broken sagas.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gibkit/saga_staging.h"

namespace gibkit::memory_space {

class MemorySagaStaging final : public SagaStaging {
 public:
  Status stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
               const std::vector<StoredRecord>& records) override {
    if (saga_id.empty() || owner.empty()) return invalid_argument("staging: empty saga id or owner");
    std::lock_guard lock(mutex_);
    auto [it, created] = sagas_.try_emplace(std::string(saga_id));
    Saga& saga = it->second;
    if (created) {
      saga.owner = owner;
    } else if (saga.owner != owner) {
      return failed_precondition("staging: saga " + std::string(saga_id) + " belongs to another sender");
    }
    saga.expires_at_ms = expires_at_ms;
    for (const StoredRecord& record : records) saga.records.try_emplace(record.address, record.json_text);
    return {};
  }

  Result<bool> adopt(std::string_view from_saga, std::string_view to_saga, std::string_view owner,
                     std::int64_t expires_at_ms) override {
    std::lock_guard lock(mutex_);
    auto from = sagas_.find(from_saga);
    if (from == sagas_.end() || from->second.owner != owner || from_saga == to_saga) return false;
    auto to = sagas_.find(to_saga);
    if (to != sagas_.end() && to->second.owner != owner) return false;
    Saga moved = std::move(from->second);
    sagas_.erase(from);
    Saga& target = sagas_[std::string(to_saga)];
    if (target.owner.empty()) target.owner = owner;
    target.expires_at_ms = expires_at_ms;
    target.records.merge(moved.records);  // the first bytes of a record held by both stay
    return true;
  }

  Status for_each_staged(std::string_view saga_id,
                         const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    auto it = sagas_.find(saga_id);
    if (it == sagas_.end()) return {};
    for (const auto& [address, text] : it->second.records) {
      if (!visit(address, text)) break;
    }
    return {};
  }

  Status drop(std::string_view saga_id) override {
    std::lock_guard lock(mutex_);
    if (auto it = sagas_.find(saga_id); it != sagas_.end()) sagas_.erase(it);
    return {};
  }

  Result<std::uint64_t> reclaim(std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    return static_cast<std::uint64_t>(
        std::erase_if(sagas_, [now_ms](const auto& entry) { return entry.second.expires_at_ms < now_ms; }));
  }

 private:
  struct Saga {
    std::string owner;
    std::int64_t expires_at_ms = 0;
    std::map<std::string, std::string, std::less<>> records;
  };
  std::mutex mutex_;
  std::map<std::string, Saga, std::less<>> sagas_;
};

}  // namespace gibkit::memory_space
