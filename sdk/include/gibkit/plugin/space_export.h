// File: gibkit/plugin/space_export.h
//
// Plugin side of the space ABI: presents a gibkit::Space object as a
// gibkit_space_vtable. Every entry catches everything (abi::guarded), so a
// plugin's exception becomes kInternal at the boundary instead of unwinding
// into the kernel. Used by GIBKIT_PLUGIN (gibkit/plugin.h); plugin authors do
// not call it directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gibkit/plugin/abi_support.h"
#include "gibkit/plugin_abi.h"
#include "gibkit/saga_staging.h"
#include "gibkit/space.h"

namespace gibkit::plugin_detail {

struct SpaceExport {
  static Space& self(void* p) { return *static_cast<Space*>(p); }

  static void destroy(void* p) noexcept { delete static_cast<Space*>(p); }

  // The batch goes on as views (Space::write_view): a space that copies the
  // records into its own storage anyway need not get them copied first.
  static int write(void* p, const gibkit_write_batch* in, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      WriteBatchView batch;
      batch.puts.reserve(in->put_count);
      for (size_t i = 0; i < in->put_count; ++i) {
        batch.puts.push_back(StoredRecordView{abi::to_view(in->puts[i].address), abi::to_view(in->puts[i].json_text)});
      }
      batch.heads.reserve(in->head_count);
      for (size_t i = 0; i < in->head_count; ++i) {
        const gibkit_head_update& h = in->heads[i];
        HeadUpdateView update{abi::to_view(h.timeline), abi::to_view(h.head), std::nullopt};
        if (h.has_expected_head) update.expected_head = abi::to_view(h.expected_head);
        batch.heads.push_back(update);
      }
      batch.erases.reserve(in->erase_count);
      for (size_t i = 0; i < in->erase_count; ++i) batch.erases.push_back(abi::to_view(in->erases[i]));
      return self(p).write_view(batch);
    });
  }

  // get and head share a shape: an optional string out.
  template <auto Method>
  static int optional_out(void* p, gibkit_str key, int* found, gibkit_sink out, gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      *found = 0;
      Result<std::optional<std::string>> value = (self(p).*Method)(abi::to_view(key));
      if (!value.ok()) return value.status();
      if (value->has_value()) {
        *found = 1;
        abi::write(out, **value);
      }
      return Status();
    });
  }

  static int has(void* p, gibkit_str address, int* found, gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      Result<bool> value = self(p).has(abi::to_view(address));
      if (!value.ok()) return value.status();
      *found = *value ? 1 : 0;
      return Status();
    });
  }

  template <auto Method>
  static int for_each(void* p, gibkit_pair_visitor visitor, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      return (self(p).*Method)([&](std::string_view a, std::string_view b) {
        return visitor.visit(visitor.ctx, abi::to_str(a), abi::to_str(b)) != 0;
      });
    });
  }

  // ---- Sagas' staging (SDK 1.4), for a space whose saga_staging() is set ----
  static SagaStaging& staging(void* p) { return *self(p).saga_staging(); }

  static int stage(void* p, gibkit_str saga_id, gibkit_str owner, int64_t expires_at_ms, const gibkit_record* records,
                   size_t record_count, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      std::vector<StoredRecord> staged;
      staged.reserve(record_count);
      for (size_t i = 0; i < record_count; ++i) {
        staged.push_back(StoredRecord{std::string(abi::to_view(records[i].address)),
                                      std::string(abi::to_view(records[i].json_text))});
      }
      return staging(p).stage(abi::to_view(saga_id), abi::to_view(owner), expires_at_ms, staged);
    });
  }

  static int adopt(void* p, gibkit_str from_saga, gibkit_str to_saga, gibkit_str owner, int64_t expires_at_ms,
                   int* adopted, gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      *adopted = 0;
      Result<bool> moved = staging(p).adopt(abi::to_view(from_saga), abi::to_view(to_saga), abi::to_view(owner),
                                            expires_at_ms);
      if (!moved.ok()) return moved.status();
      *adopted = *moved ? 1 : 0;
      return Status();
    });
  }

  static int for_each_staged(void* p, gibkit_str saga_id, gibkit_pair_visitor visitor, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      return staging(p).for_each_staged(abi::to_view(saga_id), [&](std::string_view a, std::string_view b) {
        return visitor.visit(visitor.ctx, abi::to_str(a), abi::to_str(b)) != 0;
      });
    });
  }

  static int drop(void* p, gibkit_str saga_id, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] { return staging(p).drop(abi::to_view(saga_id)); });
  }

  static int reclaim(void* p, int64_t now_ms, uint64_t* dropped, gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      *dropped = 0;
      Result<std::uint64_t> count = staging(p).reclaim(now_ms);
      if (!count.ok()) return count.status();
      *dropped = *count;
      return Status();
    });
  }

  static constexpr gibkit_saga_staging_vtable kStagingTable = {
      sizeof(gibkit_saga_staging_vtable), &stage, &adopt, &for_each_staged, &drop, &reclaim,
  };

  // Two tables: whether a space keeps sagas' staging is a property of the
  // object (its configuration may decide), not of the plugin.
  template <bool WithStaging>
  static const gibkit_space_vtable* vtable() noexcept {
    static constexpr gibkit_space_vtable kTable = {
        sizeof(gibkit_space_vtable),
        &destroy,
        &write,
        &optional_out<&Space::get>,
        &has,
        &optional_out<&Space::head>,
        &for_each<&Space::for_each_record>,
        &for_each<&Space::for_each_head>,
        WithStaging ? &kStagingTable : nullptr,
    };
    return &kTable;
  }

  static gibkit_space wrap(std::unique_ptr<Space> space) noexcept {
    const bool with_staging = space->saga_staging() != nullptr;
    return gibkit_space{space.release(), with_staging ? vtable<true>() : vtable<false>()};
  }
};

}  // namespace gibkit::plugin_detail
