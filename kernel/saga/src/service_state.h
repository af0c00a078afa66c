// Private to the saga library: what the receiver and sender sides of one
// SyncService share.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "gibkit/identity/identity_registry.h"
#include "gibkit/record_graph.h"
#include "gibkit/saga/saga_log.h"
#include "gibkit/saga/staging_area.h"
#include "gibkit/saga/sync_service.h"
#include "saga_table.h"
#include "shared_staging.h"
#include "work_pool.h"

namespace gibkit::saga {

struct SyncService::State {
  State(SyncServices services_in, std::string domain, SyncOptions options_in)
      : services(std::move(services_in)),
        domain_tjp(std::move(domain)),
        options(options_in),
        registry(*services.durable),
        staging(*services.durable, services.staging_spill, options.staging_spill_threshold_bytes),
        shared_staging(services.shared_staging, (options.saga_idle_timeout + options.resume_keep).count()) {
    // What an earlier run left in the spill belongs to no saga of this one.
    (void)staging.clear_spill();
    // A commit's leftovers are freed on the pool, after its reply (the pool
    // goes first when the state does, running what is queued).
    staging.set_reclaimer([this](std::function<void()> task) {
      (void)pool.submit([task = std::move(task)] {
        task();
        return Status();
      });
    });
  }

  Result<Signer*> verifier_for(std::string_view frame_json) const;
  Signer& session_signer() const { return *(services.session_signer ? services.session_signer : services.signer); }
  std::int64_t now_ms() const;
  std::int64_t monotonic_ms() const;
  std::string random_token() const;
  Status refuse_protected_timeline(std::string_view tjp, const IbGib& frame) const;
  // A context is signed iff `frame_json` is the next frame of session
  // `session_tjp` as *this node* holds it (the context's sessionIdentity
  // names that held frame) and claims {sync, the context's address}. Both
  // sides authenticate the other's turns with this; the frame is accepted
  // and stored together with the context and `also` (the saga log's entry
  // for the turn), in one durable write.
  Status accept_signed_context(std::string_view session_tjp, const IbGib& context, std::string_view frame_json,
                               WriteBatch also = {});
  // Signs `context` with the next frame of this node's session `session_tjp`,
  // and stores the context and `also` (the saga log's entry for the turn) in
  // the frame's batch: one durable write a turn, besides the signer's own.
  Result<std::string> sign_context(std::string_view session_tjp, const IbGib& context, WriteBatch also = {});

  SyncServices services;
  std::string domain_tjp;
  SyncOptions options;
  identity::IdentityRegistry registry;
  StagingArea staging;
  SharedStaging shared_staging;  // the group's copy by saga, when configured

  SagaTable sagas;  // the receiver's sagas; each turn holds its own saga
  ResumeTable resumable;  // the receiver's broken sagas' staged sets, kept for resume_keep
  // Payload bytes of Deltas accepted but not yet staged (their jobs run):
  // counted against max_staged_bytes with what is staged, so the limit holds
  // while jobs are in flight.
  std::atomic<std::size_t> verifying_bytes{0};
  std::mutex staging_admission;  // a Delta's limit check and its reservation are one step
  // Delta records are decoded and checked here, across cores; a Delta is
  // verified and staged in the background while its reply travels. Last
  // member: its queued jobs run before the rest of the state goes.
  WorkPool pool{options.verify_threads};
};

// The rules for moving a timeline head at Commit (head_moves.cc): `head` is
// held by `reader` (the saga's own staged records and the durable space), is
// a frame of `tjp`, the timeline is not protected, and -- when
// `require_fast_forward` -- it descends from `expected` through frames
// actually held. The update is a compare-and-swap against `expected`
// (nullopt: the timeline is new here).
[[nodiscard]] Result<HeadUpdate> check_head_move(const SyncService::State& state, const RecordReader& reader,
                                                 std::string_view tjp, std::string_view head,
                                                 const std::optional<std::string>& expected,
                                                 bool require_fast_forward = true);

// Head keys of saga outcomes (protected namespace). The receiver marks each
// committed saga (value: the sender's domain) in the commit batch itself;
// the sender marks a saga whose Commit went out without an authenticated
// answer (value: the Commit context), and settles the mark once a later
// Ack answered for it.
inline std::string saga_outcome_key(std::string_view saga_id) { return "^saga-outcome " + std::string(saga_id); }
inline std::string pending_outcome_key(std::string_view peer_domain) { return "^pending-outcome " + std::string(peer_domain); }
inline constexpr std::string_view kSettledMark = "settled^gib";  // the head index has no erase
// The sender's mark of a saga broken mid-Delta with a peer (value: a
// `sync_resume` stone naming the saga and its acknowledged Delta contexts),
// read by the next Init to that peer (resumeSaga); settled once an Ack
// answered it.
inline std::string resume_key(std::string_view peer_domain) { return "^resume " + std::string(peer_domain); }
// The same mark filed under the peer's staging store (Ack `stagingStore`),
// read by an Init to any other peer of that store; and the store each peer
// last announced.
inline std::string resume_store_key(std::string_view store) { return "^resume-store " + std::string(store); }
inline std::string staging_store_key(std::string_view peer_domain) { return "^staging-store " + std::string(peer_domain); }

// Receiver entry point (sync_receiver.cc).
[[nodiscard]] Result<Answer> handle_request(SyncService::State& state, std::string_view request);
// Drops idle sagas (sync_receiver.cc); skips any saga whose turn is running.
std::size_t expire_idle_sagas(SyncService::State& state);
// Sender entry point (sync_sender.cc).
[[nodiscard]] Result<SyncReport> run_sender(SyncService::State& state, Connection& peer, std::string_view peer_domain,
                                            const std::vector<std::string>& addresses,
                                            const ProgressCallback& progress);

}  // namespace gibkit::saga
