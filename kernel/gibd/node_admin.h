// gibd's admin side: the node's saga events and pushes counted in
// NodeMetrics, served with /healthz on the `admin:` section's endpoint
// (docs/operations.md, "Metrics and health").
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "gibkit/admin/admin_server.h"
#include "gibkit/admin/node_metrics.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/saga/sync_node.h"
#include "gibkit/status.h"

namespace gibkit::gibd {

class NodeAdmin {
 public:
  // Counts `sync`'s receiver events from now on (call before the node
  // serves) and, when the deployment has an `admin:` section, serves them;
  // kUnavailable when that endpoint cannot listen.
  [[nodiscard]] static Result<std::unique_ptr<NodeAdmin>> start(const kernel::Deployment& deployment,
                                                                saga::SyncNode& sync);

  // /healthz says ok from now on: the node listens and its storage is open.
  void set_healthy() { healthy_ = true; }
  // A push this node made (it was the sender).
  void pushed(const Result<saga::SyncReport>& report);
  // Refreshes the gauges (gibd: every second), given the gib commands
  // running in the local API now.
  void tick(std::size_t local_api_running);

 private:
  NodeAdmin(saga::SyncNode& sync) : sync_(sync) {}

  saga::SyncNode& sync_;
  admin::NodeMetrics metrics_;
  std::atomic<bool> healthy_{false};
  std::unique_ptr<admin::AdminServer> server_;  // last: stops before the metrics go
};

}  // namespace gibkit::gibd
