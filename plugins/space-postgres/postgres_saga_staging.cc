// The sagas' staging of space-postgres: the SQL (postgres_saga_staging.h
// says why it is shaped so).
#include "postgres_saga_staging.h"

#include <algorithm>
#include <cstddef>

#include "bulk_insert.h"

namespace gibkit::postgres_space {
namespace {


// Sagas per reclaiming DELETE, each its own short transaction: a sweep after
// a long outage neither holds thousands of row locks at once nor cascades
// into millions of staged records in one statement.
constexpr int kReclaimBatch = 1000;

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Status check_text(std::string_view what, std::string_view value) {
  if (value.empty()) return invalid_argument("space-postgres: staging: empty " + std::string(what));
  // libpq passes text parameters as C strings: a NUL would cut the value.
  if (has_nul(value)) {
    return invalid_argument("space-postgres: staging: the " + std::string(what) + " contains a NUL byte");
  }
  return {};
}

}  // namespace

bool PostgresSagaStaging::claim(pqxx::work& tx, const std::string& saga_id, const std::string& owner,
                                std::int64_t expires_at_ms) {
  // One statement, no read-then-write race: a concurrent first stage() of
  // the same saga waits for this row and then takes the DO UPDATE branch.
  // The WHERE makes another owner's row a no-op (locked, not updated, no row
  // returned).
  const pqxx::result claimed = tx.exec_params(
      "INSERT INTO " + table("staged_sagas") +
          " AS s (saga_id, owner, expires_at_ms) VALUES ($1, $2, $3) ON CONFLICT (saga_id) DO UPDATE SET "
          "expires_at_ms = EXCLUDED.expires_at_ms WHERE s.owner = EXCLUDED.owner RETURNING 1",
      saga_id, owner, expires_at_ms);
  return !claimed.empty();
}

void PostgresSagaStaging::insert_records(pqxx::work& tx, const std::string& saga_id,
                                         const std::vector<StoredRecord>& records) {
  insert_rows(tx, table("staged_records"), "saga_id, address", records, &saga_id);
}

Status PostgresSagaStaging::stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
                                  const std::vector<StoredRecord>& records) {
  GIBKIT_RETURN_IF_ERROR(check_text("saga id", saga_id));
  GIBKIT_RETURN_IF_ERROR(check_text("owner", owner));
  for (const StoredRecord& r : records) {
    if (has_nul(r.address)) return invalid_argument("space-postgres: staging: an address contains a NUL byte");
  }
  const std::string id(saga_id);
  const std::string who(owner);
  return run_("staging of " + std::to_string(records.size()) + " records of saga " + id,
              [&](pqxx::connection& c) -> Status {
                pqxx::work tx(c);
                if (!claim(tx, id, who, expires_at_ms)) {
                  tx.abort();
                  return failed_precondition("space-postgres: staging: saga " + id + " on " + where_ +
                                             " belongs to another sender; nothing staged");
                }
                insert_records(tx, id, records);
                tx.commit();
                return Status();
              });
}

Result<bool> PostgresSagaStaging::adopt(std::string_view from_saga, std::string_view to_saga, std::string_view owner,
                                        std::int64_t expires_at_ms) {
  GIBKIT_RETURN_IF_ERROR(check_text("saga id", from_saga));
  GIBKIT_RETURN_IF_ERROR(check_text("saga id", to_saga));
  GIBKIT_RETURN_IF_ERROR(check_text("owner", owner));
  if (from_saga == to_saga) return false;  // as space-memory: a saga does not adopt itself
  const std::string from(from_saga);
  const std::string to(to_saga);
  const std::string who(owner);
  bool adopted = false;
  GIBKIT_RETURN_IF_ERROR(run_("adoption of saga " + from + " as " + to, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    // The row lock is what two adopters race for: the second waits here
    // until the first commits, then (READ COMMITTED) finds no row.
    const pqxx::result source = tx.exec_params(
        "SELECT owner FROM " + table("staged_sagas") + " WHERE saga_id = $1 FOR UPDATE", from);
    if (source.empty() || source[0][0].as<std::string>() != who || !claim(tx, to, who, expires_at_ms)) {
      tx.abort();
      return Status();
    }
    // Copy then delete rather than UPDATE ... SET saga_id: `to` may hold
    // records already, whose first bytes stay (ON CONFLICT DO NOTHING);
    // deleting `from` cascades to its records.
    tx.exec_params("INSERT INTO " + table("staged_records") + " (saga_id, address, body) SELECT $2, address, body " +
                       "FROM " + table("staged_records") +
                       " WHERE saga_id = $1 ORDER BY address ON CONFLICT (saga_id, address) DO NOTHING",
                   from, to);
    tx.exec_params("DELETE FROM " + table("staged_sagas") + " WHERE saga_id = $1", from);
    tx.commit();
    adopted = true;
    return Status();
  }));
  return adopted;
}

