// gibkit::Space over a plugin's gibkit_space_vtable.
#include <exception>
#include <string>
#include <vector>

#include "gibkit/plugin/abi_support.h"
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

class SpaceProxy final : public Space {
 public:
  SpaceProxy(gibkit_space space, std::shared_ptr<const void> library)
      : space_(space), library_(std::move(library)) {}
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
};

}  // namespace

std::unique_ptr<Space> make_space_proxy(gibkit_space space, std::shared_ptr<const void> library) {
  return std::make_unique<SpaceProxy>(space, std::move(library));
}

}  // namespace gibkit::kernel
