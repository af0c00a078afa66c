// File: gibkit/saga_staging.h
//
// The records sagas staged, kept in a space by saga (SDK 1.4). A node stages
// a saga's payloads in its own memory until Commit; when several nodes share
// one store (space-postgres, docs/scale-out.md) it also writes them here, so
// that
//  * a saga broken on one node -- its connection cut, the node killed -- can
//    be adopted by the sender's next saga on *another* node of the store,
//    which then needs only what was not yet staged (docs/protocol.md,
//    "Resume"), and
//  * the staging of a node that died is reclaimed by the others once it
//    expires, instead of staying in the database for ever.
//
// Contract for implementations (checked by the space conformance suite for
// every plugin that offers it):
//  * A saga is an id, an owner (the sender's domain: who may adopt it), an
//    expiry and a set of records (address -> exact bytes; the first bytes
//    stay, as in the space).
//  * stage() creates the saga on first use and moves its expiry; staging
//    into a saga of another owner is kFailedPrecondition and changes nothing.
//    Each call is atomic.
//  * adopt(from, to, owner) moves every record of `from` into `to` and
//    forgets `from` in one step, only if `from` exists and is owned by
//    `owner`; otherwise it answers false and changes nothing. Two adopters
//    of one saga race safely: exactly one gets true.
//  * drop() forgets a saga and its records (unknown: no error); reclaim()
//    drops every expired saga, whoever staged it.
//  * Staged records are not records of the space: get(), has() and
//    for_each_record() do not see them.
//  * Methods are safe to call from several threads and processes; none throws.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit {

class SagaStaging {
 public:
  virtual ~SagaStaging() = default;

  [[nodiscard]] virtual Status stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
                                     const std::vector<StoredRecord>& records) = 0;
  // True when `from` was owned by `owner` and is now `to`.
  [[nodiscard]] virtual Result<bool> adopt(std::string_view from_saga, std::string_view to_saga,
                                           std::string_view owner, std::int64_t expires_at_ms) = 0;
  // Visits (address, text) of every record of the saga until `visit` returns
  // false. The visitor must not call back into the space.
  [[nodiscard]] virtual Status for_each_staged(
      std::string_view saga_id, const std::function<bool(std::string_view address, std::string_view json_text)>& visit) = 0;
  [[nodiscard]] virtual Status drop(std::string_view saga_id) = 0;
  // How many sagas expired before `now_ms` were dropped.
  [[nodiscard]] virtual Result<std::uint64_t> reclaim(std::int64_t now_ms) = 0;
};

}  // namespace gibkit
