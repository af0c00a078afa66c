// The receiver side of the saga: one function per request leg, each
// authenticating the turn against this node's own registry first.
#include <algorithm>
#include <unordered_set>

#include "gibkit/saga/contexts.h"
#include "gibkit/saga/record_graph.h"
#include "gibkit/saga/timeline.h"
#include "service_state.h"

namespace gibkit::saga {
namespace {

using Clock = std::chrono::steady_clock;

Result<std::vector<std::string>> string_array(const json::Object& data, std::string_view key) {
  std::vector<std::string> out;
  const json::Value* value = data.find(key);
  if (value == nullptr) return out;
  if (!value->is_array()) return invalid_argument(std::string(key) + " must be an array of addresses");
  for (const json::Value& item : value->as_array()) {
    if (!item.is_string()) return invalid_argument(std::string(key) + " must be an array of addresses");
    out.push_back(item.as_string());
  }
  return out;
}

class ReceiverTurn {
 public:
  ReceiverTurn(SyncService::State& state, SyncRequest request) : state_(state), request_(std::move(request)) {}

  Result<SyncResponse> run() {
    switch (request_.leg) {
      case Leg::kInit: return init();
      case Leg::kDelta: return delta();
      case Leg::kCommit: return commit();
      case Leg::kAbort: return abort();
      default: return invalid_argument("not a request leg");
    }
  }

 private:
  Space& durable() { return *state_.services.durable; }
  const json::Object& context_data() const { return request_.context.data->as_object(); }

  Result<ReceiverSaga*> find_saga() {
    auto it = state_.sagas.find(request_.saga_id);
    if (it == state_.sagas.end()) {
      return failed_precondition("unknown saga " + request_.saga_id + " (never started, finished or abandoned)");
    }
    return &it->second;
  }

  // The turn is genuine iff the signing frame is the next frame of the
  // session as *this node* holds it, and claims exactly this context.
  Status authenticate(ReceiverSaga& saga) {
    GIBKIT_RETURN_IF_ERROR(check_context_header(request_.context, request_.leg, request_.saga_id));
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> session_head, state_.registry.latest(saga.session_tjp));
    if (!session_head) return permission_denied("unknown identity: session " + saga.session_tjp);
    GIBKIT_ASSIGN_OR_RETURN(std::string claimed_prev, single_rel8n(request_.context, kRel8nSessionIdentity));
    if (claimed_prev != *session_head) {
      return permission_denied("replay: the context builds on session frame " + claimed_prev +
                               " but the session is at " + *session_head);
    }
    GIBKIT_ASSIGN_OR_RETURN(std::string previous, single_rel8n(request_.context, kRel8nPrevious));
    if (previous != saga.previous_context) {
      return permission_denied("replay: the context follows " + (previous.empty() ? "nothing" : previous) +
                               ", expected " + (saga.previous_context.empty() ? "nothing" : saga.previous_context));
    }
    GIBKIT_ASSIGN_OR_RETURN(Signer * verifier, state_.verifier_for(request_.signed_frame_json));
    GIBKIT_RETURN_IF_ERROR(state_.registry.accept(*verifier, saga.session_tjp, request_.signed_frame_json,
                                                  Claim{std::string(identity::kVerbSync), request_.context.address()}));
    GIBKIT_RETURN_IF_ERROR(store_control(durable(), request_.context));
    saga.previous_context = request_.context.address();
    saga.last_activity = Clock::now();
    return {};
  }

  std::string signing_frame() const { return IbGib::parse(request_.signed_frame_json)->address(); }

  Result<SyncResponse> reply(Leg leg, ReceiverSaga& saga, json::Object fields, std::vector<Payload> payloads = {}) {
    SyncResponse response;
    response.leg = leg;
    response.saga_id = request_.saga_id;
    response.context = make_reply_context(leg, request_.saga_id, std::move(fields), signing_frame(),
                                          request_.context.address());
    response.payloads = std::move(payloads);
    GIBKIT_RETURN_IF_ERROR(store_control(durable(), response.context));
    GIBKIT_RETURN_IF_ERROR(saga.log.record(leg_name(leg), response.context.address()));
    return response;
  }

