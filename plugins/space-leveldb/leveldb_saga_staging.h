// The sagas' staging of space-leveldb (gibkit/saga_staging.h), in the same
// LevelDB as the records, under keys of its own:
//   "s:<saga id>"                -> "<expires_at_ms> <owner>"
//   "t:<saga id>\0<address>"     -> the staged record's text
// One node owns a LevelDB directory, so what this buys is not sharing but
// time: what a saga staged outlives the receiving process, and the
// sender's next saga resumes it after a restart (docs/protocol.md,
// "Resume across nodes"). Staging writes are not synced (sync=false):
// they survive the process dying, not the machine; a lost tail shows as
// fewer adopted records than the sender's acknowledged Deltas named, and
// the sender then sends everything again.
#pragma once

#include <leveldb/db.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/saga_staging.h"

namespace gibkit_space_leveldb {

class LevelDbSagaStaging final : public gibkit::SagaStaging {
 public:
  // `write_mutex` is the space's own: every read-modify-write of the DB is
  // serialized under it.
  LevelDbSagaStaging(leveldb::DB& db, std::mutex& write_mutex) : db_(db), write_mutex_(write_mutex) {}

  gibkit::Status stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
                       const std::vector<gibkit::StoredRecord>& records) override;
  gibkit::Result<bool> adopt(std::string_view from_saga, std::string_view to_saga, std::string_view owner,
                             std::int64_t expires_at_ms) override;
  gibkit::Status for_each_staged(std::string_view saga_id,
                                 const std::function<bool(std::string_view, std::string_view)>& visit) override;
  gibkit::Status drop(std::string_view saga_id) override;
  gibkit::Result<std::uint64_t> reclaim(std::int64_t now_ms) override;

 private:
  struct SagaRow {
    std::int64_t expires_at_ms = 0;
    std::string owner;
  };
  // The saga's row, nullopt when there is none. Call under write_mutex_.
  gibkit::Result<std::optional<SagaRow>> row(std::string_view saga_id);
  gibkit::Status drop_locked(std::string_view saga_id);
  // Visits the staged-record keys of one saga (full key, address, text)
  // until `visit` returns false.
  gibkit::Status scan_saga(std::string_view saga_id,
                           const std::function<bool(std::string_view key, std::string_view address,
                                                    std::string_view text)>& visit);

  leveldb::DB& db_;
  std::mutex& write_mutex_;
};

}  // namespace gibkit_space_leveldb
