// The host services a plugin receives (SDK 1.3): the C table gibkit_host
// over the kernel's log, a plugin metrics registry and a replaceable clock.
#include "gibkit/kernel/plugin/host_services.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "gibkit/log/log.h"
#include "gibkit/plugin/abi_support.h"

// plugin_abi.h spells the log levels for C plugins; they are gibkit::log's.
static_assert(GIBKIT_LOG_ERROR == static_cast<int>(gibkit::log::Level::kError));
static_assert(GIBKIT_LOG_WARN == static_cast<int>(gibkit::log::Level::kWarn));
static_assert(GIBKIT_LOG_INFO == static_cast<int>(gibkit::log::Level::kInfo));
static_assert(GIBKIT_LOG_DEBUG == static_cast<int>(gibkit::log::Level::kDebug));

// One registered series (the opaque handle of plugin_abi.h). Counters add
// under the series' own lock, like histograms: plugin metrics count events
// (batches, files), not bytes in a hot loop.
struct gibkit_metric {
  bool histogram = false;
  std::vector<double> bounds;
  std::mutex mutex;
  double value = 0;                    // counter
  std::vector<std::uint64_t> buckets;  // histogram, per bucket (not cumulative), +Inf last
  double sum = 0;
};

namespace gibkit::kernel {
namespace {

constexpr std::size_t kMaxBounds = 64;

struct Family {
  std::string help;
  bool histogram = false;
  std::map<std::string, std::unique_ptr<gibkit_metric>, std::less<>> series;  // by plugin
};

// What a plugin's host ctx points to.
struct PluginContext {
  std::string plugin;
  gibkit_host table{};
};

// Never destroyed: plugins keep their host and metrics until exit, and
// their code may still run during static destruction.
struct Registry {
  std::mutex mutex;
  std::deque<PluginContext> contexts;                   // stable addresses
  std::map<std::string, Family, std::less<>> families;  // by exposed name
  std::mutex clock_mutex;
  PluginClock clock;
};

Registry& registry() {
  static Registry* instance = new Registry();
  return *instance;
}

const std::string& plugin_of(void* ctx) { return static_cast<PluginContext*>(ctx)->plugin; }

log::Level to_level(int level) {
  return static_cast<log::Level>(std::clamp(level, int{GIBKIT_LOG_ERROR}, int{GIBKIT_LOG_DEBUG}));
}

int log_enabled(void*, int level) { return log::enabled(to_level(level)) ? 1 : 0; }

// A key as logfmt needs it (no '=', space or quote); the line's own keys
// (ts, level, event, plugin) taken by a plugin get a '_' so they are never
// written twice.
std::string field_key(std::string_view key) {
  std::string out;
  for (char c : key) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                       c == '.' || c == '-';
    out += plain ? c : '_';
  }
  if (out.empty() || out == "ts" || out == "level" || out == "event" || out == "plugin") out += '_';
  return out;
}

void log_line(void* ctx, int level, gibkit_str event, const gibkit_log_field* fields, size_t field_count) {
  try {
    const log::Level lvl = to_level(level);
    if (!log::enabled(lvl)) return;
    std::vector<std::string> keys;
    keys.reserve(field_count);
    for (size_t i = 0; i < field_count; ++i) keys.push_back(field_key(abi::to_view(fields[i].key)));
    std::vector<log::Field> out;
    out.reserve(field_count + 1);
    out.emplace_back("plugin", plugin_of(ctx));
    for (size_t i = 0; i < field_count; ++i) out.emplace_back(keys[i], abi::to_view(fields[i].value));
    std::string_view name = abi::to_view(event);
    log::write_fields(lvl, name.empty() ? std::string_view("plugin.event") : name, out);
  } catch (...) {
    // Out of memory: the line is lost; nothing unwinds into the plugin.
  }
}

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Finds or makes the series of `ctx`'s plugin in the family `name`.
Status register_metric(void* ctx, gibkit_str name_str, gibkit_str help, bool histogram, std::vector<double> bounds,
                       gibkit_metric** out) {
  const std::string_view name = abi::to_view(name_str);
  const std::string& plugin = plugin_of(ctx);
  const std::string where = "plugin '" + plugin + "' metric '" + std::string(name) + "'";
  if (!valid_metric_name(name)) return invalid_argument(where + ": a name matches [a-zA-Z_:][a-zA-Z0-9_:]*");
  if (histogram) {
    if (bounds.empty() || bounds.size() > kMaxBounds) {
      return invalid_argument(where + ": a histogram has 1 to " + std::to_string(kMaxBounds) + " bucket bounds");
    }
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        return invalid_argument(where + ": bucket bounds must be finite and strictly increasing");
      }
    }
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const std::string exposed = "gibkit_plugin_" + std::string(name);
  auto [it, made] = r.families.try_emplace(exposed);
  Family& family = it->second;
  if (made) {
    family.help = std::string(abi::to_view(help));
    family.histogram = histogram;
  } else if (family.histogram != histogram) {
    return already_exists(where + " is already a " + (family.histogram ? "histogram" : "counter"));
  }
  auto series = family.series.find(plugin);
  if (series == family.series.end()) {
    auto metric = std::make_unique<gibkit_metric>();
    metric->histogram = histogram;
    metric->buckets.assign(histogram ? bounds.size() + 1 : 0, 0);
    metric->bounds = std::move(bounds);
    series = family.series.emplace(plugin, std::move(metric)).first;
  } else if (series->second->bounds != bounds) {
    return already_exists(where + " is already a histogram with other bucket bounds");
  }
  *out = series->second.get();
  return Status();
}