  Result<SyncResponse> init() {
    if (state_.sagas.count(request_.saga_id) != 0) {
      return permission_denied("replay: saga " + request_.saga_id + " was already started");
    }
    if (!request_.session) return invalid_argument("init must carry the session to accept");
    GIBKIT_ASSIGN_OR_RETURN(Signer * domain_verifier, state_.verifier_for(request_.session->endorsement.frame_json));
    GIBKIT_RETURN_IF_ERROR(
        state_.registry.accept_session(*domain_verifier, *request_.session, request_.earlier_endorsements));

    GIBKIT_ASSIGN_OR_RETURN(SagaLog log, SagaLog::start(durable(), request_.saga_id, "receiver"));
    ReceiverSaga& saga =
        state_.sagas.try_emplace(request_.saga_id, request_.session->session_tjp, std::move(log)).first->second;
    GIBKIT_RETURN_IF_ERROR(authenticate(saga));

    RecordReader reader({&durable()});
    json::Object timelines;
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* heads, json::get_object(context_data(), "heads"));
    for (const auto& [tjp, sender_head_value] : *heads) {
      if (!sender_head_value.is_string()) return invalid_argument("heads." + tjp + " must be an address");
      const std::string& sender_head = sender_head_value.as_string();
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> own_head, durable().head(tjp));
      GIBKIT_ASSIGN_OR_RETURN(bool holds_sender_head, durable().has(sender_head));
      std::string relation = "unknown";
      if (own_head && *own_head == sender_head) {
        relation = "same";
      } else if (own_head && holds_sender_head) {
        GIBKIT_ASSIGN_OR_RETURN(bool ahead, timeline_contains(reader, *own_head, sender_head));
        if (ahead) relation = "ahead";
      }
      if (holds_sender_head) saga.sender_holds.push_back(sender_head);
      saga.acked_heads[tjp] = own_head;
      timelines.set(tjp, json::Object{{"head", own_head ? json::Value(*own_head) : json::Value()},
                                      {"relation", relation}});
    }
    json::Object stones;
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> stone_addresses, string_array(context_data(), "stones"));
    for (const std::string& stone : stone_addresses) {
      GIBKIT_ASSIGN_OR_RETURN(bool held, durable().has(stone));
      if (held) saga.sender_holds.push_back(stone);
      stones.set(stone, held);
    }
    return reply(Leg::kAck, saga, json::Object{{"timelines", std::move(timelines)}, {"stones", std::move(stones)}});
  }

  Result<SyncResponse> delta() {
    GIBKIT_ASSIGN_OR_RETURN(ReceiverSaga * saga, find_saga());
    GIBKIT_RETURN_IF_ERROR(authenticate(*saga));
    GIBKIT_ASSIGN_OR_RETURN(double seq, json::get_number(context_data(), "seq"));
    if (seq != static_cast<double>(saga->next_delta_seq)) {
      return permission_denied("replay: delta " + json::number_to_string(seq) + " arrived, expected " +
                               std::to_string(saga->next_delta_seq));
    }
    ++saga->next_delta_seq;

    // The signature covers the context, so only payloads the context names
    // are covered by it.
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> named, string_array(context_data(), "payloadAddrs"));
    std::unordered_set<std::string> expected(named.begin(), named.end());
    if (expected.size() != named.size()) return invalid_argument("payloadAddrs names a record twice");
    for (const Payload& payload : request_.payloads) {
      if (expected.erase(payload.address) == 0) {
        return permission_denied("payload " + payload.address + " is not named by the signed context");
      }
    }
    if (!expected.empty()) return invalid_argument("the context names " + *expected.begin() + " but it was not sent");
    GIBKIT_RETURN_IF_ERROR(state_.staging.stage(request_.payloads, saga->staged));

    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> wanted, string_array(context_data(), "want"));
    if (!wanted.empty()) GIBKIT_RETURN_IF_ERROR(queue_wanted(*saga, wanted));
    return reply_with_outgoing(*saga, request_.payloads.size());
  }

  // Everything the sender asked for that it does not already hold.
  Status queue_wanted(ReceiverSaga& saga, const std::vector<std::string>& wanted) {
    RecordReader reader({&durable()});
    for (const std::string& address : wanted) {
      GIBKIT_ASSIGN_OR_RETURN(bool held, durable().has(address));
      if (!held) return not_found("the sender wants " + address + ", which this node does not hold");
    }
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> known_list, dependency_closure(reader, saga.sender_holds));
    std::unordered_set<std::string> known(known_list.begin(), known_list.end());
    for (const std::string& queued : saga.outgoing) known.insert(queued);
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> closure,
                            dependency_closure(reader, wanted, ClosureOptions{.stop = &known}));
    saga.outgoing.insert(saga.outgoing.end(), closure.begin(), closure.end());
    return {};
  }

  Result<SyncResponse> reply_with_outgoing(ReceiverSaga& saga, std::size_t received) {
    std::vector<Payload> payloads;
    json::Array sent;
    std::size_t budget = state_.options.max_message_bytes;
    while (!saga.outgoing.empty()) {
      const std::string& address = saga.outgoing.front();
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, durable().get(address));
      if (!text) return data_loss("record " + address + " vanished while syncing");
      Payload payload{address, std::move(*text), {}};
      const std::size_t size = payload.encoded_size() + address.size() + 4;
      if (size > budget && !payloads.empty()) break;
      if (size > state_.options.max_message_bytes) {
        return resource_exhausted("record " + address + " is larger than max_message_bytes");
      }
      budget -= std::min(budget, size);
      sent.emplace_back(address);
      payloads.push_back(std::move(payload));
      saga.outgoing.pop_front();
    }
    const bool more = !saga.outgoing.empty();
    return reply(Leg::kDeltaReply, saga,
                 json::Object{{"seq", static_cast<double>(saga.next_delta_seq - 1)},
                              {"received", static_cast<double>(received)},
                              {"payloadAddrs", std::move(sent)},
                              {"more", more}},
                 std::move(payloads));
  }

  Result<SyncResponse> commit() {
    GIBKIT_ASSIGN_OR_RETURN(ReceiverSaga * saga, find_saga());
    GIBKIT_RETURN_IF_ERROR(authenticate(*saga));
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* heads, json::get_object(context_data(), "heads"));
    RecordReader reader({state_.services.staging, &durable()});
    std::vector<HeadUpdate> updates;
    for (const auto& [tjp, head_value] : *heads) {
      auto acked = saga->acked_heads.find(tjp);
      if (acked == saga->acked_heads.end()) {
        return permission_denied("commit moves timeline " + tjp + ", which the signed init did not name");
      }
      if (!head_value.is_string()) return invalid_argument("heads." + tjp + " must be an address");
      const std::string& head = head_value.as_string();
      GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(head));
      if (!frame) return not_found("incomplete graph: new head " + head + " was never sent");
      if (frame->tjp_address() != std::optional<std::string>(tjp)) {
        return invalid_argument("new head " + head + " is not a frame of timeline " + tjp);
      }
      if (acked->second) {
        GIBKIT_ASSIGN_OR_RETURN(bool fast_forward, timeline_contains(reader, head, *acked->second));
        if (!fast_forward) {
          return aborted("commit would rewrite timeline " + tjp + ": " + head + " does not descend from " +
                         *acked->second);
        }
      }
      updates.push_back(HeadUpdate{tjp, head, acked->second.value_or(std::string())});
    }
    const std::size_t committed = saga->staged.size();
    GIBKIT_RETURN_IF_ERROR(state_.staging.commit(saga->staged, updates));
    json::Object moved;
    for (const HeadUpdate& update : updates) moved.set(update.timeline, update.head);
    Result<SyncResponse> response = reply(
        Leg::kCommitReply, *saga,
        json::Object{{"committed", static_cast<double>(committed)}, {"heads", std::move(moved)}});
    state_.sagas.erase(request_.saga_id);
    return response;
  }

  Result<SyncResponse> abort() {
    GIBKIT_ASSIGN_OR_RETURN(ReceiverSaga * saga, find_saga());
    GIBKIT_RETURN_IF_ERROR(authenticate(*saga));
    GIBKIT_RETURN_IF_ERROR(state_.staging.release(saga->staged));
    Result<SyncResponse> response = reply(Leg::kAbortReply, *saga, json::Object{});
    state_.sagas.erase(request_.saga_id);
    return response;
  }

  SyncService::State& state_;
  SyncRequest request_;
};

