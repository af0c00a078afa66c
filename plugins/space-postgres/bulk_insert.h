// Multi-row INSERTs of records, shared by the records table and the sagas'
// staging table (postgres_saga_staging.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "gibkit/space.h"

namespace gibkit::postgres_space {

// Rows per multi-row INSERT or DELETE: 2 parameters a row (plus a saga id)
// stays far below PostgreSQL's 65535 parameters a statement, and a
// 100k-record commit is 100 round trips instead of 100k.
inline constexpr std::size_t kRowsPerStatement = 1000;

// Inserts `records` into `table` as (address, body) rows -- (saga_id,
// address, body) when `saga_id` is given, the same id in every row --
// kRowsPerStatement a statement, skipping rows whose `conflict` key is
// taken (content addressed: the first bytes stay). Sorted by address
// (stably: of two records of one address the first stays) so that
// concurrent writers of overlapping batches take their row locks in one
// order. Bodies go in binary: no escaping.
inline void insert_rows(pqxx::work& tx, const std::string& table, const std::string& conflict,
                        const std::vector<StoredRecord>& records, const std::string* saga_id = nullptr) {
  std::vector<const StoredRecord*> sorted;
  sorted.reserve(records.size());
  for (const StoredRecord& r : records) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->address < b->address; });
  const std::size_t first = saga_id != nullptr ? 2 : 1;  // the number of the first address parameter
  for (std::size_t begin = 0; begin < sorted.size(); begin += kRowsPerStatement) {
    const std::size_t n = std::min(kRowsPerStatement, sorted.size() - begin);
    std::vector<std::string> addresses;
    std::vector<pqxx::binarystring> bodies;
    addresses.reserve(n);
    bodies.reserve(n);
    std::string sql = "INSERT INTO " + table + (saga_id != nullptr ? " (saga_id, address, body)" : " (address, body)") +
                      " VALUES ";
    for (std::size_t i = 0; i < n; ++i) {
      const StoredRecord& r = *sorted[begin + i];
      addresses.push_back(r.address);
      bodies.emplace_back(r.json_text.data(), r.json_text.size());
      sql += (i == 0 ? "(" : ", (") + std::string(saga_id != nullptr ? "$1, " : "") + "$" + std::to_string(first + i) +
             ", $" + std::to_string(first + n + i) + ")";
    }
    sql += " ON CONFLICT (" + conflict + ") DO NOTHING";
    if (saga_id != nullptr) {
      tx.exec_params(sql, *saga_id, pqxx::prepare::make_dynamic_params(addresses),
                     pqxx::prepare::make_dynamic_params(bodies));
    } else {
      tx.exec_params(sql, pqxx::prepare::make_dynamic_params(addresses), pqxx::prepare::make_dynamic_params(bodies));
    }
  }
}

}  // namespace gibkit::postgres_space
