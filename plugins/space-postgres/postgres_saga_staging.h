// The sagas' staging of space-postgres (gibkit/saga_staging.h): staged
// records in two tables of the space's schema (migration 2 in
// postgres_space.cc), so that every gibd of the schema sees every saga's
// staging. That is the point: a saga broken on one gibd is adopted by the
// sender's next saga on another, and the staging of a gibd that died is
// reclaimed by the others. So, unlike the node's own heads, nothing here is
// kept per `instance`.
//
//   staged_sagas(saga_id PRIMARY KEY, owner, expires_at_ms)  -- one row a saga
//   staged_records(saga_id REFERENCES staged_sagas ON DELETE CASCADE,
//                  address, body bytea, PRIMARY KEY (saga_id, address))
//
// Across processes, the saga's row is the lock: stage() and adopt() take it
// (an upsert, SELECT ... FOR UPDATE) before touching its records, so two
// adopters of one saga queue on it and the second finds it gone; reclaim()
// skips rows another transaction holds (FOR UPDATE SKIP LOCKED), so several
// gibd reclaiming at once never wait on each other nor on a saga being
// staged into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "gibkit/saga_staging.h"

namespace gibkit::postgres_space {

// How the staging reaches the database: the space's pool and its mapping of
// exceptions to statuses naming `what` and the server (a lost connection is
// kUnavailable, a timeout kDeadlineExceeded...), shared with the records.
using Runner = std::function<Status(const std::string& what, const std::function<Status(pqxx::connection&)>& body)>;

class PostgresSagaStaging final : public SagaStaging {
 public:
  // `quoted_schema`: "name", as spliced into SQL; `where`: the server as
  // messages name it (no password).
  PostgresSagaStaging(std::string quoted_schema, std::string where, std::size_t fetch_size, Runner run)
      : schema_(std::move(quoted_schema)), where_(std::move(where)), fetch_size_(fetch_size), run_(std::move(run)) {}

  Status stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
               const std::vector<StoredRecord>& records) override;
  Result<bool> adopt(std::string_view from_saga, std::string_view to_saga, std::string_view owner,
                     std::int64_t expires_at_ms) override;
  Status for_each_staged(std::string_view saga_id,
                         const std::function<bool(std::string_view, std::string_view)>& visit) override;
  Status drop(std::string_view saga_id) override;
  Result<std::uint64_t> reclaim(std::int64_t now_ms) override;

 private:
  std::string table(std::string_view name) const { return schema_ + "." + std::string(name); }
  // Creates the saga, or moves its expiry when `owner` owns it; false (and
  // nothing changed) when another owner does. Leaves the row locked.
  bool claim(pqxx::work& tx, const std::string& saga_id, const std::string& owner, std::int64_t expires_at_ms);
  void insert_records(pqxx::work& tx, const std::string& saga_id, const std::vector<StoredRecord>& records);

  const std::string schema_;
  const std::string where_;
  const std::size_t fetch_size_;
  const Runner run_;
};

}  // namespace gibkit::postgres_space
