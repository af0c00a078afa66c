// The receiver side of the saga: one function per request leg, each
// authenticating the turn against this node's own registry first.
#include <algorithm>
#include <functional>
#include <unordered_set>

#include "gibkit/saga/contexts.h"
#include "gibkit/record_graph.h"
#include "service_state.h"

namespace gibkit::saga {
namespace {


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

// What a saga staged goes, here and in the group's shared staging (a
// failure there is left to reclaim: the rows expire).
void release_staged(SyncService::State& state, const std::string& saga_id, StagedRecords& staged) {
  (void)state.staging.release(staged);
  (void)state.shared_staging.drop(saga_id);
}

// A saga broke (its sender went quiet, or a newer saga of the same sender
// resumes it): what it staged is kept for resume_keep, for the sender's next
// saga to adopt, instead of released at once.
void keep_for_resume(SyncService::State& state, const std::string& saga_id, ReceiverSaga& saga) {
  // A Delta that failed its checks leaves a partial set nobody may build on.
  if (!saga.settle().ok() || state.options.resume_keep.count() <= 0 || saga.staged.empty()) {
    release_staged(state, saga_id, saga.staged);
    return;
  }
  // The shared copy (if any) stays as it is: its expiry, moved at each
  // Delta, already covers resume_keep from now.
  ResumableSet set{saga_id, saga.sender_domain, std::move(saga.staged), saga.staged_bytes,
                   state.monotonic_ms() + state.options.resume_keep.count()};
  saga.staged.clear();
  saga.staged_bytes = 0;
  if (std::optional<ResumableSet> replaced = state.resumable.keep(saga_id, std::move(set))) {
    release_staged(state, replaced->saga_id, replaced->staged);
  }
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

  // Holds the saga for the rest of this turn: its other turns wait.
  Result<ReceiverSaga*> find_saga() {
    held_ = state_.sagas.hold(request_.saga_id);
    if (!held_) {
      return failed_precondition("unknown saga " + request_.saga_id + " (never started, finished or abandoned)");
    }
    return held_->saga.get();
  }

  // The turn is genuine iff the signing frame is the next frame of the
  // session as *this node* holds it, and claims exactly this context, which
  // names this node as its audience and echoes the nonce this node issued.
  Status authenticate(ReceiverSaga& saga) {
    const auto verify_started = std::chrono::steady_clock::now();  // SagaEvent::verify_us
    if (request_.pending) {
      // A turn the sender signed before this one but may not have
      // delivered: verified as a turn of its own leg, never acted on.
      GIBKIT_RETURN_IF_ERROR(authenticate_turn(saga, request_.pending->context,
                                               leg_of_context(request_.pending->context),
                                               request_.pending->signed_frame_json)
                                 .with_context("pending turn"));
    }
    GIBKIT_RETURN_IF_ERROR(authenticate_turn(saga, request_.context, request_.leg, request_.signed_frame_json));
    verify_us_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - verify_started)
                     .count();
    authenticated_ = true;
    saga.last_activity_ms = state_.monotonic_ms();
    // Only now is the large part of the message (a Delta's payloads) worth
    // decoding: delta() hands it to the work pool.
    return {};
  }

  // Events wait for the end of the turn, when its traffic is known (finish()).
  void report(SagaEvent event) { events_.push_back(std::move(event)); }

 public:
  // Counts the turn's request and reply into its saga and reports the
  // turn's events (and `rejected`, when the turn failed) with the totals.
  void finish(std::size_t request_bytes, std::size_t reply_bytes, std::optional<SagaEvent> rejected) {
    if (rejected) events_.push_back(std::move(*rejected));
    if (held_) {
      ReceiverSaga& saga = *held_->saga;
      saga.bytes_received += request_bytes;
      saga.bytes_sent += reply_bytes;
      for (SagaEvent& event : events_) {
        event.records_received = saga.records_received;
        event.records_sent = saga.records_sent;
        event.bytes_received = saga.bytes_received;
        event.bytes_sent = saga.bytes_sent;
        event.elapsed_ms = state_.monotonic_ms() - saga.started_ms;
        event.verify_us = verify_us_;
      }
    }
    if (state_.services.on_event) {
      for (const SagaEvent& event : events_) state_.services.on_event(event);
    }
    events_.clear();
  }

 private:

