// File: gibkit/host.h
//
// The node's services for C++ plugin code (SDK 1.3): its structured log,
// its metrics and its clock, over the C table gibkit_host (plugin_abi.h).
//
//   gibkit::host().log(gibkit::LogLevel::kInfo, "space.opened", {{"path", path}, {"records", n}});
//   gibkit::Result<gibkit::Counter> batches = gibkit::host().counter("mine_batches_total", "Batches written");
//   if (batches.ok()) batches->add();
//
// GIBKIT_PLUGIN and GIBKIT_SIGNER_PLUGIN receive the host when the kernel
// loads the plugin; gibkit::host() returns it. A kernel before SDK 1.3 (and
// a unit test calling the plugin's classes directly) attaches none: then
// every service is absent (has_log() and the others are false), logging
// does nothing, counters and histograms are inert and the clock reads
// nullopt, so plugin code runs the same with or without a node.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gibkit/plugin_abi.h"
#include "gibkit/status.h"

namespace gibkit {

// The node's log levels (gibkit_log_level), most severe first.
enum class LogLevel { kError = GIBKIT_LOG_ERROR, kWarn = GIBKIT_LOG_WARN, kInfo = GIBKIT_LOG_INFO, kDebug = GIBKIT_LOG_DEBUG };

// One key=value pair of a log line; integers and booleans are written as such.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <typename Integer>
    requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>)
  LogField(std::string_view k, Integer v) : key(k), value(std::to_string(v)) {}

  std::string_view key;
  std::string value;
};

// A counter the host registered; add() does nothing on an inert one (no host).
class Counter {
 public:
  Counter() = default;
  Counter(const gibkit_host* host, gibkit_metric* metric) noexcept : host_(host), metric_(metric) {}
  void add(double amount = 1) const noexcept {
    if (metric_ != nullptr) host_->counter_add(host_->ctx, metric_, amount);
  }
  [[nodiscard]] bool live() const noexcept { return metric_ != nullptr; }

 private:
  const gibkit_host* host_ = nullptr;
  gibkit_metric* metric_ = nullptr;
};

// A histogram the host registered; observe() does nothing on an inert one.
class Histogram {
 public:
  Histogram() = default;
  Histogram(const gibkit_host* host, gibkit_metric* metric) noexcept : host_(host), metric_(metric) {}
  void observe(double value) const noexcept {
    if (metric_ != nullptr) host_->histogram_observe(host_->ctx, metric_, value);
  }
  [[nodiscard]] bool live() const noexcept { return metric_ != nullptr; }

 private:
  const gibkit_host* host_ = nullptr;
  gibkit_metric* metric_ = nullptr;
};

class Host {
 public:
  Host() = default;
  explicit Host(const gibkit_host* host) noexcept : host_(host) {}

  // Which services the node offers (each needs an SDK 1.3 kernel or later).
  [[nodiscard]] bool has_log() const noexcept { return covers(offsetof(gibkit_host, log), sizeof(host_->log)); }
  [[nodiscard]] bool has_metrics() const noexcept {
    return covers(offsetof(gibkit_host, histogram_observe), sizeof(host_->histogram_observe));
  }
  [[nodiscard]] bool has_clock() const noexcept {
    return covers(offsetof(gibkit_host, monotonic_ms), sizeof(host_->monotonic_ms));
  }

  [[nodiscard]] bool log_enabled(LogLevel level) const noexcept {
    return has_log() && host_->log_enabled(host_->ctx, static_cast<int>(level)) != 0;
  }

  // One line in the node's log: event=<event> plugin=<this plugin> and the
  // fields. Nothing when the node has no log for the plugin.
  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {}) const noexcept {
    if (!log_enabled(level)) return;
    try {
      std::vector<gibkit_log_field> c_fields;
      c_fields.reserve(fields.size());
      for (const LogField& f : fields) {
        c_fields.push_back({gibkit_str{f.key.data(), f.key.size()}, gibkit_str{f.value.data(), f.value.size()}});
      }
      host_->log(host_->ctx, static_cast<int>(level), gibkit_str{event.data(), event.size()}, c_fields.data(),
                 c_fields.size());
    } catch (...) {
      // Out of memory while logging: the line is lost, the plugin goes on.
    }
  }

  // A counter exposed as gibkit_plugin_<name>. An inert counter when the
  // node has no metrics; the node's refusal (a malformed name, the name
  // taken by a histogram) as kInvalidArgument or kAlreadyExists.
  [[nodiscard]] Result<Counter> counter(std::string_view name, std::string_view help) const {
    if (!has_metrics()) return Counter();
    gibkit_metric* metric = nullptr;
    std::string error;
    int code = host_->counter(host_->ctx, to_str(name), to_str(help), &metric, error_sink(&error));
    if (code != 0) return status_of(code, std::move(error));
    return Counter(host_, metric);
  }

  // A histogram with the given bucket upper bounds (finite, increasing).
  [[nodiscard]] Result<Histogram> histogram(std::string_view name, std::string_view help,
                                            const std::vector<double>& bounds) const {
    if (!has_metrics()) return Histogram();
    gibkit_metric* metric = nullptr;
    std::string error;
    int code = host_->histogram(host_->ctx, to_str(name), to_str(help), bounds.data(), bounds.size(), &metric,
                                error_sink(&error));
    if (code != 0) return status_of(code, std::move(error));
    return Histogram(host_, metric);
  }

  // The node's clock in ms (wall: since the Unix epoch); nullopt without one.
  [[nodiscard]] std::optional<std::int64_t> wall_ms() const noexcept {
    if (!has_clock()) return std::nullopt;
    return host_->wall_ms(host_->ctx);
  }
  [[nodiscard]] std::optional<std::int64_t> monotonic_ms() const noexcept {
    if (!has_clock()) return std::nullopt;
    return host_->monotonic_ms(host_->ctx);
  }

 private:
  // Whether the kernel's table holds the entry at `offset` (and it is set).
  [[nodiscard]] bool covers(std::size_t offset, std::size_t size) const noexcept {
    return host_ != nullptr && host_->struct_size >= offset + size;
  }
  static gibkit_str to_str(std::string_view s) noexcept { return gibkit_str{s.data(), s.size()}; }
  static gibkit_sink error_sink(std::string* out) noexcept {
    return gibkit_sink{out, [](void* ctx, const char* data, size_t size) noexcept {
                         static_cast<std::string*>(ctx)->append(data, size);
                       }};
  }
  static Status status_of(int code, std::string message) {
    if (code < 0 || code > static_cast<int>(StatusCode::kInternal)) return internal_error(std::move(message));
    return Status(static_cast<StatusCode>(code), std::move(message));
  }

  const gibkit_host* host_ = nullptr;
};

namespace plugin_detail {

// The host attached to this shared library. Hidden explicitly (not only by
// gibkit_add_plugin's default), so that even a plugin built with default
// visibility keeps its own slot rather than sharing one process-wide
// (a default-visibility inline variable would be a unique symbol).
[[gnu::visibility("hidden")]] inline std::atomic<const gibkit_host*>& host_slot() noexcept {
  static std::atomic<const gibkit_host*> slot{nullptr};
  return slot;
}

// The descriptor's attach_host (GIBKIT_PLUGIN sets it).
inline void attach_host(const gibkit_host* host) noexcept { host_slot().store(host, std::memory_order_release); }

}  // namespace plugin_detail

// The host the kernel attached to this plugin; an empty Host before that,
// under a kernel before SDK 1.3, or outside a kernel.
inline Host host() noexcept { return Host(plugin_detail::host_slot().load(std::memory_order_acquire)); }

}  // namespace gibkit
