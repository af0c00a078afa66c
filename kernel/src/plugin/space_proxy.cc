// gibkit::Space over a plugin's gibkit_space_vtable.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "gibkit/plugin/abi_support.h"
#include "gibkit/saga_staging.h"
#include "host_proxies.h"

namespace gibkit::kernel {
namespace {

using VisitFn = std::function<bool(std::string_view, std::string_view)>;

// Carries the kernel's visitor through the C callback. A throwing visitor is
// a kernel bug; it stops the iteration and is reported instead of unwinding
// through the plugin.
struct VisitorBridge {
  const VisitFn* visit;
  bool threw = false;

  static int call(void* ctx, gibkit_str a, gibkit_str b) noexcept {
    auto* self = static_cast<VisitorBridge*>(ctx);
    try {
      return (*self->visit)(abi::to_view(a), abi::to_view(b)) ? 1 : 0;
    } catch (...) {
      self->threw = true;
      return 0;
    }
  }
};

// gibkit::SagaStaging over a space's staging table (SDK 1.4).
class SagaStagingProxy final : public SagaStaging {
 public:
  SagaStagingProxy(void* self, const gibkit_saga_staging_vtable* table) : self_(self), table_(table) {}

  Status stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
               const std::vector<StoredRecord>& records) override {
    std::vector<gibkit_record> c_records;
    c_records.reserve(records.size());
    for (const StoredRecord& r : records) c_records.push_back({abi::to_str(r.address), abi::to_str(r.json_text)});
    std::string error;
    int code = table_->stage(self_, abi::to_str(saga_id), abi::to_str(owner), expires_at_ms, c_records.data(),
                             c_records.size(), abi::string_sink(&error));
    return abi::to_status(code, std::move(error));
  }

  Result<bool> adopt(std::string_view from_saga, std::string_view to_saga, std::string_view owner,
                     std::int64_t expires_at_ms) override {
    int adopted = 0;
    std::string error;
    int code = table_->adopt(self_, abi::to_str(from_saga), abi::to_str(to_saga), abi::to_str(owner), expires_at_ms,
                             &adopted, abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    return adopted != 0;
  }

  Status for_each_staged(std::string_view saga_id, const VisitFn& visit) override {
    VisitorBridge bridge{&visit};
    std::string error;
    int code = table_->for_each_staged(self_, abi::to_str(saga_id), gibkit_pair_visitor{&bridge, &VisitorBridge::call},
                                       abi::string_sink(&error));
    if (bridge.threw) return internal_error("staging visitor threw an exception");
    return abi::to_status(code, std::move(error));
  }

  Status drop(std::string_view saga_id) override {
    std::string error;
    int code = table_->drop(self_, abi::to_str(saga_id), abi::string_sink(&error));
    return abi::to_status(code, std::move(error));
  }

  Result<std::uint64_t> reclaim(std::int64_t now_ms) override {
    std::uint64_t dropped = 0;
    std::string error;
    int code = table_->reclaim(self_, now_ms, &dropped, abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    return dropped;
  }

 private:
  void* self_;
  const gibkit_saga_staging_vtable* table_;
};

// The staging table of `space`, when its vtable is long enough to say and
// names a complete one; a 1.3 plugin's table ends before the field.
const gibkit_saga_staging_vtable* staging_table(const gibkit_space& space) {
  if (space.vtable->struct_size < offsetof(gibkit_space_vtable, saga_staging) + sizeof(space.vtable->saga_staging)) {
    return nullptr;
  }
  const gibkit_saga_staging_vtable* table = space.vtable->saga_staging;
  if (table == nullptr || table->struct_size < sizeof(gibkit_saga_staging_vtable)) return nullptr;
  return table;
}

class SpaceProxy final : public Space {
 public:
  SpaceProxy(gibkit_space space, std::shared_ptr<const void> library)
      : space_(space), library_(std::move(library)) {
    if (const gibkit_saga_staging_vtable* table = staging_table(space_)) {
      staging_ = std::make_unique<SagaStagingProxy>(space_.self, table);
    }
  }
  ~SpaceProxy() override { space_.vtable->destroy(space_.self); }
  SpaceProxy(const SpaceProxy&) = delete;
  SpaceProxy& operator=(const SpaceProxy&) = delete;

  Status write(const WriteBatch& batch) override {
    std::vector<gibkit_record> puts;
    puts.reserve(batch.puts.size());
    for (const StoredRecord& r : batch.puts) puts.push_back({abi::to_str(r.address), abi::to_str(r.json_text)});
    std::vector<gibkit_head_update> heads;
    heads.reserve(batch.heads.size());
    for (const HeadUpdate& h : batch.heads) {
      heads.push_back({abi::to_str(h.timeline), abi::to_str(h.head), h.expected_head ? 1 : 0,
                       h.expected_head ? abi::to_str(*h.expected_head) : gibkit_str{nullptr, 0}});
    }
    std::vector<gibkit_str> erases;
    erases.reserve(batch.erases.size());
    for (const std::string& e : batch.erases) erases.push_back(abi::to_str(e));
    gibkit_write_batch c_batch{puts.data(), puts.size(), heads.data(), heads.size(), erases.data(), erases.size()};
    std::string error;
    int code = space_.vtable->write(space_.self, &c_batch, abi::string_sink(&error));
    return abi::to_status(code, std::move(error));
  }

  Result<std::optional<std::string>> get(std::string_view address) override {
    return optional_out(space_.vtable->get, address);
  }

  Result<bool> has(std::string_view address) override {
    int found = 0;
    std::string error;
    int code = space_.vtable->has(space_.self, abi::to_str(address), &found, abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    return found != 0;
  }

  Result<std::optional<std::string>> head(std::string_view timeline) override {
    return optional_out(space_.vtable->head, timeline);
  }

  Status for_each_record(const VisitFn& visit) override { return for_each(space_.vtable->for_each_record, visit); }
  Status for_each_head(const VisitFn& visit) override { return for_each(space_.vtable->for_each_head, visit); }
  SagaStaging* saga_staging() override { return staging_.get(); }

 private:
  using OptionalOutFn = int (*)(void*, gibkit_str, int*, gibkit_sink, gibkit_sink);
  using ForEachFn = int (*)(void*, gibkit_pair_visitor, gibkit_sink);

  Result<std::optional<std::string>> optional_out(OptionalOutFn fn, std::string_view key) {
    int found = 0;
    std::string value;
    std::string error;
    int code = fn(space_.self, abi::to_str(key), &found, abi::string_sink(&value), abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    if (found == 0) return std::optional<std::string>();
    return std::optional<std::string>(std::move(value));
  }

  Status for_each(ForEachFn fn, const VisitFn& visit) {
    VisitorBridge bridge{&visit};
    std::string error;
    int code = fn(space_.self, gibkit_pair_visitor{&bridge, &VisitorBridge::call}, abi::string_sink(&error));
    if (bridge.threw) return internal_error("space visitor threw an exception");
    return abi::to_status(code, std::move(error));
  }

  gibkit_space space_;
  std::shared_ptr<const void> library_;
  std::unique_ptr<SagaStagingProxy> staging_;  // when the plugin's table offers one
};

}  // namespace

std::unique_ptr<Space> make_space_proxy(gibkit_space space, std::shared_ptr<const void> library) {
  return std::make_unique<SpaceProxy>(space, std::move(library));
}

}  // namespace gibkit::kernel
