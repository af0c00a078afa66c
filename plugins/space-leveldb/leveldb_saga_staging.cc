#include "leveldb_saga_staging.h"

#include <leveldb/write_batch.h>

#include <charconv>
#include <memory>
#include <optional>

namespace gibkit_space_leveldb {
namespace {

using gibkit::Result;
using gibkit::Status;

constexpr std::string_view kSagaPrefix = "s:";
constexpr std::string_view kStagedPrefix = "t:";

std::string saga_key(std::string_view saga_id) { return std::string(kSagaPrefix).append(saga_id); }

// "t:<saga>\0": a saga id never holds NUL, so no saga's range contains
// another's ("ab" and "abc" differ at the NUL).
std::string staged_prefix(std::string_view saga_id) {
  std::string k(kStagedPrefix);
  k.append(saga_id);
  k.push_back('\0');
  return k;
}

std::string staged_key(std::string_view saga_id, std::string_view address) {
  return staged_prefix(saga_id).append(address);
}

std::string row_value(std::int64_t expires_at_ms, std::string_view owner) {
  return std::to_string(expires_at_ms).append(" ").append(owner);
}

leveldb::Slice slice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

Status from_leveldb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status();
  if (s.IsCorruption()) return gibkit::data_loss(what + ": storage is corrupt: " + s.ToString());
  return gibkit::unavailable(what + ": " + s.ToString());
}

Status check_id(std::string_view saga_id) {
  if (saga_id.empty() || saga_id.find('\0') != std::string_view::npos) {
    return gibkit::invalid_argument("staging: a saga id must be non-empty and hold no NUL");
  }
  return {};
}

// Staging is not the durable record of anything (docs: header).
leveldb::WriteOptions unsynced() {
  leveldb::WriteOptions options;
  options.sync = false;
  return options;
}

}  // namespace

Result<std::optional<LevelDbSagaStaging::SagaRow>> LevelDbSagaStaging::row(std::string_view saga_id) {
  std::string value;
  leveldb::Status s = db_.Get(leveldb::ReadOptions(), saga_key(saga_id), &value);
  if (s.IsNotFound()) return std::optional<SagaRow>();
  if (!s.ok()) return from_leveldb(s, "LevelDB read of staged saga " + std::string(saga_id));
  const std::size_t space = value.find(' ');
  SagaRow parsed;
  if (space == std::string::npos ||
      std::from_chars(value.data(), value.data() + space, parsed.expires_at_ms).ec != std::errc()) {
    return gibkit::data_loss("LevelDB: staged saga " + std::string(saga_id) + " has a malformed row");
  }
  parsed.owner = value.substr(space + 1);
  return std::optional<SagaRow>(std::move(parsed));
}

Status LevelDbSagaStaging::scan_saga(
    std::string_view saga_id,
    const std::function<bool(std::string_view, std::string_view, std::string_view)>& visit) {
  const std::string prefix = staged_prefix(saga_id);
  std::unique_ptr<leveldb::Iterator> it(db_.NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (!visit(key, key.substr(prefix.size()), std::string_view(it->value().data(), it->value().size()))) break;
  }
  return from_leveldb(it->status(), "LevelDB scan of staged saga " + std::string(saga_id));
}

Status LevelDbSagaStaging::stage(std::string_view saga_id, std::string_view owner, std::int64_t expires_at_ms,
                                 const std::vector<gibkit::StoredRecord>& records) {
  GIBKIT_RETURN_IF_ERROR(check_id(saga_id));
  if (owner.empty()) return gibkit::invalid_argument("staging: empty owner");
  std::lock_guard lock(write_mutex_);
  GIBKIT_ASSIGN_OR_RETURN(std::optional<SagaRow> existing, row(saga_id));
  if (existing && existing->owner != owner) {
    return gibkit::failed_precondition("staging: saga " + std::string(saga_id) + " belongs to another sender");
  }
  leveldb::WriteBatch batch;
  batch.Put(saga_key(saga_id), row_value(expires_at_ms, owner));
  for (const gibkit::StoredRecord& record : records) {
    const std::string key = staged_key(saga_id, record.address);
    std::string ignored;
    leveldb::Status s = db_.Get(leveldb::ReadOptions(), key, &ignored);
    if (s.ok()) continue;  // the first bytes stay
    if (!s.IsNotFound()) return from_leveldb(s, "LevelDB read of a staged record");
    batch.Put(key, record.json_text);
  }
  return from_leveldb(db_.Write(unsynced(), &batch), "LevelDB staging of saga " + std::string(saga_id));
}