 public:
  // The sender domain this turn authenticated as; empty when it did not
  // authenticate (what it merely claims is never logged as its identity).
  [[nodiscard]] std::string peer_domain() const {
    if (!authenticated_) return {};
    if (request_.session) return request_.session->domain_tjp;
    return held_ ? held_->saga->sender_domain : std::string();
  }

  // Drops the saga after this authenticated turn failed: its staged payloads
  // go, its trail stays.
  void abandon(const Status& why) {
    if (!held_ || held_->saga->ended) return;
    ReceiverSaga& saga = *held_->saga;
    (void)saga.settle();  // the failure being handled, or one that no longer matters
    release_staged(state_, request_.saga_id, saga.staged);
    (void)saga.log.record("failed", "", why.to_string());
    state_.sagas.remove(request_.saga_id, saga);
  }
  [[nodiscard]] Leg leg() const noexcept { return request_.leg; }

 private:
  static Leg leg_of_context(const IbGib& context) {
    const json::Value* leg = context.data ? context.data->find("leg") : nullptr;
    for (Leg candidate : {Leg::kDelta, Leg::kCommit}) {
      if (leg != nullptr && leg->is_string() && leg->as_string() == leg_name(candidate)) return candidate;
    }
    return Leg::kError;  // check_context_header refuses it
  }

  Status authenticate_turn(ReceiverSaga& saga, const IbGib& context, Leg leg, const std::string& frame_json) {
    GIBKIT_RETURN_IF_ERROR(check_context_header(context, leg, request_.saga_id));
    GIBKIT_RETURN_IF_ERROR(check_binding(context, state_.domain_tjp, saga.expected_nonce));
    GIBKIT_ASSIGN_OR_RETURN(std::string previous, single_rel8n(context, kRel8nPrevious));
    if (previous != saga.previous_context) {
      return permission_denied("replay: the context follows " + (previous.empty() ? "nothing" : previous) +
                               ", expected " + (saga.previous_context.empty() ? "nothing" : saga.previous_context));
    }
    GIBKIT_RETURN_IF_ERROR(state_.accept_signed_context(saga.session_tjp, context, frame_json));  // stores it
    saga.previous_context = context.address();
    return {};
  }

  // Every reply is signed by this node's session (endorsed by its domain),
  // names the sender's domain as audience and carries the nonce the next
  // request must echo.
  Result<SyncResponse> reply(Leg leg, ReceiverSaga& saga, json::Object fields, std::vector<Payload> payloads = {}) {
    const std::string session_tjp = saga.own_session.session_tjp;
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> session_head, state_.registry.latest(session_tjp));
    if (!session_head) return internal_error("this node's session identity vanished from the registry");
    saga.expected_nonce = state_.random_token();
    fields.set("audience", saga.sender_domain);
    fields.set("nonce", saga.expected_nonce);
    SyncResponse response;
    response.leg = leg;
    response.saga_id = request_.saga_id;
    response.context = make_reply_context(leg, request_.saga_id, std::move(fields), *session_head,
                                          request_.context.address());
    // The context and the log's entry for this reply go in the batch of the
    // frame that signs it: one durable write besides the signer's own.
    GIBKIT_ASSIGN_OR_RETURN(SagaLog::Entry logged, saga.log.next(leg_name(leg), response.context.address()));
    GIBKIT_ASSIGN_OR_RETURN(response.signed_frame_json,
                            state_.sign_context(session_tjp, response.context, std::move(logged.batch)));
    saga.log.took(std::move(logged));
    response.payloads = std::move(payloads);
    return response;
  }

  // An Init is fresh: issued within the validity window, not in the future.
  Status check_validity_window() {
    GIBKIT_ASSIGN_OR_RETURN(double issued, json::get_number(context_data(), "issuedAtMs"));
    GIBKIT_ASSIGN_OR_RETURN(double expires, json::get_number(context_data(), "expiresAtMs"));
    const double now = static_cast<double>(state_.now_ms());
    const double window = static_cast<double>(state_.options.init_validity.count());
    if (expires < issued || expires - issued > window) {
      return permission_denied("freshness: the init's validity window is longer than this node accepts");
    }
    if (now > expires) return permission_denied("freshness: the init expired " + json::number_to_string(now - expires) + " ms ago");
    if (issued > now + window) return permission_denied("freshness: the init was issued in the future");
    return {};
  }

