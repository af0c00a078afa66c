// space-capped: an example third-party space plugin. It keeps records in
// memory, like space-memory, but holds at most `max_records` of them and
// refuses (kResourceExhausted) a batch that would go beyond, writing none of
// it. It shows the whole plugin surface: a class implementing gibkit::Space,
// a config schema with a required and a defaulted key, GIBKIT_PLUGIN, and
// the node's services (gibkit::host(), SDK 1.3): it logs its creation and
// every refused batch in the node's log and counts refusals in its metrics.
// Without a host (an older kernel, a unit test) the same calls do nothing.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <gibkit/plugin.h>

namespace {

using gibkit::Result;
using gibkit::Status;

class CappedSpace final : public gibkit::Space {
 public:
  CappedSpace(std::size_t max_records, std::string label, gibkit::Counter refused)
      : max_records_(max_records), label_(std::move(label)), refused_(refused) {}

  Status write(const gibkit::WriteBatch& batch) override {
    GIBKIT_RETURN_IF_ERROR(gibkit::check_write_batch(batch));
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string, std::less<>> heads = heads_;  // applied only on success
    for (const gibkit::HeadUpdate& update : batch.heads) {
      auto it = heads.find(update.timeline);
      const std::string current = it == heads.end() ? "" : it->second;
      if (update.expected_head && *update.expected_head != current) {
        return gibkit::aborted(label_ + ": head of " + update.timeline + " moved");
      }
      heads[update.timeline] = update.head;
    }
    std::map<std::string, std::string, std::less<>> records = records_;
    for (const gibkit::StoredRecord& r : batch.puts) records.try_emplace(r.address, r.json_text);
    for (const std::string& address : batch.erases) records.erase(address);
    if (records.size() > max_records_) {
      refused_.add();
      gibkit::host().log(gibkit::LogLevel::kWarn, "space_capped.full",
                         {{"label", label_}, {"records", records.size()}, {"max_records", max_records_}});
      return gibkit::resource_exhausted(label_ + ": batch would store " + std::to_string(records.size()) +
                                        " records; max_records is " + std::to_string(max_records_));
    }
    records_ = std::move(records);
    heads_ = std::move(heads);
    return Status();
  }

  Result<std::optional<std::string>> get(std::string_view address) override {
    std::lock_guard lock(mutex_);
    auto it = records_.find(address);
    return it == records_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }

  Result<bool> has(std::string_view address) override {
    std::lock_guard lock(mutex_);
    return records_.find(address) != records_.end();
  }

  Result<std::optional<std::string>> head(std::string_view timeline) override {
    std::lock_guard lock(mutex_);
    auto it = heads_.find(timeline);
    return it == heads_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }

  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    for (const auto& [address, json] : records_) {
      if (!visit(address, json)) break;
    }
    return Status();
  }

  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    for (const auto& [timeline, head] : heads_) {
      if (!visit(timeline, head)) break;
    }
    return Status();
  }

 private:
  const std::size_t max_records_;
  const std::string label_;
  const gibkit::Counter refused_;  // inert without a host
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> records_;
  std::map<std::string, std::string, std::less<>> heads_;
};

gibkit::PluginSpec<gibkit::Space> capped_space_plugin() {
  return {
      .name = "space-capped",
      .version = "1.0.0",
      .description = "Example: an in-memory space that holds at most max_records records",
      .config =
          {
              {.key = "max_records", .type = gibkit::ConfigType::kInteger, .required = true,
               .description = "most records the space holds"},
              {.key = "label", .type = gibkit::ConfigType::kString, .default_value = gibkit::json::Value("capped"),
               .description = "prefix of error messages"},
          },
      .create = [](const gibkit::json::Object& config) -> Result<std::unique_ptr<gibkit::Space>> {
        // The kernel validated the types and filled the default.
        GIBKIT_ASSIGN_OR_RETURN(double max_records, gibkit::json::get_number(config, "max_records"));
        GIBKIT_ASSIGN_OR_RETURN(std::string label, gibkit::json::get_string(config, "label"));
        if (max_records < 1) return gibkit::invalid_argument("max_records must be at least 1");
        const gibkit::Host host = gibkit::host();
        GIBKIT_ASSIGN_OR_RETURN(gibkit::Counter refused,
                                host.counter("space_capped_refused_batches_total", "Batches refused for the cap"));
        host.log(gibkit::LogLevel::kInfo, "space_capped.created",
                 {{"label", label}, {"max_records", static_cast<std::int64_t>(max_records)}});
        return std::unique_ptr<gibkit::Space>(
            std::make_unique<CappedSpace>(static_cast<std::size_t>(max_records), std::move(label), refused));
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(capped_space_plugin)
