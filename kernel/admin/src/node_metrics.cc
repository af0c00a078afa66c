#include "gibkit/admin/node_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

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
}  // namespace

NodeMetrics::NodeMetrics() : families_(std::make_unique<Families>()) {
  families_->open.Add({}).Set(0);
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

std::string NodeMetrics::text() const {
  return prometheus::TextSerializer().Serialize(families_->registry->Collect());
}

}  // namespace gibkit::admin
