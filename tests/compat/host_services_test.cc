// Host services (SDK 1.3, gibkit_host): what the example plugins send
// through their host lands in the node's log with the plugin's name and in
// the node's metrics, timed by the node's clock (replaced here, so nothing
// sleeps); and a plugin given no host, or a host table shorter than its
// own SDK's, sees the missing services as absent and works without them.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "gibkit/kernel/plugin/host_services.h"
#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/log/log.h"
#include "captured_log.h"
#include "gibkit/plugin_abi.h"
#include "support/temp_dir.h"

namespace gibkit {
namespace {

using kernel::LoadedPlugin;
using gibkit::testing::CapturedLog;

// The series of `plugin` in the family exposed as `name`; an empty one
// (never registered) otherwise. Metrics are process-wide, so tests compare
// before and after.
kernel::PluginMetricSeries series(const std::string& name, const std::string& plugin) {
  for (const kernel::PluginMetricFamily& family : kernel::plugin_metrics()) {
    if (family.name != name) continue;
    for (const kernel::PluginMetricSeries& s : family.series) {
      if (s.plugin == plugin) return s;
    }
  }
  return {};
}

json::Object files_config(const std::filesystem::path& dir) {
  json::Object config;
  config.set("path", json::Value(dir.string()));
  config.set("create_if_missing", json::Value(true));
  return config;
}

WriteBatch one_record(const std::string& ib) {
  WriteBatch batch;
  batch.puts.push_back({ib + "^gib", R"({"ib":")" + ib + R"(","gib":"gib"})"});
  return batch;
}

// A clock that moves only when read: each monotonic read is 30 ms after
// the one before.
class SteppingClock {
 public:
  SteppingClock() {
    kernel::set_plugin_clock({.wall_ms = [] { return std::int64_t{1'800'000'000'000}; },
                              .monotonic_ms = [this] {
                                std::lock_guard lock(mutex_);
                                return now_ += 30;
                              }});
  }
  ~SteppingClock() { kernel::set_plugin_clock({}); }
  SteppingClock(const SteppingClock&) = delete;
  SteppingClock& operator=(const SteppingClock&) = delete;