Status PostgresSagaStaging::for_each_staged(std::string_view saga_id,
                                            const std::function<bool(std::string_view, std::string_view)>& visit) {
  if (saga_id.empty() || has_nul(saga_id)) return Status();  // cannot be staged: nothing to visit
  const std::string id(saga_id);
  // A server-side cursor like the space's for_each_record: `fetch_size`
  // rows in memory at a time, one snapshot however long the visitor takes.
  return run_("scan of the staged records of saga " + id, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    tx.exec_params("DECLARE gibkit_staged NO SCROLL CURSOR FOR SELECT address, body FROM " + table("staged_records") +
                       " WHERE saga_id = $1",
                   id);
    const std::string fetch = "FETCH FORWARD " + std::to_string(fetch_size_) + " FROM gibkit_staged";
    for (bool more = true; more;) {
      const pqxx::result page = tx.exec(fetch);
      if (page.empty()) break;
      for (const pqxx::row& row : page) {
        const pqxx::binarystring body(row[1]);
        if (!visit(std::string_view(row[0].c_str(), row[0].size()), std::string_view(body.get(), body.size()))) {
          more = false;
          break;
        }
      }
    }
    tx.commit();  // read only: ends the transaction and closes the cursor
    return Status();
  });
}

Status PostgresSagaStaging::drop(std::string_view saga_id) {
  if (saga_id.empty() || has_nul(saga_id)) return Status();  // cannot be staged: nothing to drop
  const std::string id(saga_id);
  return run_("drop of the staging of saga " + id, [&](pqxx::connection& c) -> Status {
    pqxx::nontransaction tx(c);  // one statement, its own transaction; the records go by cascade
    tx.exec_params("DELETE FROM " + table("staged_sagas") + " WHERE saga_id = $1", id);
    return Status();
  });
}

Result<std::uint64_t> PostgresSagaStaging::reclaim(std::int64_t now_ms) {
  std::uint64_t dropped = 0;
  GIBKIT_RETURN_IF_ERROR(run_("reclaiming staging expired before " + std::to_string(now_ms) + " ms",
                              [&](pqxx::connection& c) -> Status {
    // Each DELETE is its own transaction. SKIP LOCKED: rows another gibd is
    // reclaiming, or a sender is staging into (its upsert holds the row),
    // are skipped, not waited for; the oldest go first.
    const std::string sql = "DELETE FROM " + table("staged_sagas") + " WHERE saga_id IN (SELECT saga_id FROM " +
                            table("staged_sagas") + " WHERE expires_at_ms < $1 ORDER BY expires_at_ms LIMIT " +
                            std::to_string(kReclaimBatch) + " FOR UPDATE SKIP LOCKED)";
    pqxx::nontransaction tx(c);
    for (;;) {
      const pqxx::result deleted = tx.exec_params(sql, now_ms);
      dropped += static_cast<std::uint64_t>(deleted.affected_rows());
      // Fewer than a batch: nothing expired is left that nobody else holds.
      if (deleted.affected_rows() < kReclaimBatch) break;
    }
    return Status();
  }));
  return dropped;
}

}  // namespace gibkit::postgres_space
