// gibkit::Host (gibkit/host.h), the C++ face of a plugin's host services,
// over host tables of our own: what it passes through, what it makes of a
// refusal, and which services it sees in a table shorter than its own SDK's
// (struct_size growth) or with no table at all.
#include "gibkit/host.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace gibkit {
namespace {

// Records what the plugin side sent.
struct Recorder {
  std::vector<std::string> lines;
  std::vector<double> counted;
  std::vector<double> observed;
  gibkit_metric* metric = reinterpret_cast<gibkit_metric*>(&observed);  // any non-null handle
  int enabled_up_to = GIBKIT_LOG_INFO;
};

Recorder& recorder(void* ctx) { return *static_cast<Recorder*>(ctx); }

gibkit_host full_host(Recorder* r) {
  gibkit_host host{};
  host.struct_size = sizeof(gibkit_host);
  host.ctx = r;
  host.log_enabled = [](void* ctx, int level) { return level <= recorder(ctx).enabled_up_to ? 1 : 0; };
  host.log = [](void* ctx, int level, gibkit_str event, const gibkit_log_field* fields, size_t count) {
    std::string line = std::to_string(level) + " " + std::string(event.data, event.size);
    for (size_t i = 0; i < count; ++i) {
      line += " " + std::string(fields[i].key.data, fields[i].key.size) + "=" +
              std::string(fields[i].value.data, fields[i].value.size);
    }
    recorder(ctx).lines.push_back(line);
  };
  host.counter = [](void* ctx, gibkit_str name, gibkit_str, gibkit_metric** out, gibkit_sink error) {
    if (std::string(name.data, name.size) == "bad name") {
      const std::string message = "metric 'bad name': a name matches [a-zA-Z_:][a-zA-Z0-9_:]*";
      error.write(error.ctx, message.data(), message.size());
      return int{GIBKIT_STATUS_INVALID_ARGUMENT};
    }
    *out = recorder(ctx).metric;
    return 0;
  };
  host.counter_add = [](void* ctx, gibkit_metric*, double amount) { recorder(ctx).counted.push_back(amount); };
  host.histogram = [](void* ctx, gibkit_str, gibkit_str, const double*, size_t, gibkit_metric** out, gibkit_sink) {
    *out = recorder(ctx).metric;
    return 0;
  };
  host.histogram_observe = [](void* ctx, gibkit_metric*, double v) { recorder(ctx).observed.push_back(v); };
  host.wall_ms = [](void*) { return std::int64_t{1'000}; };
  host.monotonic_ms = [](void*) { return std::int64_t{42}; };
  return host;
}

TEST(Host, PassesLinesWithTypedFieldsAndHonoursTheLevel) {
  Recorder r;
  const gibkit_host table = full_host(&r);
  const Host host(&table);
  ASSERT_TRUE(host.has_log());
  host.log(LogLevel::kInfo, "space.opened", {{"path", "/d"}, {"records", 12}, {"fresh", true}});
  host.log(LogLevel::kDebug, "space.detail", {{"x", "y"}});  // above the host's threshold
  EXPECT_EQ(r.lines, std::vector<std::string>{"2 space.opened path=/d records=12 fresh=true"});
  EXPECT_TRUE(host.log_enabled(LogLevel::kWarn));
  EXPECT_FALSE(host.log_enabled(LogLevel::kDebug));
}

TEST(Host, MetricsReachTheHostAndARefusalIsAStatus) {
  Recorder r;
  const gibkit_host table = full_host(&r);
  const Host host(&table);
  Result<Counter> counter = host.counter("mine_total", "help");
  ASSERT_TRUE(counter.ok());
  EXPECT_TRUE(counter->live());
  counter->add();
  counter->add(3);
  EXPECT_EQ(r.counted, (std::vector<double>{1, 3}));
  Result<Histogram> histogram = host.histogram("mine_seconds", "help", {0.1, 1});
  ASSERT_TRUE(histogram.ok());
  histogram->observe(0.5);
  EXPECT_EQ(r.observed, std::vector<double>{0.5});

  Result<Counter> refused = host.counter("bad name", "help");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("metric 'bad name'"), std::string::npos);
  EXPECT_EQ(host.wall_ms(), std::optional<std::int64_t>(1'000));
  EXPECT_EQ(host.monotonic_ms(), std::optional<std::int64_t>(42));
}

TEST(Host, WithoutAHostEveryServiceIsAbsentAndHarmless) {
  const Host host;  // a kernel before SDK 1.3, or no kernel at all
  EXPECT_FALSE(host.has_log());
  EXPECT_FALSE(host.has_metrics());
  EXPECT_FALSE(host.has_clock());
  host.log(LogLevel::kError, "nothing");
  Result<Counter> counter = host.counter("mine_total", "help");
  ASSERT_TRUE(counter.ok());
  EXPECT_FALSE(counter->live());
  counter->add();
  Result<Histogram> histogram = host.histogram("mine_seconds", "help", {1});
  ASSERT_TRUE(histogram.ok());
  EXPECT_FALSE(histogram->live());
  EXPECT_EQ(host.wall_ms(), std::nullopt);
  EXPECT_EQ(host.monotonic_ms(), std::nullopt);
}

TEST(Host, SeesOnlyTheServicesTheTableCovers) {
  Recorder r;
  gibkit_host table = full_host(&r);
  // A host whose table ends after log (a later SDK added the rest).
  table.struct_size = offsetof(gibkit_host, counter);
  const Host host(&table);
  EXPECT_TRUE(host.has_log());
  EXPECT_FALSE(host.has_metrics());
  EXPECT_FALSE(host.has_clock());
  Result<Counter> counter = host.counter("mine_total", "help");
  ASSERT_TRUE(counter.ok());
  EXPECT_FALSE(counter->live());
  EXPECT_EQ(host.monotonic_ms(), std::nullopt);
  host.log(LogLevel::kInfo, "still.logs");
  EXPECT_EQ(r.lines, std::vector<std::string>{"2 still.logs"});
}

TEST(Host, GibkitHostIsEmptyUntilTheKernelAttachesOne) {
  EXPECT_FALSE(host().has_log());
  Recorder r;
  const gibkit_host table = full_host(&r);
  plugin_detail::attach_host(&table);
  EXPECT_TRUE(host().has_log());
  host().log(LogLevel::kWarn, "attached");
  plugin_detail::attach_host(nullptr);
  EXPECT_FALSE(host().has_log());
  EXPECT_EQ(r.lines, std::vector<std::string>{"1 attached"});
}

}  // namespace
}  // namespace gibkit
