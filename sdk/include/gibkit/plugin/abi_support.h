// File: gibkit/plugin/abi_support.h
//
// Small helpers shared by both sides of the plugin ABI (plugin_abi.h): string
// conversions, sinks that collect outputs into std::string, and the guard
// that turns a C++ call into a status code without letting an exception out.
// Header-only so that it compiles into each plugin (hidden) and the kernel.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gibkit/plugin_abi.h"
#include "gibkit/status.h"

// plugin_abi.h spells the status codes for C plugins; they are the values of
// gibkit::StatusCode, checked here for every plugin and kernel build.
static_assert(GIBKIT_STATUS_OK == static_cast<int>(gibkit::StatusCode::kOk));
static_assert(GIBKIT_STATUS_INVALID_ARGUMENT == static_cast<int>(gibkit::StatusCode::kInvalidArgument));
static_assert(GIBKIT_STATUS_NOT_FOUND == static_cast<int>(gibkit::StatusCode::kNotFound));
static_assert(GIBKIT_STATUS_ALREADY_EXISTS == static_cast<int>(gibkit::StatusCode::kAlreadyExists));
static_assert(GIBKIT_STATUS_FAILED_PRECONDITION == static_cast<int>(gibkit::StatusCode::kFailedPrecondition));
static_assert(GIBKIT_STATUS_PERMISSION_DENIED == static_cast<int>(gibkit::StatusCode::kPermissionDenied));
static_assert(GIBKIT_STATUS_DATA_LOSS == static_cast<int>(gibkit::StatusCode::kDataLoss));
static_assert(GIBKIT_STATUS_UNAVAILABLE == static_cast<int>(gibkit::StatusCode::kUnavailable));
static_assert(GIBKIT_STATUS_ABORTED == static_cast<int>(gibkit::StatusCode::kAborted));
static_assert(GIBKIT_STATUS_RESOURCE_EXHAUSTED == static_cast<int>(gibkit::StatusCode::kResourceExhausted));
static_assert(GIBKIT_STATUS_DEADLINE_EXCEEDED == static_cast<int>(gibkit::StatusCode::kDeadlineExceeded));
static_assert(GIBKIT_STATUS_INCOMPATIBLE == static_cast<int>(gibkit::StatusCode::kIncompatible));
static_assert(GIBKIT_STATUS_INTERNAL == static_cast<int>(gibkit::StatusCode::kInternal));

namespace gibkit::abi {

inline gibkit_str to_str(std::string_view s) noexcept { return gibkit_str{s.data(), s.size()}; }

inline std::string_view to_view(gibkit_str s) noexcept {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.size);
}

inline void write(gibkit_sink sink, std::string_view s) { sink.write(sink.ctx, s.data(), s.size()); }

// A sink that appends into a std::string. An allocation failure inside a sink
// cannot be reported back through C, so it terminates (noexcept) rather than
// unwinding through the other side's frames.
inline gibkit_sink string_sink(std::string* out) noexcept {
  return gibkit_sink{out, [](void* ctx, const char* data, size_t size) noexcept {
                       static_cast<std::string*>(ctx)->append(data, size);
                     }};
}

// A sink that collects one element per write.
inline gibkit_sink list_sink(std::vector<std::string>* out) noexcept {
  return gibkit_sink{out, [](void* ctx, const char* data, size_t size) noexcept {
                       static_cast<std::vector<std::string>*>(ctx)->emplace_back(data, size);
                     }};
}

// Status from a code that crossed the ABI; an out-of-range code is a bug on
// the other side and is reported as kInternal rather than trusted.
inline Status to_status(int code, std::string message) {
  if (code == 0) return Status();
  if (code < 0 || code > static_cast<int>(StatusCode::kInternal)) {
    return internal_error("unknown status code " + std::to_string(code) + " from plugin: " + message);
  }
  return Status(static_cast<StatusCode>(code), std::move(message));
}

// Reports `status` through `error` and returns its code.
inline int report(const Status& status, gibkit_sink error) {
  if (!status.ok()) write(error, status.message());
  return static_cast<int>(status.code());
}

// Runs `fn` (returning Status) and converts the outcome to a code for the
// other side; an exception becomes kInternal with its what().
template <typename Fn>
int guarded(gibkit_sink error, Fn&& fn) noexcept {
  try {
    return report(std::forward<Fn>(fn)(), error);
  } catch (const std::exception& e) {
    try {
      write(error, std::string("unexpected exception: ") + e.what());
    } catch (...) {
      // Reporting failed too (out of memory); the code still says what happened.
    }
  } catch (...) {
    try {
      write(error, "unexpected non-standard exception");
    } catch (...) {
    }
  }
  return static_cast<int>(StatusCode::kInternal);
}

}  // namespace gibkit::abi