int counter(void* ctx, gibkit_str name, gibkit_str help, gibkit_metric** out, gibkit_sink error) {
  return abi::guarded(error, [&] { return register_metric(ctx, name, help, false, {}, out); });
}

int histogram(void* ctx, gibkit_str name, gibkit_str help, const double* bounds, size_t bound_count,
              gibkit_metric** out, gibkit_sink error) {
  return abi::guarded(error, [&] {
    std::vector<double> b;
    if (bounds != nullptr && bound_count <= kMaxBounds) b.assign(bounds, bounds + bound_count);
    return register_metric(ctx, name, help, true, std::move(b), out);
  });
}

// A negative, NaN or infinite amount would make the counter meaningless; dropped.
void counter_add(void*, gibkit_metric* metric, double amount) {
  if (metric == nullptr || metric->histogram || !(amount >= 0) || !std::isfinite(amount)) return;
  std::lock_guard lock(metric->mutex);
  metric->value += amount;
}

void histogram_observe(void*, gibkit_metric* metric, double value) {
  if (metric == nullptr || !metric->histogram || std::isnan(value)) return;
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(metric->bounds.begin(), metric->bounds.end(), value) - metric->bounds.begin());
  std::lock_guard lock(metric->mutex);
  ++metric->buckets[bucket];
  metric->sum += value;
}

template <typename Clock>
std::int64_t ms_of() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

std::int64_t wall_ms(void*) {
  Registry& r = registry();
  std::lock_guard lock(r.clock_mutex);
  return r.clock.wall_ms ? r.clock.wall_ms() : ms_of<std::chrono::system_clock>();
}

std::int64_t monotonic_ms(void*) {
  Registry& r = registry();
  std::lock_guard lock(r.clock_mutex);
  return r.clock.monotonic_ms ? r.clock.monotonic_ms() : ms_of<std::chrono::steady_clock>();
}

}  // namespace

const gibkit_host* plugin_host(std::string_view plugin) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (PluginContext& c : r.contexts) {
    if (c.plugin == plugin) return &c.table;
  }
  PluginContext& c = r.contexts.emplace_back();
  c.plugin = std::string(plugin);
  c.table = gibkit_host{
      .struct_size = sizeof(gibkit_host),
      .ctx = &c,
      .log_enabled = &log_enabled,
      .log = &log_line,
      .counter = &counter,
      .counter_add = &counter_add,
      .histogram = &histogram,
      .histogram_observe = &histogram_observe,
      .wall_ms = &wall_ms,
      .monotonic_ms = &monotonic_ms,
  };
  return &c.table;
}

void set_plugin_clock(PluginClock clock) {
  Registry& r = registry();
  std::lock_guard lock(r.clock_mutex);
  r.clock = std::move(clock);
}

std::vector<PluginMetricFamily> plugin_metrics() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<PluginMetricFamily> out;
  for (const auto& [name, family] : r.families) {
    PluginMetricFamily f;
    f.name = name;
    f.help = family.help;
    f.histogram = family.histogram;
    for (const auto& [plugin, metric] : family.series) {
      PluginMetricSeries s;
      s.plugin = plugin;
      s.bounds = metric->bounds;
      std::lock_guard series_lock(metric->mutex);
      s.value = metric->value;
      s.sum = metric->sum;
      std::uint64_t total = 0;
      for (std::uint64_t n : metric->buckets) s.cumulative_counts.push_back(total += n);
      f.series.push_back(std::move(s));
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace gibkit::kernel
