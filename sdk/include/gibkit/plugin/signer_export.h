// File: gibkit/plugin/signer_export.h
//
// Plugin side of the signer ABI: presents a gibkit::Signer as a
// gibkit_signer_vtable. Identity frames go out record by record through the
// `records` sink and the latest address through `latest`.
#pragma once

#include <memory>
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

  static const gibkit_signer_vtable* vtable() noexcept {
    static constexpr gibkit_signer_vtable kTable = {
        sizeof(gibkit_signer_vtable), &destroy, &create_identity, &sign, &revoke, &verify,
    };
    return &kTable;
  }

  static gibkit_signer wrap(std::unique_ptr<Signer> s) noexcept { return gibkit_signer{s.release(), vtable()}; }
};

}  // namespace gibkit::plugin_detail
