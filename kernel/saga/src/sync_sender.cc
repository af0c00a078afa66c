// The sender side of the saga: Init, Delta turns, Commit, then the local
// commit of what the receiver sent back.
#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <map>
#include <system_error>
#include <unordered_set>

#include "gibkit/saga/contexts.h"
#include "gibkit/saga/divergence.h"
#include "gibkit/record_graph.h"
#include "service_state.h"

namespace gibkit::saga {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = TimelineOutcome::Kind;


class SenderSaga {
 public:
  SenderSaga(SyncService::State& state, Connection& peer, std::string_view peer_domain,
             const ProgressCallback& progress)
      : state_(state), peer_(peer), peer_domain_(peer_domain), progress_(progress) {}

  Result<SyncReport> run(const std::vector<std::string>& addresses) {
    const auto started = Clock::now();
    report_.saga_id = state_.random_token();
    GIBKIT_ASSIGN_OR_RETURN(SagaLog log, SagaLog::start(durable(), report_.saga_id, "sender"));
    log_.emplace(std::move(log));
    Status outcome = run_legs(addresses);
    if (!outcome.ok()) {
      // Best effort: the receiver also drops the saga when its idle timer
      // runs out. A turn signed but perhaps never delivered goes along, so
      // that the receiver can follow the session to this abort.
      bool abort_acknowledged = false;
      if (receiver_open_) {
        abort_acknowledged =
            turn(Leg::kAbort, json::Object{{"reason", outcome.to_string()}}, {}, {}, std::move(undelivered_)).ok();
      }
      if (commit_sent_ && !commit_confirmed_ && !abort_acknowledged) outcome = outcome_unknown(outcome);
      // Broken mid-Delta with the receiver still holding the saga (no error
      // reply, no Abort taken): the next saga with this peer asks to resume.
      if (receiver_open_ && !abort_acknowledged && !commit_sent_ && !acked_deltas_.empty()) {
        (void)leave_resume_mark();
      }
      (void)state_.staging.release(staged_);
      (void)log_->record("failed", "", outcome.to_string());
      return outcome;
    }
    (void)log_->record("completed", "");
    report_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    return report_;
  }

 private:
  struct Timeline {
    std::string tjp;
    std::string own_head;
    std::optional<std::string> peer_head;
    Kind kind = Kind::kInSync;
    std::string final_head;
  };

  Space& durable() { return *state_.services.durable; }

  // The Commit went out and nothing authenticated says how it ended (a
  // dropped connection, a reply that did not decode or authenticate, an
  // unsigned error): the receiver may have committed. Say so, and leave a
  // mark so that the next sync with this peer asks (previousSaga in Init).
  Status outcome_unknown(const Status& why) {
    WriteBatch mark;
    mark.heads.push_back(HeadUpdate{pending_outcome_key(peer_domain_), previous_context_, std::nullopt});
    Status marked = durable().write(mark);
    return Status(StatusCode::kUnavailable,
                  "outcome unknown: the Commit of saga " + report_.saga_id + " was sent but " + why.to_string() +
                      "; the receiver may have committed (the next sync with it finds out and reports it)" +
                      (marked.ok() ? "" : "; could not record that: " + marked.to_string()));
  }