  Result<SyncResponse> init() {
    if (state_.domain_tjp.empty()) return failed_precondition("this node has no domain identity to answer with");
    if (state_.sagas.contains(request_.saga_id)) {
      return permission_denied("replay: saga " + request_.saga_id + " was already started");
    }
    if (!request_.session) return invalid_argument("init must carry the session to accept");
    // Cheap checks before any verification: the turn must be meant for this
    // node, now.
    GIBKIT_RETURN_IF_ERROR(check_context_header(request_.context, request_.leg, request_.saga_id));
    GIBKIT_RETURN_IF_ERROR(check_binding(request_.context, state_.domain_tjp, {}));
    GIBKIT_RETURN_IF_ERROR(check_validity_window());
    GIBKIT_ASSIGN_OR_RETURN(std::string sender_domain, json::get_string(context_data(), "domain"));
    if (sender_domain != request_.session->domain_tjp) {
      return permission_denied("unendorsed identity: the context names domain " + sender_domain +
                               ", the session is endorsed by " + request_.session->domain_tjp);
    }
    GIBKIT_ASSIGN_OR_RETURN(Signer * domain_verifier, state_.verifier_for(request_.session->endorsement.frame_json));
    GIBKIT_RETURN_IF_ERROR(
        state_.registry.accept_session(*domain_verifier, *request_.session, request_.earlier_endorsements));

    GIBKIT_ASSIGN_OR_RETURN(SagaLog log, SagaLog::start(durable(), request_.saga_id, "receiver"));
    auto candidate =
        std::make_shared<ReceiverSaga>(sender_domain, request_.session->session_tjp, std::move(log), state_.monotonic_ms());
    std::unique_lock turn(candidate->turn);
    if (Status authenticated = authenticate(*candidate); !authenticated.ok()) {
      (void)candidate->log.record("failed", "", authenticated.to_string());
      return authenticated;
    }
    // Two copies of one Init racing: the one that lost is a replay.
    if (!state_.sagas.insert(request_.saga_id, candidate)) {
      return permission_denied("replay: saga " + request_.saga_id + " was already started");
    }
    held_ = SagaTable::Held{candidate, std::move(turn)};
    ReceiverSaga& saga = *candidate;

    // This node's own session for the replies, endorsed by its domain; the
    // sender gets the endorsements it may have missed since the last frame
    // it is known to hold.
    GIBKIT_ASSIGN_OR_RETURN(saga.own_session,
                            state_.registry.begin_session(*state_.services.signer, state_.session_signer(),
                                                          state_.domain_tjp));
    saga.own_session_lease = identity::SessionLease(state_.session_signer(), saga.own_session.session_tjp);
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> known, state_.registry.known_by(sender_domain));
    GIBKIT_ASSIGN_OR_RETURN(
        own_earlier_,
        state_.registry.endorsements_before(state_.domain_tjp,
                                            IbGib::parse(saga.own_session.endorsement.frame_json)->address(),
                                            known.value_or(std::string()), state_.options.endorsement_history));

