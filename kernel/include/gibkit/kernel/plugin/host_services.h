// File: gibkit/kernel/plugin/host_services.h
//
// The kernel's side of the host services a plugin receives (SDK 1.3,
// gibkit_host in plugin_abi.h): log lines in the node's logfmt log
// (gibkit/log/log.h) carrying the plugin's name, counters and histograms
// that the node's /metrics exposes, and the node's clock.
//
// A host table is made once per plugin name and never freed: a plugin may
// keep it (and the metrics it registered) until the process exits, and its
// library is never unloaded either (RTLD_NODELETE, loaded_plugin.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/plugin_abi.h"

namespace gibkit::kernel {

// The host table for the plugin named `plugin`; the same table every time
// for the same name. LoadedPlugin::load hands it to the plugin.
[[nodiscard]] const gibkit_host* plugin_host(std::string_view plugin);

// The clock plugins read through their host. Tests replace it so that
// plugin code that measures time is checked without sleeping; an empty
// function restores the system's (system_clock, steady_clock).
struct PluginClock {
  std::function<std::int64_t()> wall_ms;
  std::function<std::int64_t()> monotonic_ms;
};
void set_plugin_clock(PluginClock clock);

// The metrics plugins registered, as the node exposes them.
struct PluginMetricSeries {
  std::string plugin;                          // label plugin="<name>"
  double value = 0;                            // counters
  std::vector<double> bounds;                  // histograms: bucket upper bounds
  std::vector<std::uint64_t> cumulative_counts;  // per bound, then +Inf (bounds.size() + 1)
  double sum = 0;
};
struct PluginMetricFamily {
  std::string name;  // as exposed: gibkit_plugin_<the plugin's name for it>
  std::string help;
  bool histogram = false;
  std::vector<PluginMetricSeries> series;  // one per plugin, by plugin name
};
// A consistent copy of each series (families and series sorted by name).
[[nodiscard]] std::vector<PluginMetricFamily> plugin_metrics();

}  // namespace gibkit::kernel
