#include "gibkit/log/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "gibkit/json.h"

namespace gibkit::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

struct Output {
  std::mutex mutex;
  Sink sink;
};

Output& output() {
  static Output instance;
  return instance;
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void append_value(std::string& line, std::string_view value) {
  if (!needs_quotes(value)) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    switch (c) {
      case '"': line += "\\\""; break;
      case '\\': line += "\\\\"; break;
      case '\n': line += "\\n"; break;
      case '\r': line += "\\r"; break;
      case '\t': line += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          line += escaped;
        } else {
          line += c;
        }
    }
  }
  line += '"';
}

// RFC 3339 UTC with milliseconds: 2026-11-26T21:00:00.123Z.
std::string iso_timestamp(std::int64_t ms_since_epoch) {
  const std::time_t seconds = static_cast<std::time_t>(ms_since_epoch / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];  // sized for any int fields, though real dates take 24
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms_since_epoch % 1000));
  return text;
}

}  // namespace

std::string Field::format_fraction(double v) { return json::number_to_string(v); }

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::kError: return "error";
    case Level::kWarn: return "warn";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "unknown";
}

Result<Level> parse_level(std::string_view name) {
  for (Level level : {Level::kError, Level::kWarn, Level::kInfo, Level::kDebug}) {
    if (level_name(level) == name) return level;
  }
  return invalid_argument("unknown log level '" + std::string(name) + "' (expected error, warn, info or debug)");
}

void set_level(Level level) noexcept { g_level.store(level, std::memory_order_relaxed); }
Level level() noexcept { return g_level.load(std::memory_order_relaxed); }
bool enabled(Level level) noexcept { return static_cast<int>(level) <= static_cast<int>(log::level()); }

std::string format_line(std::int64_t ms_since_epoch, Level level, std::string_view event, Fields fields) {
  return format_line_fields(ms_since_epoch, level, event, std::span<const Field>(fields.begin(), fields.size()));
}

std::string format_line_fields(std::int64_t ms_since_epoch, Level level, std::string_view event,
                               std::span<const Field> fields) {
  std::string line = "ts=" + iso_timestamp(ms_since_epoch) + " level=" + std::string(level_name(level)) + " event=";
  append_value(line, event);
  for (const Field& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    append_value(line, field.value);
  }
  return line;
}

void write(Level level, std::string_view event, Fields fields) {
  write_fields(level, event, std::span<const Field>(fields.begin(), fields.size()));
}

void write_fields(Level level, std::string_view event, std::span<const Field> fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  std::string line = format_line_fields(now.count(), level, event, fields);
  Output& out = output();
  std::lock_guard lock(out.mutex);
  if (out.sink) {
    out.sink(line);
    return;
  }
  line += '\n';
  // One fwrite per line: stderr is unbuffered, so the line reaches the
  // terminal whole even when other code writes to stderr too.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void set_sink(Sink sink) {
  Output& out = output();
  std::lock_guard lock(out.mutex);
  out.sink = std::move(sink);
}

}  // namespace gibkit::log