    RecordReader reader({&durable()});
    json::Object timelines;
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* heads, json::get_object(context_data(), "heads"));
    for (const auto& [tjp, sender_head_value] : *heads) {
      GIBKIT_RETURN_IF_ERROR(Address::parse(tjp).status().with_context("heads: timeline"));
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
    json::Object fields{{"timelines", std::move(timelines)}, {"stones", std::move(stones)}};
    if (const json::Value* resume = context_data().find("resumeSaga"); resume != nullptr) {
      if (!resume->is_string()) return invalid_argument("resumeSaga must be a saga id");
      GIBKIT_ASSIGN_OR_RETURN(std::size_t adopted, adopt(saga, resume->as_string()));
      fields.set("resumed", json::Object{{"sagaId", resume->as_string()}, {"records", static_cast<double>(adopted)}});
    }
    if (state_.shared_staging.enabled()) {
      // Where a broken saga of this sender can be resumed: any node that
      // announces the same store (docs/protocol.md, "Resume").
      GIBKIT_ASSIGN_OR_RETURN(std::string store, state_.shared_staging.store_id([this] { return state_.random_token(); }));
      fields.set("stagingStore", store);
    }
    if (const json::Value* previous = context_data().find("previousSaga"); previous != nullptr) {
      // An earlier saga of this sender whose outcome it does not know: only
      // its own sagas are answered for (the mark names the sender's domain).
      if (!previous->is_string()) return invalid_argument("previousSaga must be a saga id");
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> mark, durable().head(saga_outcome_key(previous->as_string())));
      fields.set("previousSaga", json::Object{{"sagaId", previous->as_string()},
                                              {"committed", mark && *mark == saga.sender_domain}});
    }
    GIBKIT_ASSIGN_OR_RETURN(SyncResponse ack, reply(Leg::kAck, saga, std::move(fields)));
    report({.event = "saga.accepted", .saga_id = request_.saga_id, .peer_domain = saga.sender_domain, .leg = "init"});
    ack.session = saga.own_session;
    ack.earlier_endorsements = std::move(own_earlier_);
    return ack;
  }

  // Adopts what the broken saga `broken_id` staged into `saga`, if the same
  // sender domain broke it; returns how many records. Anything else --
  // another domain's saga, an unknown or released one -- adopts nothing and
  // answers the same 0, so a domain learns nothing of others' staging.
  Result<std::size_t> adopt(ReceiverSaga& saga, const std::string& broken_id) {
    if (broken_id == request_.saga_id) return 0;
    // Still open here (its sender's connection dropped without an Abort, and
    // it has not expired yet): the sender that broke it has moved on.
    if (std::optional<SagaTable::Held> broken = state_.sagas.try_hold(broken_id);
        broken && broken->saga->sender_domain == saga.sender_domain) {
      (void)broken->saga->log.record("failed", "", "broken: resumed by saga " + request_.saga_id);
      keep_for_resume(state_, broken_id, *broken->saga);
      state_.sagas.remove(broken_id, *broken->saga);
    }
    if (std::optional<ResumableSet> set = state_.resumable.take(broken_id, saga.sender_domain)) {
      saga.staged = std::move(set->staged);
      saga.staged_bytes = set->staged_bytes;
      // The shared copy follows the set, so that this saga's end drops it.
      GIBKIT_RETURN_IF_ERROR(state_.shared_staging.rename(broken_id, request_.saga_id, saga.sender_domain,
                                                          state_.now_ms()));
      return saga.staged.size();
    }
    return adopt_shared(saga, broken_id);
  }

  // A saga this node never held (another node of the group received it, and
  // its connection broke or that node died): adopted from the shared
  // staging, if the same sender domain staged it. Its records are decoded
  // and checked again, as if they had come in a Delta -- what another node
  // wrote is not taken on its word -- and count against this node's limits.
  Result<std::size_t> adopt_shared(ReceiverSaga& saga, const std::string& broken_id) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::vector<StoredRecord>> rows,
                            state_.shared_staging.adopt(broken_id, request_.saga_id, saga.sender_domain,
                                                        state_.now_ms()));
    if (!rows || rows->empty()) return 0;
    std::string text = "[";
    for (const StoredRecord& row : *rows) {
      if (text.size() > 1) text += ',';
      text += row.json_text;
    }
    text += ']';
    std::size_t bytes = 0;
    {
      std::lock_guard admission(state_.staging_admission);
      Status fits = check_staging_limits_locked(saga, text.size());
      if (!fits.ok()) {
        // Too much to take here: the sender sends it all again, which the
        // same limits then refuse or admit Delta by Delta.
        (void)state_.shared_staging.drop(request_.saga_id);
        return 0;
      }
      bytes = text.size();
    }
    Status staged = verify_and_stage(state_, saga, request_.saga_id, text, {}, /*write_through=*/false);
    state_.verifying_bytes -= bytes;
    if (!staged.ok()) {
      release_staged(state_, request_.saga_id, saga.staged);
      saga.staged_bytes = 0;
      return staged.with_context("adopting saga " + broken_id + " from the shared staging");
    }
    return saga.staged.size();
  }

  // The sender's first turn after the Ack proves that it accepted this
  // node's session, so it holds the endorsing frame: later Acks to it need
  // not carry what came before.
  Status note_sender_knows(ReceiverSaga& saga) {
    if (saga.next_delta_seq != 1 || request_.leg == Leg::kAbort) return {};
    return state_.registry.remember_known_by(saga.sender_domain,
                                             IbGib::parse(saga.own_session.endorsement.frame_json)->address());
  }

  Result<SyncResponse> delta() {
    GIBKIT_ASSIGN_OR_RETURN(ReceiverSaga * saga, find_saga());
    GIBKIT_RETURN_IF_ERROR(authenticate(*saga));
    GIBKIT_RETURN_IF_ERROR(saga->settle());  // the previous Delta's records
    GIBKIT_RETURN_IF_ERROR(note_sender_knows(*saga));
    GIBKIT_ASSIGN_OR_RETURN(double seq, json::get_number(context_data(), "seq"));
    if (seq != static_cast<double>(saga->next_delta_seq)) {
      return permission_denied("replay: delta " + json::number_to_string(seq) + " arrived, expected " +
                               std::to_string(saga->next_delta_seq));
    }
    if (static_cast<std::size_t>(saga->next_delta_seq) > state_.options.max_delta_turns) {
      return resource_exhausted("staging: saga " + request_.saga_id + " is at max_delta_turns (" +
                                std::to_string(state_.options.max_delta_turns) + ")");
    }
    ++saga->next_delta_seq;

    // The signature covers the context, so only payloads the context names
    // are covered by it (checked against the records when they are decoded).
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> named, string_array(context_data(), "payloadAddrs"));
    if (std::unordered_set<std::string>(named.begin(), named.end()).size() != named.size()) {
      return invalid_argument("payloadAddrs names a record twice");
    }
    saga->records_received += named.size();
    const std::size_t received = named.size();
    GIBKIT_RETURN_IF_ERROR(check_staging_limits(*saga, request_.unparsed_payloads.size()));
    start_verifying(*saga, std::move(named), static_cast<std::int64_t>(seq));
    // The sender's last batch: verified before the reply, so that its
    // failure is this Delta's and not the Commit's (docs/protocol.md).
    if (const json::Value* settle = context_data().find("settle"); settle != nullptr && settle->truthy()) {
      GIBKIT_RETURN_IF_ERROR(saga->settle());
    }

    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> wanted, string_array(context_data(), "want"));
    if (!wanted.empty()) GIBKIT_RETURN_IF_ERROR(queue_wanted(*saga, wanted));
    report({.event = "saga.turn", .saga_id = request_.saga_id, .peer_domain = saga->sender_domain, .leg = "delta"});
    return reply_with_outgoing(*saga, received);
  }

  // Pipelining (docs/protocol.md): the reply to this Delta goes out now,
  // once the turn is authenticated and within limits; its records are
  // decoded, checked against the names the signed context gives, and staged
  // on the work pool meanwhile. The saga's next turn waits for that and
  // fails with its error, so nothing unchecked is ever committed -- a bad
  // record costs the sender the saga one turn later instead of at once.
  void start_verifying(ReceiverSaga& saga, std::vector<std::string> named, std::int64_t seq) {
    const std::size_t bytes = request_.unparsed_payloads.size();  // reserved by check_staging_limits
    saga.verifying = state_.pool.submit([&state = state_, &saga, seq, bytes, saga_id = request_.saga_id,
                                         named = std::move(named),
                                         text = std::string(request_.unparsed_payloads)]() -> Status {
      Status outcome = verify_and_stage(state, saga, saga_id, text, &named, /*write_through=*/true);
      state.verifying_bytes -= bytes;
      return outcome.with_context("delta " + std::to_string(seq));
    });
  }

  // Decodes and checks `text` (a payloads array), then stages it in the
  // saga. `named`: the addresses the signed context names, which the
  // records must be exactly (null: adopted records, which no context
  // names). `write_through`: also into the group's shared staging.
  static Status verify_and_stage(SyncService::State& state, ReceiverSaga& saga, const std::string& saga_id,
                                 std::string_view text, const std::vector<std::string>* named, bool write_through) {
    GIBKIT_ASSIGN_OR_RETURN(std::vector<Payload> payloads,
                            decode_payloads(text, [&state](std::size_t n, const std::function<void(std::size_t)>& fn) {
                              state.pool.for_each(n, fn);
                            }));
    if (named != nullptr) {
      std::unordered_set<std::string_view> expected(named->begin(), named->end());
      for (const Payload& payload : payloads) {
        if (expected.erase(payload.address) == 0) {
          return permission_denied("payload " + payload.address + " is not named by the signed context");
        }
      }
      if (!expected.empty()) {
        return invalid_argument("the context names " + std::string(*expected.begin()) + " but it was not sent");
      }
    }
    if (write_through) {
      GIBKIT_RETURN_IF_ERROR(state.shared_staging.stage(saga_id, saga.sender_domain, state.now_ms(), payloads));
    }
    saga.staged_bytes += StagingArea::added_bytes(payloads, saga.staged);
    return state.staging.stage(std::move(payloads), saga.staged);
  }

  // What this Delta would stage (`adding`: its payload text, an upper bound
  // of the records' bytes) must fit the saga's and the node's staging
  // limits; checked before anything is decoded or written. When it fits,
  // it is reserved (verifying_bytes) until its job has staged it.
  Status check_staging_limits(const ReceiverSaga& saga, std::size_t adding) {
    std::lock_guard admission(state_.staging_admission);
    return check_staging_limits_locked(saga, adding);
  }

  // The same, with staging_admission held by the caller.
  Status check_staging_limits_locked(const ReceiverSaga& saga, std::size_t adding) {
    if (saga.staged_bytes + adding > state_.options.max_staged_bytes_per_saga) {
      return resource_exhausted("staging: saga " + request_.saga_id + " would stage " +
                                std::to_string(saga.staged_bytes + adding) + " bytes, over max_staged_bytes_per_saga " +
                                std::to_string(state_.options.max_staged_bytes_per_saga));
    }
    const std::size_t total =
        state_.staging.staged_bytes() + state_.staging.reclaiming_bytes() + state_.verifying_bytes.load();
    if (total + adding > state_.options.max_staged_bytes) {
      return resource_exhausted("staging: this node would stage " + std::to_string(total + adding) +
                                " bytes over all sagas, over max_staged_bytes " +
                                std::to_string(state_.options.max_staged_bytes));
    }
    state_.verifying_bytes += adding;
    return {};
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
    saga.records_sent += payloads.size();
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
    const auto settle_started = std::chrono::steady_clock::now();  // SagaEvent::settle_us
    GIBKIT_RETURN_IF_ERROR(saga->settle());  // the last Delta's records
    const auto settled = std::chrono::steady_clock::now();
    GIBKIT_RETURN_IF_ERROR(note_sender_knows(*saga));
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* heads, json::get_object(context_data(), "heads"));
    // Only this saga's own staged records and the durable space: a head
    // another saga staged is not this saga's to commit.
    StagedView own = state_.staging.view(saga->staged);
    RecordReader reader({&own, &durable()});
    std::vector<HeadUpdate> updates;
    for (const auto& [tjp, head_value] : *heads) {
      auto acked = saga->acked_heads.find(tjp);
      if (acked == saga->acked_heads.end()) {
        return permission_denied("commit moves timeline " + tjp + ", which the signed init did not name");
      }
      if (!head_value.is_string()) return invalid_argument("heads." + tjp + " must be an address");
      GIBKIT_ASSIGN_OR_RETURN(HeadUpdate update, check_head_move(state_, reader, tjp, head_value.as_string(), acked->second));
      updates.push_back(std::move(update));
    }
    // The outcome goes in the same atomic batch: a later Init that asks
    // about this saga (previousSaga) gets the truth even if this reply is lost.
    updates.push_back(HeadUpdate{saga_outcome_key(request_.saga_id), saga->sender_domain, std::nullopt});
    const std::size_t committed = saga->staged.size();
    const auto write_started = std::chrono::steady_clock::now();  // SagaEvent::write_us
    GIBKIT_RETURN_IF_ERROR(state_.staging.commit(saga->staged, updates));
    const auto written = std::chrono::steady_clock::now();
    (void)state_.shared_staging.drop(request_.saga_id);  // committed: the rows are spent
    updates.pop_back();
    json::Object moved;
    for (const HeadUpdate& update : updates) moved.set(update.timeline, update.head);
    Result<SyncResponse> response = reply(
        Leg::kCommitReply, *saga,
        json::Object{{"committed", static_cast<double>(committed)}, {"heads", std::move(moved)}});
    report({.event = "saga.committed", .saga_id = request_.saga_id, .peer_domain = saga->sender_domain,
            .leg = "commit", .records = committed, .saga_ended = true,
            .settle_us = std::chrono::duration_cast<std::chrono::microseconds>(settled - settle_started).count(),
            .write_us = std::chrono::duration_cast<std::chrono::microseconds>(written - write_started).count()});
    state_.sagas.remove(request_.saga_id, *saga);
    return response;
  }

  Result<SyncResponse> abort() {
    GIBKIT_ASSIGN_OR_RETURN(ReceiverSaga * saga, find_saga());
    GIBKIT_RETURN_IF_ERROR(authenticate(*saga));
    (void)saga->settle();  // whatever the last Delta's checks found, it all goes
    GIBKIT_RETURN_IF_ERROR(state_.staging.release(saga->staged));
    (void)state_.shared_staging.drop(request_.saga_id);
    Result<SyncResponse> response = reply(Leg::kAbortReply, *saga, json::Object{});
    report({.event = "saga.aborted", .saga_id = request_.saga_id, .peer_domain = saga->sender_domain, .leg = "abort",
            .saga_ended = true});
    state_.sagas.remove(request_.saga_id, *saga);
    return response;
  }

  SyncService::State& state_;
  SyncRequest request_;
  std::vector<identity::EndorsementStep> own_earlier_;
  std::optional<SagaTable::Held> held_;  // the saga this turn runs on, once found
  std::vector<SagaEvent> events_;         // reported by finish()
  bool authenticated_ = false;
  std::int64_t verify_us_ = 0;  // authenticate()'s time, for the turn's events

 public:
  // Whether the turn was authenticated (so a failure from here on may end its saga).
  [[nodiscard]] bool authenticated() const noexcept { return authenticated_; }
};

