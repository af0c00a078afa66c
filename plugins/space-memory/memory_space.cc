// space-memory: a Space kept in process memory, for tests, temporary staging
// spaces and nodes that need no durability. Everything is lost when the
// instance is destroyed.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gibkit/plugin.h"
#include "memory_saga_staging.h"

namespace {

using gibkit::Result;
using gibkit::Status;

class MemorySpace final : public gibkit::Space {
 public:
  Status write(const gibkit::WriteBatch& batch) override {
    GIBKIT_RETURN_IF_ERROR(gibkit::check_write_batch(batch));
    std::lock_guard lock(mutex_);
    // Resolve every head first, so a failed compare-and-swap leaves nothing written.
    std::map<std::string, std::string, std::less<>> new_heads;
    for (const gibkit::HeadUpdate& update : batch.heads) {
      if (update.expected_head) {
        std::string_view current = current_head(new_heads, update.timeline);
        if (current != *update.expected_head) {
          return gibkit::aborted("head of " + update.timeline + " is '" + std::string(current) + "', expected '" +
                                 *update.expected_head + "'");
        }
      }
      new_heads[update.timeline] = update.head;
    }
    for (const gibkit::StoredRecord& record : batch.puts) records_.try_emplace(record.address, record.json_text);
    for (const std::string& address : batch.erases) records_.erase(address);
    for (auto& [timeline, head] : new_heads) heads_[timeline] = std::move(head);
    return Status();
  }

  Result<std::optional<std::string>> get(std::string_view address) override {
    std::lock_guard lock(mutex_);
    auto it = records_.find(address);
    if (it == records_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<bool> has(std::string_view address) override {
    std::lock_guard lock(mutex_);
    return records_.find(address) != records_.end();
  }

  Result<std::optional<std::string>> head(std::string_view timeline) override {
    std::lock_guard lock(mutex_);
    auto it = heads_.find(timeline);
    if (it == heads_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status for_each_record(
      const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    return visit_all(records_, visit);
  }

  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    return visit_all(heads_, visit);
  }

  // Kept apart from the records: staged records are not the space's.
  gibkit::SagaStaging* saga_staging() override { return &staging_; }

 private:
  using Map = std::map<std::string, std::string, std::less<>>;

  // The head a compare-and-swap compares against: one set earlier in this
  // batch, else the stored one, else "" (no head yet).
  std::string_view current_head(const Map& pending, std::string_view timeline) const {
    if (auto it = pending.find(timeline); it != pending.end()) return it->second;
    if (auto it = heads_.find(timeline); it != heads_.end()) return it->second;
    return {};
  }

  static Status visit_all(const Map& map, const std::function<bool(std::string_view, std::string_view)>& visit) {
    for (const auto& [key, value] : map) {
      if (!visit(key, value)) break;
    }
    return Status();
  }

  std::mutex mutex_;
  Map records_;
  Map heads_;
  gibkit::memory_space::MemorySagaStaging staging_;
};

gibkit::PluginSpec<gibkit::Space> memory_space_plugin() {
  return {
      .name = "space-memory",
      .version = "1.0.0",
      .description = "Keeps records and heads in process memory; nothing survives a restart",
      .config = {},
      .create = [](const gibkit::json::Object&) -> Result<std::unique_ptr<gibkit::Space>> {
        return std::unique_ptr<gibkit::Space>(std::make_unique<MemorySpace>());
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(memory_space_plugin)
