// File: gibkit/log/log.h
//
// Structured, leveled logs: one logfmt line per event on stderr,
//
//   ts=2026-11-26T21:00:00.123Z level=info event=sync.done saga=4F2A sent=12
//
// so that lines are both readable and machine-parsable (grep, awk, any
// logfmt reader). `event` is a stable dotted name (what happened); the
// fields carry the details. Values with spaces, quotes, '=' or control
// characters are double-quoted with \" \\ \n \r \t escapes; empty values
// are written "".
//
//   log::set_level(log::Level::kDebug);          // once, from --log-level
//   log::info("sync.done", {{"saga", id}, {"sent", n}});
//
// The level is process-wide. Writing is thread-safe: each line is formatted
// first and written whole under a lock, so lines from several threads never
// interleave.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "gibkit/status.h"

namespace gibkit::log {

// In order of severity; a level shows itself and everything more severe.
enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

[[nodiscard]] std::string_view level_name(Level level) noexcept;
// "error", "warn", "info" or "debug"; kInvalidArgument otherwise.
[[nodiscard]] Result<Level> parse_level(std::string_view name);

// The process-wide threshold; kInfo until set.
void set_level(Level level) noexcept;
[[nodiscard]] Level level() noexcept;
[[nodiscard]] bool enabled(Level level) noexcept;

// One key=value pair. Numbers and booleans are written as such.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <typename Number>
    requires(std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool>)
  Field(std::string_view k, Number v) : key(k) {
    if constexpr (std::is_integral_v<Number>) {
      value = std::to_string(v);
    } else {
      value = format_fraction(static_cast<double>(v));
    }
  }

  std::string_view key;
  std::string value;

 private:
  static std::string format_fraction(double v);  // shortest round-trip form
};

using Fields = std::initializer_list<Field>;

// The line (without the newline) an event becomes at `ms_since_epoch`.
[[nodiscard]] std::string format_line(std::int64_t ms_since_epoch, Level level, std::string_view event,
                                      Fields fields);

// The same for fields gathered at run time (a plugin's, through the host).
[[nodiscard]] std::string format_line_fields(std::int64_t ms_since_epoch, Level level, std::string_view event,
                                             std::span<const Field> fields);

// Writes the event if `level` is enabled.
void write(Level level, std::string_view event, Fields fields = {});
void write_fields(Level level, std::string_view event, std::span<const Field> fields);
inline void error(std::string_view event, Fields fields = {}) { write(Level::kError, event, fields); }
inline void warn(std::string_view event, Fields fields = {}) { write(Level::kWarn, event, fields); }
inline void info(std::string_view event, Fields fields = {}) { write(Level::kInfo, event, fields); }
inline void debug(std::string_view event, Fields fields = {}) { write(Level::kDebug, event, fields); }

// Where lines go (default: stderr). Tests capture lines with it; an empty
// function restores stderr. The sink is called under the write lock.
using Sink = std::function<void(std::string_view line)>;
void set_sink(Sink sink);

}  // namespace gibkit::log
