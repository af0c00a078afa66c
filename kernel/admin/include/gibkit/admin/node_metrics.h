// File: gibkit/admin/node_metrics.h
//
// What a running node counts, in the Prometheus text format
// (docs/operations.md lists every metric). Thread safe: sagas of different
// peers report at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace gibkit::admin {

class NodeMetrics {
 public:
  NodeMetrics();
  ~NodeMetrics();
  NodeMetrics(const NodeMetrics&) = delete;
  NodeMetrics& operator=(const NodeMetrics&) = delete;

  // One saga that ended. `role` is "receiver" or "sender"; `outcome`
  // "committed", "aborted" or "failed"; records and bytes as the saga moved
  // them into (`in`) and out of this node.
  struct SagaEnd {
    std::string_view role;
    std::string_view outcome;
    std::size_t records_in = 0;
    std::size_t records_out = 0;
    std::size_t bytes_in = 0;
    std::size_t bytes_out = 0;
    double seconds = 0;
  };
  void saga_ended(const SagaEnd& end);
  // A saga the receiver accepted (Init authenticated).
  void saga_accepted();
  // A request refused, by its error code name ("permission_denied", ...).
  void rejected(std::string_view code);
  // Receiver sagas open now (between Init and Commit or Abort).
  void set_open_sagas(std::size_t open);
  // The receiver authenticated a signed turn in `seconds` (SagaEvent::verify_us).
  void turn_verified(double seconds);
  // gib commands running in gibd's local API now (queued ones are refused).
  void set_local_api_running(std::size_t running);

  // Every metric, in the Prometheus text exposition format.
  [[nodiscard]] std::string text() const;

 private:
  struct Families;
  std::unique_ptr<Families> families_;
};

}  // namespace gibkit::admin
