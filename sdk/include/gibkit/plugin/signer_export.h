// File: gibkit/plugin/signer_export.h
//
// Plugin side of the signer ABI: presents a gibkit::Signer as a
// gibkit_signer_vtable. Identity frames go out record by record through the
// `records` sink and the latest address through `latest`.
//
// It also defines GIBKIT_SIGNER_PLUGIN, which a signer plugin uses instead of
// GIBKIT_PLUGIN (gibkit/plugin.h) to declare the `ib` of the identity frames
// it verifies (gibkit_plugin_descriptor.signer_frame_ibs):
//
//   GIBKIT_SIGNER_PLUGIN(my_signer_plugin, "my-identity")
//
// The kernel hands a peer's identity frame to a signer that declared the
// frame's ib; a signer that declares nothing is never asked to verify a
// peer's frame. (Use it once per library, at global scope, where
// gibkit/plugin.h is included: it builds on that header's descriptor.)
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gibkit/json.h"
#include "gibkit/plugin/abi_support.h"
#include "gibkit/plugin_abi.h"
#include "gibkit/signer.h"

namespace gibkit::plugin_detail {

struct SignerExport {
  static Signer& self(void* p) { return *static_cast<Signer*>(p); }

  static void destroy(void* p) noexcept { delete static_cast<Signer*>(p); }

  static Claim to_claim(const gibkit_claim* c) {
    return Claim{std::string(abi::to_view(c->verb)), std::string(abi::to_view(c->target))};
  }

  static Status emit(const Result<IdentityFrames>& frames, gibkit_sink records, gibkit_sink latest) {
    if (!frames.ok()) return frames.status();
    for (const std::string& r : frames->records_json) abi::write(records, r);
    abi::write(latest, frames->latest_address);
    return Status();
  }

  static int create_identity(void* p, gibkit_str options_json, gibkit_sink records, gibkit_sink latest,
                             gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      json::Value options;
      if (options_json.size != 0) {
        Result<json::Value> parsed = json::parse(abi::to_view(options_json));
        if (!parsed.ok()) return parsed.status().with_context("identity options");
        options = std::move(*parsed);
      }
      return emit(self(p).create_identity(options), records, latest);
    });
  }

  static int sign(void* p, gibkit_str latest_frame_json, const gibkit_claim* claim, gibkit_sink records,
                  gibkit_sink latest, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      return emit(self(p).sign(abi::to_view(latest_frame_json), to_claim(claim)), records, latest);
    });
  }

  static int revoke(void* p, gibkit_str latest_frame_json, gibkit_str reason, gibkit_sink records,
                    gibkit_sink latest, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      return emit(self(p).revoke(abi::to_view(latest_frame_json), abi::to_view(reason)), records, latest);
    });
  }

  static int verify(void* p, gibkit_str prev_json, gibkit_str next_json, const gibkit_claim* expected,
                    gibkit_sink error) noexcept {
    return abi::guarded(error, [&] {
      return self(p).verify(abi::to_view(prev_json), abi::to_view(next_json), to_claim(expected));
    });
  }

  static int forget(void* p, gibkit_str identity_tjp, gibkit_sink error) noexcept {
    return abi::guarded(error, [&] { return self(p).forget(abi::to_view(identity_tjp)); });
  }

  static const gibkit_signer_vtable* vtable() noexcept {
    static constexpr gibkit_signer_vtable kTable = {
        sizeof(gibkit_signer_vtable), &destroy, &create_identity, &sign, &revoke, &verify, &forget,
    };
    return &kTable;
  }

  static gibkit_signer wrap(std::unique_ptr<Signer> s) noexcept { return gibkit_signer{s.release(), vtable()}; }

  // A copy of `described` (GIBKIT_PLUGIN's descriptor) that also declares
  // `frame_ibs` (NULL-terminated, static); nullopt when the plugin failed to
  // describe itself.
  static std::optional<gibkit_plugin_descriptor> with_frame_ibs(const gibkit_plugin_descriptor* described,
                                                                const char* const* frame_ibs) noexcept {
    if (described == nullptr) return std::nullopt;
    gibkit_plugin_descriptor descriptor = *described;
    descriptor.signer_frame_ibs = frame_ibs;
    return descriptor;
  }
};

}  // namespace gibkit::plugin_detail

// GIBKIT_PLUGIN(spec_function) for a signer that verifies identity frames
// whose ib is one of the string literals after it (see the top of this file).
#define GIBKIT_SIGNER_PLUGIN(spec_function, ...)                                                               \
  namespace {                                                                                                 \
  static_assert(std::is_same_v<::gibkit::plugin_detail::InterfaceOf<&spec_function>, ::gibkit::Signer>,       \
                "GIBKIT_SIGNER_PLUGIN exports a PluginSpec<gibkit::Signer>");                                 \
  const gibkit_plugin_descriptor* gibkit_plugin_entry() noexcept {                                            \
    static constexpr const char* kFrameIbs[] = {__VA_ARGS__, nullptr};                                        \
    static const std::optional<gibkit_plugin_descriptor> kDescriptor =                                        \
        ::gibkit::plugin_detail::SignerExport::with_frame_ibs(::gibkit::plugin_detail::describe<&spec_function>(), \
                                                              kFrameIbs);                                     \
    return kDescriptor ? &*kDescriptor : nullptr;                                                             \
  }                                                                                                           \
  }                                                                                                           \
  GIBKIT_PLUGIN_ENTRY(gibkit_plugin_entry)
