#include "gibkit/admin/node_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <vector>

#include "gibkit/kernel/plugin/host_services.h"

namespace gibkit::admin {

// Label values are few and known (roles, outcomes, directions, status code
// names), so every series is created on first use by prometheus-cpp's Add,
// which is itself thread safe.
struct NodeMetrics::Families {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& sagas =
      prometheus::BuildCounter().Name("gibkit_sagas_total").Help("Sagas that ended, by role and outcome").Register(*registry);
  prometheus::Family<prometheus::Counter>& accepted =
      prometheus::BuildCounter().Name("gibkit_sagas_accepted_total").Help("Sagas whose Init this node accepted").Register(*registry);
  prometheus::Family<prometheus::Counter>& rejections = prometheus::BuildCounter()
                                                            .Name("gibkit_saga_rejections_total")
                                                            .Help("Requests this node refused, by error code")
                                                            .Register(*registry);
  prometheus::Family<prometheus::Counter>& records =
      prometheus::BuildCounter().Name("gibkit_records_total").Help("Payload records synced, by direction").Register(*registry);
  prometheus::Family<prometheus::Counter>& bytes =
      prometheus::BuildCounter().Name("gibkit_sync_bytes_total").Help("Saga message bytes, by direction").Register(*registry);
  prometheus::Family<prometheus::Histogram>& duration = prometheus::BuildHistogram()
                                                            .Name("gibkit_saga_duration_seconds")
                                                            .Help("Time from Init to the saga's end, by role")
                                                            .Register(*registry);
  prometheus::Family<prometheus::Gauge>& open =
      prometheus::BuildGauge().Name("gibkit_receiver_open_sagas").Help("Receiver sagas between Init and their end").Register(*registry);
  prometheus::Family<prometheus::Histogram>& verify = prometheus::BuildHistogram()
                                                          .Name("gibkit_turn_verify_seconds")
                                                          .Help("Time the receiver took to authenticate a signed turn")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& local_api = prometheus::BuildGauge()
                                                         .Name("gibkit_local_api_commands_running")
                                                         .Help("gib commands running in gibd's local API")
                                                         .Register(*registry);
};

namespace {
// 10 ms to ~3 min, doubling: a one-record sync to a large first sync.
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = [] {
    prometheus::Histogram::BucketBoundaries bounds;
    for (double b = 0.01; b < 200; b *= 2) bounds.push_back(b);
    return bounds;
  }();
  return kBuckets;
}
// 50 us to ~3 s, doubling: one Ed25519 check to a slow signer plugin.
const prometheus::Histogram::BucketBoundaries& verify_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = [] {
    prometheus::Histogram::BucketBoundaries bounds;
    for (double b = 0.00005; b < 4; b *= 2) bounds.push_back(b);
    return bounds;
  }();
  return kBuckets;
}
}  // namespace

NodeMetrics::NodeMetrics() : families_(std::make_unique<Families>()) {
  families_->open.Add({}).Set(0);
  families_->local_api.Add({}).Set(0);
  (void)families_->verify.Add({}, verify_buckets());
}

NodeMetrics::~NodeMetrics() = default;

void NodeMetrics::saga_ended(const SagaEnd& end) {
  const std::string role(end.role);
  families_->sagas.Add({{"role", role}, {"outcome", std::string(end.outcome)}}).Increment();
  families_->records.Add({{"direction", "in"}}).Increment(static_cast<double>(end.records_in));
  families_->records.Add({{"direction", "out"}}).Increment(static_cast<double>(end.records_out));
  families_->bytes.Add({{"direction", "in"}}).Increment(static_cast<double>(end.bytes_in));
  families_->bytes.Add({{"direction", "out"}}).Increment(static_cast<double>(end.bytes_out));
  families_->duration.Add({{"role", role}}, duration_buckets()).Observe(end.seconds);
}

void NodeMetrics::saga_accepted() { families_->accepted.Add({}).Increment(); }

void NodeMetrics::rejected(std::string_view code) {
  families_->rejections.Add({{"code", std::string(code)}}).Increment();
}

void NodeMetrics::set_open_sagas(std::size_t open) { families_->open.Add({}).Set(static_cast<double>(open)); }

void NodeMetrics::turn_verified(double seconds) { families_->verify.Add({}, verify_buckets()).Observe(seconds); }

void NodeMetrics::set_local_api_running(std::size_t running) {
  families_->local_api.Add({}).Set(static_cast<double>(running));
}

namespace {
// What plugins count through their host (gibkit/kernel/plugin/host_services.h),
// as Prometheus families: gibkit_plugin_<name>{plugin="<plugin>"}.
std::vector<prometheus::MetricFamily> plugin_families() {
  std::vector<prometheus::MetricFamily> out;
  for (const kernel::PluginMetricFamily& family : kernel::plugin_metrics()) {
    prometheus::MetricFamily f;
    f.name = family.name;
    f.help = family.help;
    f.type = family.histogram ? prometheus::MetricType::Histogram : prometheus::MetricType::Counter;
    for (const kernel::PluginMetricSeries& series : family.series) {
      prometheus::ClientMetric m;
      m.label.push_back({"plugin", series.plugin});
      m.counter.value = series.value;
      for (std::size_t i = 0; i < series.cumulative_counts.size(); ++i) {
        const double bound =
            i < series.bounds.size() ? series.bounds[i] : std::numeric_limits<double>::infinity();
        m.histogram.bucket.push_back({series.cumulative_counts[i], bound});
      }
      m.histogram.sample_count = series.cumulative_counts.empty() ? 0 : series.cumulative_counts.back();
      m.histogram.sample_sum = series.sum;
      f.metric.push_back(std::move(m));
    }
    out.push_back(std::move(f));
  }
  return out;
}
}  // namespace

std::string NodeMetrics::text() const {
  std::vector<prometheus::MetricFamily> families = families_->registry->Collect();
  for (prometheus::MetricFamily& f : plugin_families()) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace gibkit::admin