// Drops a saga after a failed turn: its staged payloads go, its trail stays.
void abandon(SyncService::State& state, const std::string& saga_id, const Status& why) {
  auto it = state.sagas.find(saga_id);
  if (it == state.sagas.end()) return;
  (void)state.staging.release(it->second.staged);
  (void)it->second.log.record("failed", "", why.to_string());
  state.sagas.erase(it);
}

void expire_idle(SyncService::State& state) {
  const auto now = Clock::now();
  std::vector<std::string> idle;
  for (const auto& [id, saga] : state.sagas) {
    if (now - saga.last_activity > state.options.saga_idle_timeout) idle.push_back(id);
  }
  for (const std::string& id : idle) abandon(state, id, deadline_exceeded("saga idle for too long"));
}

// The sagaId of a message that failed to decode, so the saga can be abandoned.
std::string peek_saga_id(std::string_view text) {
  Result<json::Value> value = json::parse(text);
  if (!value || !value->is_object()) return {};
  Result<std::string> id = json::get_string(value->as_object(), "sagaId");
  return id ? *id : std::string();
}

}  // namespace

Result<std::string> handle_request(SyncService::State& state, std::string_view text) {
  std::lock_guard lock(state.receiver_mutex);
  expire_idle(state);
  Result<SyncRequest> request = decode_request(text);
  std::string saga_id = request ? request->saga_id : peek_saga_id(text);
  Result<SyncResponse> response =
      request ? ReceiverTurn(state, std::move(*request)).run() : Result<SyncResponse>(request.status());
  if (response) return encode(*response);
  abandon(state, saga_id, response.status());
  SyncResponse error;
  error.leg = Leg::kError;
  error.saga_id = saga_id;
  error.error = response.status();
  return encode(error);
}

}  // namespace gibkit::saga
