// How `gib sync` shows a running saga on stderr: on a terminal one line
// redrawn in place; otherwise (logs, CI) a structured log line per leg and
// at most one per second in between, so long syncs stay visible without
// flooding the log.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "gibkit/saga/sync_service.h"

namespace gibkit::tools {

// "512 B", "4.0 KiB", "1.2 MiB".
[[nodiscard]] std::string format_bytes(std::size_t bytes);

class SyncProgressDisplay {
 public:
  SyncProgressDisplay(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}

  // The saga's progress callback.
  void update(const saga::SyncProgress& progress);
  // Clears the redrawn line so the summary starts on a clean line.
  void finish();

  // The legs seen, in order (consecutive repeats collapsed).
  [[nodiscard]] const std::vector<std::string>& legs() const noexcept { return legs_; }

 private:
  std::ostream& err_;
  bool terminal_;
  bool drawn_ = false;
  std::vector<std::string> legs_;
  std::chrono::steady_clock::time_point last_line_{};
};

}  // namespace gibkit::tools
