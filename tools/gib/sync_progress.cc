#include "sync_progress.h"

#include <cstdio>
#include <ostream>

#include "gibkit/log/log.h"

namespace gibkit::tools {

std::string format_bytes(std::size_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

void SyncProgressDisplay::update(const saga::SyncProgress& progress) {
  const bool new_leg = legs_.empty() || legs_.back() != progress.leg;
  if (new_leg) legs_.push_back(progress.leg);
  if (terminal_) {
    err_ << "\r\033[Ksync: " << progress.leg << "  sent " << progress.records_sent << '/' << progress.records_to_send
         << " records  received " << progress.records_received << "  out " << format_bytes(progress.bytes_sent)
         << "  in " << format_bytes(progress.bytes_received) << std::flush;
    drawn_ = true;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!new_leg && now - last_line_ < std::chrono::seconds(1)) return;
  last_line_ = now;
  log::info("sync.progress", {{"leg", progress.leg},
                              {"sent", progress.records_sent},
                              {"to_send", progress.records_to_send},
                              {"received", progress.records_received},
                              {"bytes_out", progress.bytes_sent},
                              {"bytes_in", progress.bytes_received}});
}

void SyncProgressDisplay::finish() {
  if (drawn_) err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace gibkit::tools