  // The saga id of an earlier saga with this peer whose outcome is unknown.
  Result<std::optional<std::string>> pending_saga() {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> context, durable().head(pending_outcome_key(peer_domain_)));
    if (!context || *context == kSettledMark) return std::optional<std::string>();
    RecordReader reader({&durable()});
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> record, reader.load(*context));
    if (!record) return std::optional<std::string>();
    GIBKIT_ASSIGN_OR_RETURN(std::string saga_id, json::get_string(record->data->as_object(), "sagaId"));
    return std::optional<std::string>(std::move(saga_id));
  }

  // The Ack's answer about the earlier saga; the mark is settled.
  Status take_previous_outcome(const IbGib& ack, const std::string& asked) {
    const json::Value* answer = ack.data->find("previousSaga");
    if (answer == nullptr || !answer->is_object()) return {};  // the peer did not answer; ask again next time
    GIBKIT_ASSIGN_OR_RETURN(std::string saga_id, json::get_string(answer->as_object(), "sagaId"));
    GIBKIT_ASSIGN_OR_RETURN(bool committed, json::get_bool(answer->as_object(), "committed"));
    if (saga_id != asked) return invalid_argument("the ack answers for saga " + saga_id + ", not " + asked);
    report_.previous_saga = saga_id;
    report_.previous_saga_committed = committed;
    WriteBatch settle;
    settle.heads.push_back(HeadUpdate{pending_outcome_key(peer_domain_), std::string(kSettledMark), std::nullopt});
    return durable().write(settle);
  }

  // Resume (docs/protocol.md, "Resume"). A DeltaReply that authenticated
  // proves the receiver staged what that Delta's signed context named; the
  // mark keeps those contexts (stored already, like every context), so a
  // restarted sender knows them too.
  struct ResumeMark {
    std::string address;  // the sync_resume stone
    std::string saga_id;
    std::string peer;                 // the peer the saga broke with
    std::string store;                // that peer's staging store, if it announced one
    std::vector<std::string> deltas;  // acknowledged Delta contexts, adopted ones included
  };

  // Filed under the peer and, when the peer announced a staging store
  // (Ack `stagingStore`: it shares its staging with other nodes), under the
  // store too: the next Init to any node of that store may resume it.
  Status leave_resume_mark() {
    json::Object data{{"sagaId", report_.saga_id},
                      {"peer", peer_domain_},
                      {"deltas", json::Array(acked_deltas_.begin(), acked_deltas_.end())}};
    if (!peer_store_.empty()) data.set("store", peer_store_);
    IbGib stone = make_stone("sync_resume", std::move(data), json::Object{});
    GIBKIT_RETURN_IF_ERROR(store_control(durable(), stone));
    WriteBatch mark;
    mark.heads.push_back(HeadUpdate{resume_key(peer_domain_), stone.address(), std::nullopt});
    if (!peer_store_.empty()) mark.heads.push_back(HeadUpdate{resume_store_key(peer_store_), stone.address(), std::nullopt});
    return durable().write(mark);
  }

  // The mark left for this peer; else, when this peer announced a staging
  // store before, one left for that store by a saga with another of its
  // nodes.
  Result<std::optional<ResumeMark>> resume_mark() {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> address, durable().head(resume_key(peer_domain_)));
    if (!address || *address == kSettledMark) {
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> store, durable().head(staging_store_key(peer_domain_)));
      if (!store) return std::optional<ResumeMark>();
      GIBKIT_ASSIGN_OR_RETURN(address, durable().head(resume_store_key(*store)));
      if (!address || *address == kSettledMark) return std::optional<ResumeMark>();
    }
    RecordReader reader({&durable()});
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> stone, reader.load(*address));
    if (!stone || !stone->data || !stone->data->is_object()) return std::optional<ResumeMark>();
    ResumeMark mark;
    mark.address = *address;
    const json::Object& data = stone->data->as_object();
    GIBKIT_ASSIGN_OR_RETURN(mark.saga_id, json::get_string(data, "sagaId"));
    if (const json::Value* peer = data.find("peer"); peer != nullptr && peer->is_string()) mark.peer = peer->as_string();
    if (const json::Value* store = data.find("store"); store != nullptr && store->is_string()) {
      mark.store = store->as_string();
    }
    if (const json::Value* deltas = data.find("deltas"); deltas != nullptr && deltas->is_array()) {
      for (const json::Value& delta : deltas->as_array()) {
        if (delta.is_string()) mark.deltas.push_back(delta.as_string());
      }
    }
    return std::optional<ResumeMark>(std::move(mark));
  }

  // Keeps the staging store the peer announced (signed, in its Ack), for
  // the marks this saga may leave and for later Inits to other peers.
  Status note_peer_store(const IbGib& ack) {
    const json::Value* store = ack.data->find("stagingStore");
    if (store == nullptr) return {};
    if (!store->is_string() || store->as_string().empty()) return invalid_argument("stagingStore must be a store id");
    peer_store_ = store->as_string();
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> known, durable().head(staging_store_key(peer_domain_)));
    if (known && *known == peer_store_) return {};
    WriteBatch remember;
    remember.heads.push_back(HeadUpdate{staging_store_key(peer_domain_), peer_store_, std::nullopt});
    return durable().write(remember);
  }

  // The Ack's answer to resumeSaga. Records the receiver adopted are the
  // ones the broken saga's acknowledged Deltas named: those are left out of
  // this saga's Deltas (first_delta_records) -- but only when the receiver
  // adopted at least that many. A receiver stages a saga's Deltas in order,
  // each whole, so what it holds is the records of Deltas 1..j (after those
  // of the sagas it resumed): at least as many as Deltas 1..k named means
  // all of them (j >= k; j > k when a Delta went through but its answer did
  // not come back). Fewer means it lost some (the node that staged them
  // died between acknowledging a Delta and writing it to the shared
  // staging, docs/protocol.md "Pipelining"): then nothing is left out, and
  // what the receiver holds already it simply stages once. The mark is
  // settled either way: the broken saga's set now belongs to this saga, or
  // is gone.
  Status take_resumed(const IbGib& ack, const ResumeMark& mark) {
    const json::Value* answer = ack.data->find("resumed");
    if (answer != nullptr && answer->is_object()) {
      GIBKIT_ASSIGN_OR_RETURN(std::string saga_id, json::get_string(answer->as_object(), "sagaId"));
      GIBKIT_ASSIGN_OR_RETURN(double records, json::get_number(answer->as_object(), "records"));
      if (saga_id != mark.saga_id) return invalid_argument("the ack resumes saga " + saga_id + ", not " + mark.saga_id);
      if (records > 0) {
        RecordReader reader({&durable()});
        std::unordered_set<std::string> named_records;
        for (const std::string& address : mark.deltas) {
          GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> context, reader.load(address));
          if (!context || !context->data) continue;
          const json::Value* named = context->data->find("payloadAddrs");
          if (named == nullptr || !named->is_array()) continue;
          for (const json::Value& record : named->as_array()) {
            if (record.is_string()) named_records.insert(record.as_string());
          }
        }
        if (records >= static_cast<double>(named_records.size())) {
          resumed_records_ = std::move(named_records);
          acked_deltas_ = mark.deltas;  // the receiver holds them in this saga now
          report_.resumed_saga = mark.saga_id;
        }
      }
    }
    // Settles the keys that still name this mark (a newer mark stays).
    for (const std::string& key : {mark.peer.empty() ? resume_key(peer_domain_) : resume_key(mark.peer),
                                   mark.store.empty() ? std::string() : resume_store_key(mark.store)}) {
      if (key.empty()) continue;
      WriteBatch settle;
      settle.heads.push_back(HeadUpdate{key, std::string(kSettledMark), mark.address});
      Status settled = durable().write(settle);
      if (!settled.ok() && settled.code() != StatusCode::kAborted) return settled;
    }
    return {};
  }

  Status run_legs(const std::vector<std::string>& addresses) {
    GIBKIT_RETURN_IF_ERROR(resolve_roots(addresses));
    Status initialized = init();
    if (!initialized.ok()) {
      drop_early_batch();
      return initialized;
    }
    if (early_batch_ && early_batch_fits()) {
      report_.early_batch = SyncReport::EarlyBatch::kUsed;
      // Joined first: its thread writes `pending` until then.
      Result<Batch> taken = early_batch_->batch.get();
      GIBKIT_RETURN_IF_ERROR(exchange(early_batch_->source, wanted_, std::move(taken), std::move(early_batch_->pending)));
    } else {
      drop_early_batch();
      GIBKIT_RETURN_IF_ERROR(start_first_delta_walk());
      GIBKIT_RETURN_IF_ERROR(exchange(first_delta_records(), wanted_));
    }
    finish_first_delta_walk();
    GIBKIT_RETURN_IF_ERROR(resolve_divergence());
    GIBKIT_RETURN_IF_ERROR(commit());
    for (const Timeline& timeline : timelines_) {
      report_.timelines.push_back(TimelineOutcome{timeline.tjp, timeline.kind, timeline.final_head,
                                                  timeline.kind == Kind::kConflict ? *timeline.peer_head : ""});
    }
    return {};
  }

  // Timelines by their tjp and latest head; anything else is a stone.
  Status resolve_roots(const std::vector<std::string>& addresses) {
    RecordReader reader({&durable()});
    for (const std::string& address : addresses) {
      GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> record, reader.load(address));
      if (!record) return not_found("nothing to sync at " + address + ": not in this node's durable space");
      std::optional<std::string> tjp = record->tjp_address();
      if (!tjp) {
        stones_.push_back(address);
        continue;
      }
      GIBKIT_RETURN_IF_ERROR(state_.refuse_protected_timeline(*tjp, *record));
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, durable().head(*tjp));
      if (std::none_of(timelines_.begin(), timelines_.end(), [&](const Timeline& t) { return t.tjp == *tjp; })) {
        timelines_.push_back(Timeline{*tjp, head.value_or(address), std::nullopt, Kind::kInSync, ""});
      }
    }
    return {};
  }

  Status init() {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> peer_trusted, state_.registry.latest(peer_domain_));
    if (!peer_trusted) {
      return permission_denied("unknown identity: the expected peer domain " + peer_domain_ +
                               " is not trusted by this node (trust its genesis first)");
    }
    GIBKIT_ASSIGN_OR_RETURN(session_, state_.registry.begin_session(*state_.services.signer, state_.session_signer(),
                                                                    state_.domain_tjp));
    session_lease_ = identity::SessionLease(state_.session_signer(), session_.session_tjp);
    const std::string endorsement = IbGib::parse(session_.endorsement.frame_json)->address();
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> known, state_.registry.known_by(peer_domain_));
    GIBKIT_ASSIGN_OR_RETURN(std::vector<identity::EndorsementStep> earlier,
                            state_.registry.endorsements_before(state_.domain_tjp, endorsement,
                                                                known.value_or(std::string()),
                                                                state_.options.endorsement_history));
    json::Object heads;
    for (const Timeline& timeline : timelines_) heads.set(timeline.tjp, timeline.own_head);
    json::Array stones(stones_.begin(), stones_.end());
    const std::int64_t now = state_.now_ms();
    json::Object fields{{"domain", state_.domain_tjp},
                        {"issuedAtMs", static_cast<double>(now)},
                        {"expiresAtMs", static_cast<double>(now + state_.options.init_validity.count())},
                        {"heads", std::move(heads)},
                        {"stones", std::move(stones)}};
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> pending, pending_saga());
    if (pending) fields.set("previousSaga", *pending);
    GIBKIT_ASSIGN_OR_RETURN(std::optional<ResumeMark> resume, resume_mark());
    if (resume) fields.set("resumeSaga", resume->saga_id);
    if (!known && !resume) read_early_batch();
    GIBKIT_ASSIGN_OR_RETURN(SyncResponse ack, turn(Leg::kInit, std::move(fields), {}, std::move(earlier)));
    if (pending) GIBKIT_RETURN_IF_ERROR(take_previous_outcome(ack.context, *pending));
    GIBKIT_RETURN_IF_ERROR(note_peer_store(ack.context));
    if (resume) GIBKIT_RETURN_IF_ERROR(take_resumed(ack.context, *resume));
    // A signed Ack proves the receiver accepted the session, so it holds
    // the endorsing frame: the next Init to it carries only later ones.
    GIBKIT_RETURN_IF_ERROR(state_.registry.remember_known_by(peer_domain_, endorsement));
    return classify(ack.context);
  }

  // Decides per timeline what to send and what to fetch (docs/protocol.md, "Ack").
  Status classify(const IbGib& ack) {
    const json::Object& data = ack.data->as_object();
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* timelines, json::get_object(data, "timelines"));
    RecordReader reader({&durable()});
    for (Timeline& timeline : timelines_) {
      const json::Value* entry = timelines->find(timeline.tjp);
      if (entry == nullptr || !entry->is_object()) {
        return invalid_argument("the ack does not answer for timeline " + timeline.tjp);
      }
      const json::Value* head = entry->find("head");
      GIBKIT_ASSIGN_OR_RETURN(std::string relation, json::get_string(entry->as_object(), "relation"));
      timeline.final_head = timeline.own_head;
      if (head == nullptr || head->is_null()) {
        timeline.kind = Kind::kSent;
        send_roots_.push_back(timeline.own_head);
        continue;
      }
      if (!head->is_string()) return invalid_argument("the ack's head for " + timeline.tjp + " is not an address");
      timeline.peer_head = head->as_string();
      if (relation == "same") {
        peer_holds_.push_back(timeline.own_head);
      } else if (relation == "ahead") {
        timeline.kind = Kind::kReceived;
        timeline.final_head = *timeline.peer_head;
        peer_holds_.push_back(timeline.own_head);
        wanted_.push_back(*timeline.peer_head);
      } else {
        GIBKIT_ASSIGN_OR_RETURN(bool held, durable().has(*timeline.peer_head));
        bool behind = false;
        if (held) {
          GIBKIT_ASSIGN_OR_RETURN(behind, timeline_contains(reader, timeline.own_head, *timeline.peer_head));
        }
        if (behind) {
          timeline.kind = Kind::kSent;
          peer_holds_.push_back(*timeline.peer_head);
          send_roots_.push_back(timeline.own_head);
        } else {
          timeline.kind = Kind::kMerged;  // provisional: replay or conflict after the fetch
          wanted_.push_back(*timeline.peer_head);
        }
      }
    }
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* stones, json::get_object(data, "stones"));
    for (const std::string& stone : stones_) {
      const json::Value* held = stones->find(stone);
      if (held == nullptr || !held->is_bool()) return invalid_argument("the ack does not answer for stone " + stone);
      (held->as_bool() ? peer_holds_ : send_roots_).push_back(stone);
    }
    return {};
  }

  Result<std::unordered_set<std::string>> closure_set(const RecordReader& reader,
                                                      const std::vector<std::string>& roots) {
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> closure, dependency_closure(reader, roots));
    return std::unordered_set<std::string>(closure.begin(), closure.end());
  }

  // What the receiver is known to hold, the stop set of the first walk:
  // `held` and what it relates, transitively, read breadth first up to
  // options.peer_closure_reads records. A durable space holds the complete
  // closure of every record it holds (gibkit/record_graph.h), and a record
  // relates the same addresses wherever it is stored, so each address a
  // read names joins the set unread. Past the bound, records held deeper
  // in the receiver's graph are not known and may be sent again, which the
  // receiver stores idempotently; reading all of it made one changed record
  // among 100 timelines of 100k records held on both sides cost 0.6 s of
  // reads (docs/performance.md, "Round 8").
  Result<std::unordered_set<std::string>> known_to_peer(const RecordReader& reader,
                                                        const std::vector<std::string>& held) {
    std::unordered_set<std::string> known;
    // Into `known`'s nodes, which stay where they are as it grows: a held
    // head's relations can be 1,000s of addresses, each copied once.
    std::deque<const std::string*> to_read;
    for (const std::string& address : held) {
      auto [at, added] = known.insert(address);
      if (added) to_read.push_back(&*at);
    }
    std::size_t reads = 0;
    while (!to_read.empty() && reads < state_.options.peer_closure_reads) {
      const std::string& address = *to_read.front();
      to_read.pop_front();
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> related, reader.relations(address));
      ++reads;
      if (!related) return not_found("the dependency graph is incomplete: " + address + " is not held");
      for (std::string& next : *related) {
        if (is_primitive_address(next)) continue;
        auto [at, added] = known.insert(std::move(next));
        if (added) to_read.push_back(&*at);
      }
    }
    report_.peer_closure_reads = reads;
    return known;
  }

  // Where a Delta's records come from, one at a time with their texts
  // (nullopt: no more). Called only from the thread preparing the next
  // batch, one call at a time.
  using RecordSource = std::function<Result<std::optional<StoredRecord>>()>;

  // The first Deltas' records: the closure of what is sent minus the
  // closure of what the receiver is known to hold, walked as it is sent
  // (each record read once, and the first Delta goes out without waiting
  // for the whole walk). Records a resumed saga staged at the receiver
  // already are left out.
  Status start_first_delta_walk() {
    first_walk_reader_ = std::make_unique<RecordReader>(std::vector<Space*>{&durable()});
    GIBKIT_ASSIGN_OR_RETURN(peer_known_, known_to_peer(*first_walk_reader_, peer_holds_));
    first_walk_.emplace(*first_walk_reader_, send_roots_, ClosureOptions{.stop = &peer_known_});
    return {};
  }
  RecordSource first_delta_records() {
    return [this]() -> Result<std::optional<StoredRecord>> {
      while (true) {
        GIBKIT_ASSIGN_OR_RETURN(std::optional<StoredRecord> record, first_walk_->next());
        if (!record) return record;
        if (resumed_records_.count(record->address) != 0) {
          ++resumed_skipped_;
          continue;
        }
        return record;
      }
    };
  }
  // Once the first Deltas are through: the walk's records are now known
  // to the receiver (the stop set of later closures).
  void finish_first_delta_walk() {
    // Moved, not copied, when there is nothing to add it to (a first sync:
    // 100k addresses at 100k records, between the last Delta and the Commit).
    if (peer_known_.empty()) {
      peer_known_ = first_walk_->take_visited();
    } else {
      peer_known_.insert(first_walk_->visited().begin(), first_walk_->visited().end());
    }
    report_.records_resumed = resumed_skipped_;
    first_walk_.reset();
  }

  // Records named by address, read when their batch is prepared.
  static RecordSource records_by_address(std::vector<std::string> addresses, const RecordReader& reader) {
    return [addresses = std::move(addresses), &reader, next = std::size_t{0}]() mutable
           -> Result<std::optional<StoredRecord>> {
      if (next == addresses.size()) return std::optional<StoredRecord>();
      std::string& address = addresses[next++];
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, reader.load_text(address));
      if (!text) return not_found("record " + address + " vanished while syncing");
      return std::optional<StoredRecord>(StoredRecord{std::move(address), std::move(*text)});
    };
  }

  // One Delta's records, read and sized, not yet signed.
  struct Batch {
    std::vector<Payload> payloads;
    json::Array names;
    bool last = false;  // the source has no more records
  };

  // Takes from `source` what fits one message; `pending` carries the record
  // that did not fit into the next batch.
  Result<Batch> take_batch(const RecordSource& source, std::optional<StoredRecord>& pending) const {
    Batch batch;
    std::size_t budget = state_.options.max_message_bytes;
    while (true) {
      if (!pending) {
        GIBKIT_ASSIGN_OR_RETURN(pending, source());
        if (!pending) {
          batch.last = true;
          break;
        }
      }
      Payload payload{std::move(pending->address), std::move(pending->json_text), {}};
      pending.reset();
      const std::size_t size = payload.encoded_size() + payload.address.size() + 4;
      if (size > state_.options.max_message_bytes) {
        return resource_exhausted("record " + payload.address + " is larger than max_message_bytes");
      }
      if (size > budget) {
        pending = StoredRecord{std::move(payload.address), std::move(payload.json_text)};
        break;
      }
      budget -= size;
      batch.names.emplace_back(payload.address);
      batch.payloads.push_back(std::move(payload));
    }
    return batch;
  }

  // A peer that never acknowledged a session of this node is, most of the
  // time, syncing with it for the first time and holds none of what is
  // sent: its Ack will make every timeline head and stone a root of the
  // first walk, with nothing to stop at. On that guess the first Delta's
  // batch is read while the Init is signed, sent and answered (a fifth of a
  // 10k-record sync's first Delta, docs/performance.md round 5). After the
  // Ack it is used only if the guess was exactly right (early_batch_fits);
  // otherwise it is dropped, having cost one batch of reads on another
  // thread. A node that knows the peer, or resumes a saga with it, guesses
  // nothing.
  struct EarlyBatch {
    std::vector<std::string> roots;  // the first walk's roots, as guessed
    RecordSource source;
    std::optional<StoredRecord> pending;  // take_batch's, for the batch after
    std::future<Result<Batch>> batch;
    // Set by drop_early_batch: the source then ends the batch at the next
    // record, so that a wrong guess does not wait for a whole batch. False
    // when made (a C++20 atomic is value-initialized; no member initializer,
    // which clang cannot use before SenderSaga is complete).
    std::atomic<bool> dropped;
  };
  void read_early_batch() {
    std::vector<std::string> roots;
    for (const Timeline& timeline : timelines_) roots.push_back(timeline.own_head);
    roots.insert(roots.end(), stones_.begin(), stones_.end());
    first_walk_reader_ = std::make_unique<RecordReader>(std::vector<Space*>{&durable()});
    peer_known_.clear();
    first_walk_.emplace(*first_walk_reader_, roots, ClosureOptions{.stop = &peer_known_});
    early_batch_.emplace();
    early_batch_->roots = std::move(roots);
    early_batch_->source = [records = first_delta_records(),
                            early = &*early_batch_]() -> Result<std::optional<StoredRecord>> {
      if (early->dropped.load(std::memory_order_relaxed)) return std::optional<StoredRecord>();
      return records();
    };
    // Reads only the walk, `pending` and the durable space (which is safe
    // to use from several threads) while init() goes on.
    try {
      early_batch_->batch = std::async(std::launch::async, [this, early = &*early_batch_] {
        return take_batch(early->source, early->pending);
      });
    } catch (const std::system_error&) {  // no thread to be had: no early batch, nothing lost
      early_batch_.reset();
      first_walk_.reset();
      first_walk_reader_.reset();
    }
  }
  // The Ack answered as guessed: no timeline or stone held by the peer,
  // none asked back, and so the same roots in the same order.
  bool early_batch_fits() const {
    return peer_holds_.empty() && wanted_.empty() && resumed_records_.empty() && send_roots_ == early_batch_->roots;
  }
  // Waits for the early batch's reads (the record being read at most: see
  // EarlyBatch::dropped) and forgets them and their walk.
  void drop_early_batch() {
    if (!early_batch_) return;
    early_batch_->dropped.store(true, std::memory_order_relaxed);
    if (early_batch_->batch.valid()) early_batch_->batch.wait();
    early_batch_.reset();
    first_walk_.reset();
    first_walk_reader_.reset();
    peer_known_.clear();
    report_.early_batch = SyncReport::EarlyBatch::kDropped;
  }

  // Delta turns: sends the records of `source` in size-bounded batches (the
  // first turn also asks for `wanted`), and keeps turning until the
  // receiver has sent all that was asked for. Pipelined: the next batch is
  // read from the spaces while the current one is signed, sent and answered
  // (the receiver, in turn, verifies a batch while the next one is on its
  // way).
  // `taken` and `pending`, when given, are a batch already taken from
  // `source` and what take_batch left for the next (read_early_batch).
  Status exchange(const RecordSource& source, const std::vector<std::string>& wanted,
                  std::optional<Result<Batch>> taken = std::nullopt, std::optional<StoredRecord> pending = std::nullopt) {
    Result<Batch> ready = taken ? std::move(*taken) : take_batch(source, pending);
    bool first = true;
    bool more = !wanted.empty();
    while (true) {
      GIBKIT_ASSIGN_OR_RETURN(Batch batch, std::move(ready));
      // The records found so far: the closure is walked as it is sent.
      progress_state_.records_to_send += batch.payloads.size();
      if (batch.payloads.empty() && !more) break;
      const bool last = batch.last;
      // Reads only the source, `pending` and the spaces; staged_ changes
      // only in take_delivery(), after this is joined. A return on error
      // joins it too (the future of std::async waits in its destructor).
      std::future<Result<Batch>> next;
      if (!last) {
        next = std::async(std::launch::async, [this, &source, &pending] { return take_batch(source, pending); });
      }
      json::Object fields{{"seq", static_cast<double>(next_seq_++)}, {"payloadAddrs", std::move(batch.names)}};
      if (first && !wanted.empty()) fields.set("want", json::Array(wanted.begin(), wanted.end()));
      // The last batch is verified before its reply (docs/protocol.md,
      // "Pipelining"), so a bad record fails this Delta and never the
      // Commit, whose unsigned error would leave the outcome unknown.
      if (last) fields.set("settle", true);
      first = false;
      const std::size_t sent = batch.payloads.size();
      GIBKIT_ASSIGN_OR_RETURN(SyncResponse reply, turn(Leg::kDelta, std::move(fields), std::move(batch.payloads)));
      ready = last ? Result<Batch>(Batch{{}, {}, true}) : next.get();
      progress_state_.records_sent += sent;
      report_.records_sent += sent;
      GIBKIT_RETURN_IF_ERROR(take_delivery(reply));
      GIBKIT_ASSIGN_OR_RETURN(more, json::get_bool(reply.context.data->as_object(), "more"));
      report_progress("delta");
    }
    return {};
  }

  // Records the receiver sent: named by its reply context, validated on
  // decode, staged until the local commit.
  Status take_delivery(SyncResponse& reply) {
    const json::Value* named = reply.context.data->find("payloadAddrs");
    std::unordered_set<std::string> expected;
    if (named != nullptr && named->is_array()) {
      for (const json::Value& address : named->as_array()) {
        if (address.is_string()) expected.insert(address.as_string());
      }
    }
    for (const Payload& payload : reply.payloads) {
      if (expected.erase(payload.address) == 0) {
        return permission_denied("the receiver sent " + payload.address + " without naming it");
      }
    }
    if (!expected.empty()) return invalid_argument("the receiver named " + *expected.begin() + " but did not send it");
    const std::size_t received = reply.payloads.size();
    GIBKIT_RETURN_IF_ERROR(state_.staging.stage(std::move(reply.payloads), staged_));
    progress_state_.records_received += received;
    report_.records_received += received;
    return {};
  }

  // Divergent timelines, now that the receiver's branches are staged here.
  Status resolve_divergence() {
    StagedView own = state_.staging.view(staged_);
    RecordReader reader({&durable(), &own});
    std::vector<std::string> roots;
    std::vector<Payload> made;
    for (Timeline& timeline : timelines_) {
      if (timeline.kind != Kind::kMerged) continue;
      GIBKIT_ASSIGN_OR_RETURN(std::unordered_set<std::string> peer_branch,
                              closure_set(reader, {*timeline.peer_head}));
      peer_known_.insert(peer_branch.begin(), peer_branch.end());
      GIBKIT_ASSIGN_OR_RETURN(std::optional<Replay> replay,
                              replay_onto(reader, *timeline.peer_head, timeline.own_head));
      if (replay) {
        for (const IbGib& record : replay->records) made.push_back(Payload::of(record));
        timeline.final_head = replay->head;
      } else {
        timeline.kind = Kind::kConflict;  // both heads stay; both branches are kept on both sides
        timeline.final_head = timeline.own_head;
      }
      roots.push_back(timeline.own_head);
      if (replay) roots.push_back(replay->head);
    }
    if (roots.empty()) return {};
    GIBKIT_RETURN_IF_ERROR(state_.staging.stage(std::move(made), staged_));
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> records,
                            dependency_closure(reader, roots, ClosureOptions{.stop = &peer_known_}));
    return exchange(records_by_address(std::move(records), reader), {});
  }

  Status commit() {
    json::Object heads;
    for (const Timeline& timeline : timelines_) {
      if (timeline.kind == Kind::kSent || timeline.kind == Kind::kMerged) heads.set(timeline.tjp, timeline.final_head);
    }
    commit_sent_ = true;
    GIBKIT_ASSIGN_OR_RETURN(SyncResponse reply, turn(Leg::kCommit, json::Object{{"heads", std::move(heads)}}));
    commit_confirmed_ = true;
    receiver_open_ = false;
    GIBKIT_RETURN_IF_ERROR(commit_locally().with_context("local commit after the peer committed"));
    report_progress("commit");
    return {};
  }

  // What the receiver sent is held to the receiver's own rules: each head
  // this node moves is held, a frame of its timeline, not protected, and a
  // real fast-forward of this node's head (or the merge this node made);
  // and every staged record belongs to the closure of a head this node
  // asked for or made, so a peer cannot slip in anything else.
  Status commit_locally() {
    StagedView own = state_.staging.view(staged_);
    RecordReader reader({&own, &durable()});
    std::vector<HeadUpdate> local;
    std::vector<std::string> roots;
    for (const Timeline& timeline : timelines_) {
      const bool moves = timeline.kind == Kind::kReceived || timeline.kind == Kind::kMerged;
      if (moves) {
        GIBKIT_ASSIGN_OR_RETURN(HeadUpdate update,
                                check_head_move(state_, reader, timeline.tjp, timeline.final_head, timeline.own_head,
                                                timeline.kind == Kind::kReceived));
        local.push_back(std::move(update));
      }
      // What this node asked for (the peer's branch) and made (its merge).
      if (timeline.peer_head && (moves || timeline.kind == Kind::kConflict)) roots.push_back(*timeline.peer_head);
      if (timeline.kind == Kind::kMerged) roots.push_back(timeline.final_head);
    }
    if (!staged_.empty()) {
      GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> asked, dependency_closure(reader, roots));
      std::unordered_set<std::string> allowed(asked.begin(), asked.end());
      for (const auto& [address, relations] : staged_) {
        if (allowed.count(address) == 0) {
          return permission_denied("the peer sent " + address + ", which no head this sync asked for relates");
        }
      }
    }
    return state_.staging.commit(staged_, local);
  }

  // One signed request turn: a context, a session frame claiming it, the
  // request, and the reply authenticated before anything of it is kept.
  Result<SyncResponse> turn(Leg leg, json::Object fields, std::vector<Payload> payloads = {},
                            std::vector<identity::EndorsementStep> earlier = {},
                            std::optional<PendingTurn> pending = std::nullopt) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> session_head, state_.registry.latest(session_.session_tjp));
    if (!session_head) return internal_error("the session identity vanished from the registry");
    fields.set("audience", peer_domain_);
    fields.set("nonce", leg == Leg::kInit ? state_.random_token() : peer_nonce_);
    SyncRequest request;
    request.leg = leg;
    request.saga_id = report_.saga_id;
    const std::string previous = pending ? pending->context.address() : previous_context_;
    request.context = make_request_context(leg, report_.saga_id, std::move(fields), *session_head, previous);
    request.pending = std::move(pending);
    GIBKIT_ASSIGN_OR_RETURN(request.signed_frame_json, state_.sign_context(session_.session_tjp, request.context));
    if (leg == Leg::kInit) {
      request.session = session_;
      request.earlier_endorsements = std::move(earlier);
    }
    request.payloads = std::move(payloads);
    GIBKIT_ASSIGN_OR_RETURN(std::string message, encode(request));
    ++report_.turns;
    report_.bytes_sent += message.size();
    progress_state_.bytes_sent += message.size();
    Result<std::string> delivered = peer_.request(message, state_.options.request_timeout);
    if (!delivered.ok()) {
      if (leg != Leg::kInit && leg != Leg::kAbort) undelivered_ = PendingTurn{request.context, request.signed_frame_json};
      return delivered.status();
    }
    const std::string& answer = *delivered;
    report_.bytes_received += answer.size();
    progress_state_.bytes_received += answer.size();
    GIBKIT_ASSIGN_OR_RETURN(SyncResponse reply, decode_response(answer));
    if (reply.leg == Leg::kError) {
      // Unsigned: it ends this saga here (nothing is committed) but moves nothing.
      receiver_open_ = false;
      return reply.error;
    }
    // The receiver answered this turn, so it took it: later turns (an Abort
    // included) follow it, echoing the nonce the reply carries. Until the
    // reply is authenticated that nonce is only a claim; a forged one makes
    // nothing but that Abort fail.
    previous_context_ = request.context.address();
    if (const json::Value* nonce = reply.context.data ? reply.context.data->find("nonce") : nullptr;
        nonce != nullptr && nonce->is_string()) {
      peer_nonce_ = nonce->as_string();
    }
    if (leg == Leg::kInit) receiver_open_ = true;
    // The log's entry for this turn is stored with the reply's frame and
    // context, once they are accepted.
    GIBKIT_ASSIGN_OR_RETURN(SagaLog::Entry logged, log_->next(leg_name(leg), request.context.address()));
    GIBKIT_RETURN_IF_ERROR(authenticate_reply(request, reply, std::move(logged.batch)));
    log_->took(std::move(logged));
    GIBKIT_RETURN_IF_ERROR(json::get_string(reply.context.data->as_object(), "nonce").status());
    if (leg == Leg::kDelta) acked_deltas_.push_back(request.context.address());
    return reply;
  }

  // The reply must answer exactly this signed turn, be meant for this node,
  // and be signed by the next frame of the receiver's session as *this node*
  // holds it -- a session endorsed by the domain expected at this peer.
  // Stores the reply's frame and context, with `also`.
  Status authenticate_reply(const SyncRequest& request, SyncResponse& reply, WriteBatch also) {
    if (reply.saga_id != request.saga_id || reply.leg != reply_leg(request.leg)) {
      return invalid_argument("the receiver answered " + std::string(leg_name(reply.leg)) + " for saga " +
                              reply.saga_id + " to " + std::string(leg_name(request.leg)));
    }
    GIBKIT_RETURN_IF_ERROR(check_context_header(reply.context, reply.leg, reply.saga_id));
    GIBKIT_RETURN_IF_ERROR(check_binding(reply.context, state_.domain_tjp, {}));
    GIBKIT_ASSIGN_OR_RETURN(std::string answered, single_rel8n(reply.context, kRel8nRequest));
    if (answered != request.context.address()) return permission_denied("replay: the reply answers another turn");
    if (request.leg == Leg::kInit) {
      if (!reply.session) return permission_denied("unknown identity: the ack carries no session");
      if (reply.session->domain_tjp != peer_domain_) {
        return permission_denied("unknown identity: the peer answered as domain " + reply.session->domain_tjp +
                                 ", expected " + peer_domain_);
      }
      GIBKIT_ASSIGN_OR_RETURN(Signer * domain_verifier, state_.verifier_for(reply.session->endorsement.frame_json));
      GIBKIT_RETURN_IF_ERROR(
          state_.registry.accept_session(*domain_verifier, *reply.session, reply.earlier_endorsements));
      peer_session_ = reply.session->session_tjp;
      report_.peer_domain = peer_domain_;
      report_.peer_session = peer_session_;
    }
    return state_.accept_signed_context(peer_session_, reply.context, reply.signed_frame_json, std::move(also));
  }

  void report_progress(std::string_view leg) {
    if (!progress_) return;
    progress_state_.leg = std::string(leg);
    progress_(progress_state_);
  }

  SyncService::State& state_;
  Connection& peer_;
  std::string peer_domain_;
  std::string peer_session_;  // the receiver's session, once its Ack is authenticated
  std::string peer_nonce_;    // the receiver's last nonce, echoed by the next request
  std::optional<PendingTurn> undelivered_;  // a signed turn whose delivery failed
  bool commit_sent_ = false;       // the Commit turn went out
  bool commit_confirmed_ = false;  // an authenticated CommitReply came back
  const ProgressCallback& progress_;
  std::optional<SagaLog> log_;
  SyncReport report_;
  SyncProgress progress_state_;
  identity::SessionBundle session_;
  identity::SessionLease session_lease_;  // the session is forgotten when this saga goes
  std::string previous_context_;
  std::int64_t next_seq_ = 1;
  bool receiver_open_ = false;

  std::vector<Timeline> timelines_;
  std::vector<std::string> stones_;
  std::vector<std::string> send_roots_;
  std::vector<std::string> peer_holds_;
  std::vector<std::string> wanted_;
  std::unordered_set<std::string> peer_known_;
  StagedRecords staged_;
  std::vector<std::string> acked_deltas_;            // Delta contexts whose reply authenticated
  std::unordered_set<std::string> resumed_records_;  // staged at the receiver by a broken saga it adopted
  std::unique_ptr<RecordReader> first_walk_reader_;  // the first Deltas' walk (start_first_delta_walk)
  std::optional<ClosureWalk> first_walk_;
  std::size_t resumed_skipped_ = 0;
  // Declared after what its thread reads, so that it is destroyed (its
  // future joined) first.
  std::optional<EarlyBatch> early_batch_;
  std::string peer_store_;  // the staging store the peer's Ack announced, if any
};

}  // namespace

Result<SyncReport> run_sender(SyncService::State& state, Connection& peer, std::string_view peer_domain,
                              const std::vector<std::string>& addresses, const ProgressCallback& progress) {
  if (state.domain_tjp.empty()) return failed_precondition("this node has no domain identity to sign with");
  return SenderSaga(state, peer, peer_domain, progress).run(addresses);
}

}  // namespace gibkit::saga
