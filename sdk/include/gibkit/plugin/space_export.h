// File: gibkit/plugin/space_export.h
//
// Plugin side of the space ABI: presents a gibkit::Space object as a
// gibkit_space_vtable. Every entry catches everything (abi::guarded), so a
// plugin's exception becomes kInternal at the boundary instead of unwinding
// into the kernel. Used by GIBKIT_PLUGIN (gibkit/plugin.h); plugin authors do
// not call it directly.
#pragma once

#include <memory>
#include <string>

#include "gibkit/plugin/abi_support.h"
#include "gibkit/plugin_abi.h"
#include "gibkit/space.h"

namespace gibkit::plugin_detail {

struct SpaceExport {
  static Space& self(void* p) { return *static_cast<Space*>(p); }

  static void destroy(void* p) noexcept { delete static_cast<Space*>(p); }

  static int write(void* p, const gibkit_write_batch* in, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      WriteBatch batch;
      batch.puts.reserve(in->put_count);
      for (size_t i = 0; i < in->put_count; ++i) {
        batch.puts.push_back(StoredRecord{std::string(abi::to_view(in->puts[i].address)),
                                          std::string(abi::to_view(in->puts[i].json_text))});
      }
      batch.heads.reserve(in->head_count);
      for (size_t i = 0; i < in->head_count; ++i) {
        const gibkit_head_update& h = in->heads[i];
        HeadUpdate update{std::string(abi::to_view(h.timeline)), std::string(abi::to_view(h.head)), std::nullopt};
        if (h.has_expected_head) update.expected_head = std::string(abi::to_view(h.expected_head));
        batch.heads.push_back(std::move(update));
      }
      batch.erases.reserve(in->erase_count);
      for (size_t i = 0; i < in->erase_count; ++i) batch.erases.emplace_back(abi::to_view(in->erases[i]));
      return self(p).write(batch);
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
    };
    return &kTable;
  }

  static gibkit_space wrap(std::unique_ptr<Space> space) noexcept { return gibkit_space{space.release(), vtable()}; }
};

}  // namespace gibkit::plugin_detail