Result<bool> LevelDbSagaStaging::adopt(std::string_view from_saga, std::string_view to_saga, std::string_view owner,
                                       std::int64_t expires_at_ms) {
  GIBKIT_RETURN_IF_ERROR(check_id(from_saga));
  GIBKIT_RETURN_IF_ERROR(check_id(to_saga));
  if (from_saga == to_saga) return false;
  std::lock_guard lock(write_mutex_);
  GIBKIT_ASSIGN_OR_RETURN(std::optional<SagaRow> from, row(from_saga));
  if (!from || from->owner != owner) return false;
  GIBKIT_ASSIGN_OR_RETURN(std::optional<SagaRow> to, row(to_saga));
  if (to && to->owner != owner) return false;
  leveldb::WriteBatch batch;
  Status moved = scan_saga(from_saga, [&](std::string_view key, std::string_view address, std::string_view text) {
    batch.Delete(slice(key));
    const std::string target = staged_key(to_saga, address);
    std::string ignored;
    if (to && db_.Get(leveldb::ReadOptions(), target, &ignored).ok()) return true;  // the first bytes stay
    batch.Put(target, slice(text));
    return true;
  });
  GIBKIT_RETURN_IF_ERROR(moved);
  batch.Delete(saga_key(from_saga));
  batch.Put(saga_key(to_saga), row_value(expires_at_ms, owner));
  GIBKIT_RETURN_IF_ERROR(from_leveldb(db_.Write(unsynced(), &batch), "LevelDB adoption of saga " + std::string(from_saga)));
  return true;
}

Status LevelDbSagaStaging::for_each_staged(std::string_view saga_id,
                                           const std::function<bool(std::string_view, std::string_view)>& visit) {
  GIBKIT_RETURN_IF_ERROR(check_id(saga_id));
  return scan_saga(saga_id, [&](std::string_view, std::string_view address, std::string_view text) {
    return visit(address, text);
  });
}

Status LevelDbSagaStaging::drop(std::string_view saga_id) {
  GIBKIT_RETURN_IF_ERROR(check_id(saga_id));
  std::lock_guard lock(write_mutex_);
  return drop_locked(saga_id);
}

Status LevelDbSagaStaging::drop_locked(std::string_view saga_id) {
  leveldb::WriteBatch batch;
  GIBKIT_RETURN_IF_ERROR(
      scan_saga(saga_id, [&](std::string_view key, std::string_view, std::string_view) {
        batch.Delete(slice(key));
        return true;
      }));
  batch.Delete(saga_key(saga_id));
  return from_leveldb(db_.Write(unsynced(), &batch), "LevelDB drop of staged saga " + std::string(saga_id));
}

Result<std::uint64_t> LevelDbSagaStaging::reclaim(std::int64_t now_ms) {
  // Few sagas are staged at once (the staging limits bound them), so a scan
  // of the rows is cheap; each expired saga goes in a batch of its own.
  // Under the lock throughout, so that no saga is staged into between being
  // found expired and dropped.
  std::lock_guard lock(write_mutex_);
  std::vector<std::string> expired;
  std::unique_ptr<leveldb::Iterator> it(db_.NewIterator(leveldb::ReadOptions()));
  for (it->Seek(slice(kSagaPrefix)); it->Valid() && it->key().starts_with(slice(kSagaPrefix)); it->Next()) {
    const std::string_view id(it->key().data() + kSagaPrefix.size(), it->key().size() - kSagaPrefix.size());
    GIBKIT_ASSIGN_OR_RETURN(std::optional<SagaRow> parsed, row(id));
    if (parsed && parsed->expires_at_ms < now_ms) expired.emplace_back(id);
  }
  GIBKIT_RETURN_IF_ERROR(from_leveldb(it->status(), "LevelDB scan of staged sagas"));
  it.reset();
  for (const std::string& id : expired) GIBKIT_RETURN_IF_ERROR(drop_locked(id));
  return static_cast<std::uint64_t>(expired.size());
}

}  // namespace gibkit_space_leveldb
