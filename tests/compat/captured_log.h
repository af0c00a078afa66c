// Private to tests/compat: every line gibd's logger writes while one of these
// lives (log::set_sink), for tests that assert what plugins logged.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "gibkit/log/log.h"

namespace gibkit::testing {

class CapturedLog {
 public:
  CapturedLog() {
    log::set_sink([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() { log::set_sink({}); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

  // The one line holding `needle`, or "" (and a failure) if not exactly one.
  std::string line_with(const std::string& needle) {
    std::vector<std::string> found;
    for (const std::string& line : lines()) {
      if (line.find(needle) != std::string::npos) found.push_back(line);
    }
    EXPECT_EQ(found.size(), 1u) << "lines with '" << needle << "'";
    return found.size() == 1 ? found[0] : "";
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace gibkit::testing