 private:
  std::mutex mutex_;
  std::int64_t now_ = 0;
};

TEST(HostServices, CPluginLogsToTheNodeLogWithItsName) {
  CapturedLog log;
  auto plugin = LoadedPlugin::load(std::filesystem::path(GIBKIT_PLUGIN_DIR) / "libgibkit-space-files-c.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  // The build's own SDK (host services since 1.3).
  EXPECT_EQ((*plugin)->sdk_version(), std::to_string(GIBKIT_SDK_VERSION_MAJOR) + "." + std::to_string(GIBKIT_SDK_VERSION_MINOR));
  testing::TempDir dir;
  auto space = (*plugin)->create_space(files_config(dir.path() / "db"));
  ASSERT_TRUE(space.ok()) << space.status().to_string();
  const std::string line = log.line_with("event=space_files.opened");
  EXPECT_NE(line.find(" level=info event=space_files.opened plugin=space-files-c path=" + (dir.path() / "db").string() +
                      " create_if_missing=true"),
            std::string::npos)
      << line;
}

TEST(HostServices, CPluginCountsAndTimesBatchesWithTheNodeClock) {
  SteppingClock clock;
  auto plugin = LoadedPlugin::load(std::filesystem::path(GIBKIT_PLUGIN_DIR) / "libgibkit-space-files-c.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  testing::TempDir dir;
  auto space = (*plugin)->create_space(files_config(dir.path() / "db"));
  ASSERT_TRUE(space.ok()) << space.status().to_string();
  const auto batches_before = series("gibkit_plugin_space_files_batches_total", "space-files-c");
  const auto seconds_before = series("gibkit_plugin_space_files_batch_seconds", "space-files-c");
  ASSERT_TRUE((*space)->write(one_record("a")).ok());
  ASSERT_TRUE((*space)->write(one_record("b")).ok());
  WriteBatch empty_timeline;
  empty_timeline.heads.push_back({"", "a^gib", std::nullopt});
  ASSERT_FALSE((*space)->write(empty_timeline).ok());  // refused: not counted

  const auto batches = series("gibkit_plugin_space_files_batches_total", "space-files-c");
  EXPECT_EQ(batches.value - batches_before.value, 2.0);
  const auto seconds = series("gibkit_plugin_space_files_batch_seconds", "space-files-c");
  // Bounds 0.001 0.005 0.025 0.1 0.5 2.5 (+Inf): each batch took one 30 ms
  // step of the node's clock, so both fall in the 0.1 bucket, not 0.025.
  ASSERT_EQ(seconds.bounds, (std::vector<double>{0.001, 0.005, 0.025, 0.1, 0.5, 2.5}));
  ASSERT_EQ(seconds.cumulative_counts.size(), 7u);
  auto delta = [&](size_t i) {
    return seconds.cumulative_counts[i] -
           (seconds_before.cumulative_counts.empty() ? 0 : seconds_before.cumulative_counts[i]);
  };
  EXPECT_EQ(delta(2), 0u);
  EXPECT_EQ(delta(3), 2u);
  EXPECT_EQ(delta(6), 2u);
  EXPECT_DOUBLE_EQ(seconds.sum - seconds_before.sum, 0.06);
  const gibkit_host* host = kernel::plugin_host("any");
  EXPECT_EQ(host->wall_ms(host->ctx), 1'800'000'000'000);
}

TEST(HostServices, CppPluginLogsAndCountsThroughGibkitHost) {
  CapturedLog log;
  auto plugin = LoadedPlugin::load(std::filesystem::path(GIBKIT_CAPPED_PLUGIN_DIR) / "libgibkit-space-capped.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().to_string();
  json::Object config;
  config.set("max_records", json::Value(1));
  config.set("label", json::Value("tiny"));
  auto space = (*plugin)->create_space(config);
  ASSERT_TRUE(space.ok()) << space.status().to_string();
  EXPECT_NE(log.line_with("event=space_capped.created").find(
                " level=info event=space_capped.created plugin=space-capped label=tiny max_records=1"),
            std::string::npos);

  const auto refused_before = series("gibkit_plugin_space_capped_refused_batches_total", "space-capped");
  WriteBatch two = one_record("a");
  two.puts.push_back(one_record("b").puts[0]);
  auto status = (*space)->write(two);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(log.line_with("event=space_capped.full")
                .find(" level=warn event=space_capped.full plugin=space-capped label=tiny records=2 max_records=1"),
            std::string::npos);
  EXPECT_EQ(series("gibkit_plugin_space_capped_refused_batches_total", "space-capped").value - refused_before.value,
            1.0);
}

// What a plugin sends through a host table of our own.
struct FakeHost {
  static std::vector<std::string>& events() {
    static std::vector<std::string> kEvents;
    return kEvents;
  }
  static int log_enabled(void*, int) { return 1; }
  static void log(void*, int, gibkit_str event, const gibkit_log_field*, size_t) {
    events().emplace_back(event.data, event.size);
  }
};

// The C plugin loaded on its own, as a kernel before 1.3 (no attach_host)
// or a 1.3 kernel with a shorter table would: a fresh copy of the library,
// so that its host slot is not the one the tests above filled.
class RawFilesPlugin {
 public:
  explicit RawFilesPlugin(const std::filesystem::path& dir) {
    const std::filesystem::path copy = dir / "libcopy-space-files-c.so";
    std::filesystem::copy_file(std::filesystem::path(GIBKIT_PLUGIN_DIR) / "libgibkit-space-files-c.so", copy);
    handle_ = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) return;
    auto entry = reinterpret_cast<gibkit_plugin_entry_fn>(dlsym(handle_, GIBKIT_PLUGIN_ENTRY_NAME));
    descriptor_ = entry != nullptr ? entry() : nullptr;
  }
  ~RawFilesPlugin() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  RawFilesPlugin(const RawFilesPlugin&) = delete;
  RawFilesPlugin& operator=(const RawFilesPlugin&) = delete;

  const gibkit_plugin_descriptor* descriptor() const { return descriptor_; }

  // Creates a space in `path`, writes one record, destroys it; the status.
  int create_and_write(const std::filesystem::path& path) const {
    const std::string config = R"({"path":")" + path.string() + R"(","create_if_missing":true})";
    gibkit_space space{nullptr, nullptr};
    gibkit_sink ignore{nullptr, [](void*, const char*, size_t) {}};
    int code = descriptor_->create_space(gibkit_str{config.data(), config.size()}, &space, ignore);
    if (code != 0) return code;
    const std::string address = "a^gib";
    const std::string text = R"({"ib":"a","gib":"gib"})";
    gibkit_record put{{address.data(), address.size()}, {text.data(), text.size()}};
    gibkit_write_batch batch{&put, 1, nullptr, 0, nullptr, 0};
    code = space.vtable->write(space.self, &batch, ignore);
    space.vtable->destroy(space.self);
    return code;
  }

 private:
  void* handle_ = nullptr;
  const gibkit_plugin_descriptor* descriptor_ = nullptr;
};

TEST(HostServices, PluginWithoutAHostWorksSilently) {
  testing::TempDir dir;
  RawFilesPlugin plugin(dir.path());
  ASSERT_NE(plugin.descriptor(), nullptr) << dlerror();
  ASSERT_NE(plugin.descriptor()->attach_host, nullptr);
  // A kernel before 1.3 never calls attach_host.
  EXPECT_EQ(plugin.create_and_write(dir.path() / "db"), 0);
}

TEST(HostServices, PluginSeesServicesBeyondTheHostTableAsAbsent) {
  testing::TempDir dir;
  RawFilesPlugin plugin(dir.path());
  ASSERT_NE(plugin.descriptor(), nullptr) << dlerror();
  // A host whose table ends after log: metrics and clock are absent (their
  // entries are null here, so a plugin that used them would crash).
  gibkit_host host{};
  host.struct_size = offsetof(gibkit_host, counter);
  host.log_enabled = &FakeHost::log_enabled;
  host.log = &FakeHost::log;
  FakeHost::events().clear();
  plugin.descriptor()->attach_host(&host);
  EXPECT_EQ(plugin.create_and_write(dir.path() / "db"), 0);
  EXPECT_EQ(FakeHost::events(), std::vector<std::string>{"space_files.opened"});
}

}  // namespace
}  // namespace gibkit
