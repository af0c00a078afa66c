// gib sagas: the node's recent sync sagas, both roles, newest first, read
// from the saga timelines (saga_log.h) that every saga writes into the
// durable space as it goes, so a saga that failed is listed as well.
//
// A saga frame holds only the saga id, the role and the state; the rest is
// in the contexts the frames relate: the peer is the `audience` of any
// context this node wrote (the sender's requests, the receiver's replies),
// the time is the Init's `issuedAtMs` (the sender's clock), which the
// receiver's Ack (its reply to the Init) relates as its `request`. A
// receiver's frames name the replies it sent (ack, delta_reply, ...).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "command.h"
#include "gibkit/saga/saga_log.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "sagas";
constexpr std::size_t kDefaultCount = 20;
// A saga frame names only the frame before it; a corrupt chain must not
// loop for ever.
constexpr std::size_t kMaxFrames = 1'000'000;

struct SagaSummary {
  std::string saga_id;
  std::string role;
  std::vector<std::string> states;  // oldest first, "started" included
  std::string detail;               // of the last frame (why it failed)
  std::string peer;                 // empty: unknown
  std::optional<double> issued_ms;  // the Init's issuedAtMs
};

std::string string_field(const IbGib& record, std::string_view key) {
  const json::Value* value = record.data ? record.data->find(key) : nullptr;
  return value != nullptr && value->is_string() ? value->as_string() : std::string();
}

std::optional<double> number_field(const IbGib& record, std::string_view key) {
  const json::Value* value = record.data ? record.data->find(key) : nullptr;
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->as_number();
}

Result<IbGib> load(Space& space, const std::string& address) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, space.get(address));
  if (!text) return data_loss("saga record " + address + " is related but not stored");
  Result<IbGib> record = IbGib::parse(*text);
  if (!record.ok()) return data_loss("saga record " + address + " does not parse: " + record.status().message());
  return record;
}

// A context that is gone (e.g. removed by hand) only leaves a field blank.
std::optional<IbGib> load_context(Space& space, const IbGib& frame) {
  const std::vector<std::string> context = frame.rel8d("context");
  if (context.empty()) return std::nullopt;
  Result<IbGib> record = load(space, context.front());
  return record.ok() ? std::optional<IbGib>(std::move(record).value()) : std::nullopt;
}

// A receiver's frames name the reply it sent (ack, delta_reply, ...); they
// are shown as the request legs they answer, as a sender's frames name them.
std::string request_leg(std::string state) {
  if (state == "ack") return "init";
  if (state.ends_with("_reply")) state.resize(state.size() - std::string_view("_reply").size());
  return state;
}

Result<SagaSummary> summarize(Space& space, const std::string& head) {
  std::vector<IbGib> frames;  // newest first
  std::string next = head;
  while (!next.empty()) {
    if (frames.size() >= kMaxFrames) return data_loss("saga timeline of " + head + " does not end");
    GIBKIT_ASSIGN_OR_RETURN(IbGib frame, load(space, next));
    const std::vector<std::string> past = frame.rel8d("past");
    next = past.empty() ? std::string() : past.front();
    frames.push_back(std::move(frame));
  }
  std::reverse(frames.begin(), frames.end());
  SagaSummary saga;
  saga.saga_id = string_field(frames.back(), "sagaId");
  saga.role = string_field(frames.back(), "role");
  saga.detail = string_field(frames.back(), "detail");
  for (const IbGib& frame : frames) {
    saga.states.push_back(request_leg(string_field(frame, "state")));
    std::optional<IbGib> context = load_context(space, frame);
    if (!context) continue;
    if (saga.peer.empty()) saga.peer = string_field(*context, "audience");
    if (saga.states.back() != "init" || saga.issued_ms) continue;
    saga.issued_ms = number_field(*context, "issuedAtMs");
    if (saga.issued_ms) continue;
    // The receiver's frame relates its reply; the reply, the Init.
    const std::vector<std::string> request = context->rel8d("request");
    if (request.empty()) continue;
    if (Result<IbGib> init = load(space, request.front()); init.ok()) saga.issued_ms = number_field(*init, "issuedAtMs");
  }
  return saga;
}

