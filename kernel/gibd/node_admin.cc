#include "node_admin.h"

#include "gibkit/log/log.h"

namespace gibkit::gibd {

Result<std::unique_ptr<NodeAdmin>> NodeAdmin::start(const kernel::Deployment& deployment, saga::SyncNode& sync) {
  std::unique_ptr<NodeAdmin> admin(new NodeAdmin(sync));
  admin::NodeMetrics* metrics = &admin->metrics_;
  sync.observe([metrics](const saga::SagaEvent& event) {
    if (event.verify_us > 0) metrics->turn_verified(static_cast<double>(event.verify_us) / 1e6);
    if (event.event == "saga.accepted") {
      metrics->saga_accepted();
      return;
    }
    if (event.event == "saga.rejected") metrics->rejected(status_code_name(event.code));
    if (!event.saga_ended) return;
    metrics->saga_ended({.role = "receiver",
                         .outcome = event.event == "saga.committed" ? "committed"
                                    : event.event == "saga.aborted" ? "aborted"
                                                                    : "failed",
                         .records_in = event.records_received,
                         .records_out = event.records_sent,
                         .bytes_in = event.bytes_received,
                         .bytes_out = event.bytes_sent,
                         .seconds = static_cast<double>(event.elapsed_ms) / 1000.0});
  });

  auto section = deployment.sections.find("admin");
  if (section == deployment.sections.end()) return admin;
  const json::Value* address = section->second.find("address");
  const json::Value* port = section->second.find("port");
  const std::string host = address != nullptr && address->is_string() ? address->as_string() : "127.0.0.1";
  NodeAdmin* self = admin.get();
  GIBKIT_ASSIGN_OR_RETURN(
      admin->server_,
      admin::AdminServer::start(host, port != nullptr && port->is_number() ? static_cast<int>(port->as_number()) : 0,
                                {.metrics = [self] { return self->metrics_.text(); },
                                 .healthy = [self] { return self->healthy_.load(); }}));
  log::info("admin.listening", {{"endpoint", admin->server_->endpoint()}});
  return admin;
}

void NodeAdmin::pushed(const Result<saga::SyncReport>& report) {
  if (!report.ok()) {
    metrics_.saga_ended({.role = "sender", .outcome = "failed"});
    return;
  }
  metrics_.saga_ended({.role = "sender",
                       .outcome = "committed",
                       .records_in = report->records_received,
                       .records_out = report->records_sent,
                       .bytes_in = report->bytes_received,
                       .bytes_out = report->bytes_sent,
                       .seconds = static_cast<double>(report->elapsed.count()) / 1000.0});
}

void NodeAdmin::tick(std::size_t local_api_running) {
  metrics_.set_open_sagas(sync_.service().open_sagas());
  metrics_.set_local_api_running(local_api_running);
}

}  // namespace gibkit::gibd
