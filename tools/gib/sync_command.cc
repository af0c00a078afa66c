// gib sync: run the sync saga as sender with a peer, showing progress on
// stderr and a summary of what happened on stdout.
#include <ostream>

#include "command.h"
#include "gibkit/log/log.h"
#include "sync_progress.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "sync";

void print_summary(const saga::SyncReport& report, std::string_view peer, const std::vector<std::string>& legs,
                   std::ostream& out) {
  out << "saga " << report.saga_id << " with " << peer << '\n';
  out << "authenticated: peer domain " << report.peer_domain << " (session " << report.peer_session << ")\n";
  if (!report.previous_saga.empty()) {
    out << "previous saga " << report.previous_saga << " (outcome was unknown): "
        << (report.previous_saga_committed ? "the peer had committed it" : "the peer had not committed it") << '\n';
  }
  if (!report.resumed_saga.empty()) {
    out << "resumed saga " << report.resumed_saga << ": " << report.records_resumed
        << " records staged at the peer already, not sent again\n";
  }
  for (const saga::TimelineOutcome& timeline : report.timelines) {
    out << "  " << saga::outcome_name(timeline.kind) << "  " << timeline.timeline << "  head " << timeline.head;
    if (timeline.kind == saga::TimelineOutcome::Kind::kConflict) out << "  peer head " << timeline.peer_head;
    out << '\n';
  }
  std::string leg_list;
  for (const std::string& leg : legs) leg_list += (leg_list.empty() ? "" : ",") + leg;
  out << "records: " << report.records_sent << " sent, " << report.records_received << " received\n"
      << "bytes: " << format_bytes(report.bytes_sent) << " sent, " << format_bytes(report.bytes_received)
      << " received\n"
      << "time: " << report.elapsed.count() << " ms, " << report.turns << " signed turns"
      << (leg_list.empty() ? "" : ", legs " + leg_list) << '\n';
}

}  // namespace

int run_sync(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"--peer", true}, {"--peer-domain", true}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  Result<std::string> peer = parsed->required("--peer");
  if (!peer.ok()) return usage_error(io, kName, "missing --peer URL");
  const std::vector<std::string>& addresses = parsed->positionals();
  if (addresses.empty()) return usage_error(io, kName, "give at least one ADDRESS to sync");

  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::unique_ptr<saga::SyncNode>> sync = session->sync_node();
  if (!sync.ok()) return report_failure(io, kName, sync.status().with_context("cannot set up the node's sync"), kExitFailed);

  log::info("sync.start", {{"peer", *peer}, {"timelines", addresses.size()}, {"domain", (*sync)->domain_tjp()}});
  SyncProgressDisplay display(io.err, io.err_is_terminal);
  Result<saga::SyncReport> report =
      (*sync)->sync_with(*peer, addresses, [&](const saga::SyncProgress& progress) { display.update(progress); },
                         parsed->value("--peer-domain").value_or(std::string()));
  display.finish();
  if (!report.ok()) {
    log::error("sync.failed", {{"peer", *peer}, {"error", report.status().to_string()}});
    return report_failure(io, kName, report.status().with_context("sync with " + *peer + " failed"), kExitFailed);
  }
  log::info("sync.done", {{"saga", report->saga_id},
                          {"sent", report->records_sent},
                          {"received", report->records_received},
                          {"bytes_out", report->bytes_sent},
                          {"bytes_in", report->bytes_received},
                          {"turns", report->turns},
                          {"ms", report->elapsed.count()}});
  print_summary(*report, *peer, display.legs(), io.out);
  return kExitOk;
}

}  // namespace gibkit::tools