bool is_leg(std::string_view state) { return state != "started" && state != "completed" && state != "failed"; }

// "init,delta*3,commit": the legs the saga got through, repeats counted.
std::string legs_text(const SagaSummary& saga) {
  std::string text;
  for (std::size_t i = 0; i < saga.states.size();) {
    const std::string& state = saga.states[i];
    std::size_t same = 1;
    while (i + same < saga.states.size() && saga.states[i + same] == state) ++same;
    i += same;
    if (!is_leg(state)) continue;
    if (!text.empty()) text += ',';
    text += state;
    if (same > 1) text += '*' + std::to_string(same);
  }
  return text.empty() ? "-" : text;
}

// committed, aborted, failed, or open (in flight, or its node stopped
// mid-saga: a receiver expires such a saga without a frame).
std::string outcome_text(const SagaSummary& saga) {
  const std::string& last = saga.states.back();
  if (last == "failed") return "failed";
  if (last == "abort") return "aborted";
  // A sender completes after its Commit was confirmed; a receiver's last
  // frame is its Commit reply.
  if (last == "completed" || (last == "commit" && saga.role == "receiver")) return "committed";
  return "open";
}

// UTC, milliseconds: 2026-12-02T03:04:05.678Z.
std::string time_text(std::optional<double> ms) {
  if (!ms || *ms < 0) return "-";
  const auto whole = static_cast<std::int64_t>(*ms);
  const std::time_t seconds = static_cast<std::time_t>(whole / 1000);
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return "-";
  char text[40];
  const std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[16];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(whole % 1000));
  return std::string(text, size) + millis;
}

Status list(Space& space, std::size_t count, std::ostream& out) {
  const std::string prefix = saga::saga_log_head_key("");
  std::vector<std::string> heads;
  GIBKIT_RETURN_IF_ERROR(space.for_each_head([&](std::string_view key, std::string_view head) {
    if (key.starts_with(prefix)) heads.emplace_back(head);
    return true;
  }));
  std::vector<SagaSummary> sagas;
  for (const std::string& head : heads) {
    GIBKIT_ASSIGN_OR_RETURN(SagaSummary saga, summarize(space, head));
    sagas.push_back(std::move(saga));
  }
  // Newest first; a saga that ended before its Init went out has no time
  // and comes last. Ties (and those) by saga id, so the order is stable.
  std::sort(sagas.begin(), sagas.end(), [](const SagaSummary& a, const SagaSummary& b) {
    if (a.issued_ms.has_value() != b.issued_ms.has_value()) return a.issued_ms.has_value();
    if (a.issued_ms && *a.issued_ms != *b.issued_ms) return *a.issued_ms > *b.issued_ms;
    if (a.saga_id != b.saga_id) return a.saga_id < b.saga_id;
    return a.role < b.role;
  });
  const std::size_t shown = std::min(count, sagas.size());
  out << "sagas (" << shown << " of " << sagas.size() << ", newest first): time, role, outcome, legs, saga id, peer\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const SagaSummary& saga = sagas[i];
    const std::string outcome = outcome_text(saga);
    out << "  " << time_text(saga.issued_ms) << '\t' << saga.role << '\t' << outcome << '\t' << legs_text(saga)
        << '\t' << saga.saga_id << '\t' << (saga.peer.empty() ? "-" : saga.peer);
    if (outcome == "failed" && !saga.detail.empty()) out << '\t' << saga.detail;
    out << '\n';
  }
  return Status();
}

std::optional<std::size_t> parse_count(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

}  // namespace

int run_sagas(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"-n", true}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (!parsed->positionals().empty()) return usage_error(io, kName, "sagas takes no arguments");
  std::size_t count = kDefaultCount;
  if (std::optional<std::string> n = parsed->value("-n")) {
    std::optional<std::size_t> value = parse_count(*n);
    if (!value) return usage_error(io, kName, "-n needs a positive whole number, not '" + *n + "'");
    count = *value;
  }
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Status listed = list(session->durable(), count, io.out);
  return listed.ok() ? kExitOk : report_failure(io, kName, listed, kExitFailed);
}

}  // namespace gibkit::tools
