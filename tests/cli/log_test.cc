#include "gibkit/log/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gibkit::log {
namespace {

// 2026-11-26T21:00:00.123Z
constexpr std::int64_t kSampleMs = 1795726800123;

class CapturedLog : public ::testing::Test {
 protected:
  void SetUp() override {
    set_sink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    set_sink({});
    set_level(Level::kInfo);
  }
  std::vector<std::string> lines_;  // written under the log's lock
};

TEST(LogFormat, LineIsLogfmtWithUtcMillisecondTimestamp) {
  EXPECT_EQ(format_line(kSampleMs, Level::kInfo, "sync.done", {{"saga", "4F2A"}, {"sent", 12}}),
            "ts=2026-11-26T21:00:00.123Z level=info event=sync.done saga=4F2A sent=12");
}

TEST(LogFormat, ValuesNeedingIt_AreQuotedAndEscaped) {
  EXPECT_EQ(format_line(kSampleMs, Level::kError, "x", {{"a", "two words"}, {"b", ""}, {"c", "k=v"}, {"d", "say \"hi\"\n"}}),
            "ts=2026-11-26T21:00:00.123Z level=error event=x a=\"two words\" b=\"\" c=\"k=v\" d=\"say \\\"hi\\\"\\n\"");
}

TEST(LogFormat, NumbersAndBooleansAreWrittenPlainly) {
  EXPECT_EQ(format_line(0, Level::kDebug, "n", {{"i", -3}, {"u", std::size_t{7}}, {"f", 0.5}, {"b", true}}),
            "ts=1970-01-01T00:00:00.000Z level=debug event=n i=-3 u=7 f=0.5 b=true");
}

TEST(LogLevel, ParsesTheFourNamesAndRejectsOthers) {
  EXPECT_EQ(*parse_level("error"), Level::kError);
  EXPECT_EQ(*parse_level("warn"), Level::kWarn);
  EXPECT_EQ(*parse_level("info"), Level::kInfo);
  EXPECT_EQ(*parse_level("debug"), Level::kDebug);
  Result<Level> bad = parse_level("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("verbose"), std::string::npos);
}

TEST_F(CapturedLog, LevelFiltersLessSevereEvents) {
  set_level(Level::kWarn);
  error("e");
  warn("w");
  info("i");
  debug("d");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[0].find("level=error event=e"), std::string::npos);
  EXPECT_NE(lines_[1].find("level=warn event=w"), std::string::npos);
  set_level(Level::kDebug);
  debug("d");
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_NE(lines_[2].find("level=debug event=d"), std::string::npos);
}

TEST_F(CapturedLog, LinesFromManyThreadsArriveWhole) {
  constexpr int kThreads = 8;
  constexpr int kLinesEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLinesEach; ++i) info("worker.line", {{"thread", t}, {"i", i}, {"text", "a b c"}});
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(lines_.size(), static_cast<std::size_t>(kThreads * kLinesEach));
  std::set<std::string> seen;
  for (const std::string& line : lines_) {
    const std::size_t at = line.find(" thread=");
    ASSERT_NE(at, std::string::npos) << line;
    EXPECT_TRUE(line.ends_with(" text=\"a b c\"")) << line;
    seen.insert(line.substr(at));
  }
  EXPECT_EQ(seen.size(), lines_.size());
}

}  // namespace
}  // namespace gibkit::log