std::size_t expire_idle(SyncService::State& state) {
  const std::int64_t now = state.monotonic_ms();
  std::size_t expired = 0;
  for (const std::string& id : state.sagas.ids()) {
    // A saga whose turn runs now is not idle; it is not waited for either.
    std::optional<SagaTable::Held> held = state.sagas.try_hold(id);
    if (!held) continue;
    ReceiverSaga& saga = *held->saga;
    if (now - saga.last_activity_ms <= state.options.saga_idle_timeout.count()) continue;
    keep_for_resume(state, id, saga);
    (void)saga.log.record("failed", "", deadline_exceeded("saga idle for too long").to_string());
    state.sagas.remove(id, saga);
    ++expired;
  }
  // Kept sets of broken sagas nobody resumed in time.
  for (ResumableSet& set : state.resumable.take_expired(now)) release_staged(state, set.saga_id, set.staged);
  // And the shared staging's expired sagas, whichever node staged them
  // (one that died leaves its rows to the others).
  (void)state.shared_staging.reclaim(state.now_ms(), now);
  return expired;
}

}  // namespace

std::size_t expire_idle_sagas(SyncService::State& state) { return expire_idle(state); }

Result<Answer> handle_request(SyncService::State& state, std::string_view text) {
  expire_idle(state);
  // The payloads stay undecoded until the turn is authenticated.
  Result<SyncRequest> request = decode_request_head(text);
  if (!request) {
    // Nothing in an undecodable message is trusted, its sagaId least of
    // all: it is answered and forgotten, and no saga is touched.
    if (state.services.on_event) {
      state.services.on_event(
          {.event = "saga.rejected", .detail = request.status().to_string(), .code = request.status().code(),
           .bytes_received = text.size()});
    }
    SyncResponse error;
    error.leg = Leg::kError;
    error.error = request.status();
    GIBKIT_ASSIGN_OR_RETURN(std::string message, encode(error));
    return Answer{std::move(message), Admission::kRefused};
  }
  const std::string saga_id = request->saga_id;
  ReceiverTurn turn(state, std::move(*request));
  Result<SyncResponse> response = turn.run();
  // What the transport may conclude of the connection: an authenticated turn
  // admits it, whatever the turn's outcome; anything else is refused.
  const Admission admission = turn.authenticated() ? Admission::kAuthenticated : Admission::kRefused;
  if (response) {
    GIBKIT_ASSIGN_OR_RETURN(std::string message, encode(*response));
    turn.finish(text.size(), message.size(), std::nullopt);
    return Answer{std::move(message), admission};
  }
  // Only a turn signed by the saga's own session may end it; anyone else's
  // failure (a forged, replayed or misdirected turn) leaves it as it was.
  if (turn.authenticated()) turn.abandon(response.status());
  SyncResponse error;
  error.leg = Leg::kError;
  error.saga_id = saga_id;
  error.error = response.status();
  GIBKIT_ASSIGN_OR_RETURN(std::string message, encode(error));
  turn.finish(text.size(), message.size(),
              SagaEvent{.event = "saga.rejected", .saga_id = saga_id, .peer_domain = turn.peer_domain(),
                        .leg = std::string(leg_name(turn.leg())), .detail = response.status().to_string(),
                        .code = response.status().code(), .saga_ended = turn.authenticated()});
  return Answer{std::move(message), admission};
}

}  // namespace gibkit::saga
