// Private to the saga library: the receiver's sagas between turns, and the
// rule that lets the sagas of different peers run at once.
//
// Each saga's turns run one at a time, in the order they take its lock; the
// turns of different sagas run in parallel. The table's own lock is held only
// to look a saga up, add or remove it, never across a turn, so a slow turn
// (a large Delta being decoded and staged) holds up nobody but its own saga.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gibkit/identity/identity_registry.h"
#include "gibkit/saga/saga_log.h"
#include "gibkit/saga/staging_area.h"

namespace gibkit::saga {

// A saga as the receiver sees it between turns.
struct ReceiverSaga {
  ReceiverSaga(std::string sender, std::string session, SagaLog saga_log, std::int64_t now_ms)
      : sender_domain(std::move(sender)),
        session_tjp(std::move(session)),
        log(std::move(saga_log)),
        last_activity_ms(now_ms) {}

  std::string sender_domain;
  std::string session_tjp;       // the sender's session
  identity::SessionBundle own_session;  // this node's session, signing the replies
  identity::SessionLease own_session_lease;  // forgotten when the saga goes (left the table, last turn done)
  std::string expected_nonce;    // issued in the last reply; the next request must echo it
  std::string previous_context;  // last accepted request context
  std::int64_t next_delta_seq = 1;
  std::map<std::string, std::optional<std::string>> acked_heads;  // tjp -> own head at Ack
  std::vector<std::string> sender_holds;  // sender heads/stones this node also holds
  StagedRecords staged;
  std::size_t staged_bytes = 0;  // JSON bytes of `staged`
  std::deque<std::string> outgoing;  // records the sender asked for, not yet sent
  SagaLog log;
  std::int64_t last_activity_ms;  // State::monotonic_ms() of the last authenticated turn
  // What the saga has moved so far, for its events (docs/operations.md).
  std::int64_t started_ms = last_activity_ms;
  std::size_t records_received = 0;
  std::size_t records_sent = 0;
  std::size_t bytes_received = 0;  // request messages, whole
  std::size_t bytes_sent = 0;      // reply messages, whole

  std::mutex turn;     // held for the whole of each turn
  bool ended = false;  // set (under `turn`) when the saga left the table

  // The last Delta's records, decoded, checked and staged on the work pool
  // while the reply to that Delta travels and the sender prepares the next
  // one (docs/protocol.md, "Pipelining"). Whatever reads or changes `staged`
  // (the next turn, an abort, expiry) settles it first, under `turn`; its
  // failure fails the turn that settles it.
  std::optional<std::future<Status>> verifying;
  [[nodiscard]] Status settle() {
    if (!verifying) return {};
    Status outcome = verifying->get();
    verifying.reset();
    return outcome;
  }
  ReceiverSaga(const ReceiverSaga&) = delete;
  ReceiverSaga& operator=(const ReceiverSaga&) = delete;
  // The job refers to this saga: it must be over before the saga goes.
  ~ReceiverSaga() { (void)settle(); }
};

class SagaTable {
 public:
  // A saga held for one turn: nobody else's turn on it runs until this goes.
  struct Held {
    std::shared_ptr<ReceiverSaga> saga;
    std::unique_lock<std::mutex> lock;
  };

  // Waits for the saga's running turn, if any, then holds it; nullopt when no
  // such saga is (or, once the wait is over, still is) in the table.
  [[nodiscard]] std::optional<Held> hold(const std::string& id);
  // Holds it only if no turn runs on it now (the idle sweep never waits).
  [[nodiscard]] std::optional<Held> try_hold(const std::string& id);
  // Adds a new saga, already held by the caller; false when the id is taken.
  [[nodiscard]] bool insert(const std::string& id, const std::shared_ptr<ReceiverSaga>& saga);
  [[nodiscard]] bool contains(const std::string& id) const;
  // Removes a saga the caller holds; turns waiting for it then find none.
  void remove(const std::string& id, ReceiverSaga& held);
  [[nodiscard]] std::vector<std::string> ids() const;
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<ReceiverSaga>> sagas_;
};

// What a broken saga staged, kept for a while so that the sender's next
// saga can adopt it instead of receiving it again (docs/protocol.md,
// "Resume"). The records stay in the StagingArea, referenced by `staged`,
// so they keep counting against max_staged_bytes until adopted or released.
struct ResumableSet {
  std::string saga_id;        // the broken saga's
  std::string sender_domain;  // only a saga authenticated as this domain may adopt it
  StagedRecords staged;
  std::size_t staged_bytes = 0;
  std::int64_t kept_until_ms = 0;  // State::monotonic_ms() after which it is released
};

// The broken sagas' sets by saga id, at most one per sender domain: a
// sender resumes only its latest broken saga with a peer, so a newer one
// replaces the older (which the caller releases). Bounded by the number of
// trusted domains, by max_staged_bytes and by time.
class ResumeTable {
 public:
  // Keeps `set` under `saga_id`; returns the set it replaced, if any, for
  // the caller to release.
  [[nodiscard]] std::optional<ResumableSet> keep(const std::string& saga_id, ResumableSet set);
  // Takes the set of `saga_id` if -- and only if -- `sender_domain` broke it;
  // a set of another domain stays where it is, untouched.
  [[nodiscard]] std::optional<ResumableSet> take(const std::string& saga_id, const std::string& sender_domain);
  // Takes every set whose time ran out at `now_ms`, for the caller to release.
  [[nodiscard]] std::vector<ResumableSet> take_expired(std::int64_t now_ms);
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ResumableSet> sets_;  // saga id -> its set
};

}  // namespace gibkit::saga
