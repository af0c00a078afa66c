// space-leveldb: a durable Space in a LevelDB directory.
//
// Layout: "r:<address>" -> record JSON text, "h:<timeline>" -> head address,
// and the sagas' staging under "s:" and "t:" (leveldb_saga_staging.h).
// Each write() is one LevelDB WriteBatch written with sync=true, so records
// and head moves land together and are on disk when write() returns. Writers
// are serialized by a mutex, which makes the read-then-write of a head
// compare-and-swap sound; readers go straight to LevelDB.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batch_reserve.h"
#include "clean_close.h"
#include "directory_lock.h"
#include "gibkit/plugin.h"
#include "leveldb_saga_staging.h"
#include "pread_env.h"

namespace {

using gibkit::Result;
using gibkit::Status;

constexpr std::string_view kRecordPrefix = "r:";
constexpr std::string_view kHeadPrefix = "h:";

std::string key(std::string_view prefix, std::string_view name) {
  std::string k(prefix);
  k.append(name);
  return k;
}

leveldb::Slice slice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

Status from_leveldb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status();
  if (s.IsCorruption()) return gibkit::data_loss(what + ": storage is corrupt: " + s.ToString());
  if (s.IsNotFound()) return gibkit::not_found(what + ": " + s.ToString());
  if (s.IsInvalidArgument()) return gibkit::invalid_argument(what + ": " + s.ToString());
  return gibkit::unavailable(what + ": " + s.ToString());
}

// One 8 MiB block cache (LevelDB's default size) for every DB in the
// process, not 8 MiB each. With pread the cache is where read blocks live
// (LevelDB reads an uncompressed block of a mapped file in place and does
// not cache it), so it is now anonymous memory that fills; a node with a
// durable space and a spill would hold two.
// Never destroyed: a DB still open at exit may use it.
leveldb::Cache* shared_block_cache() {
  static leveldb::Cache* const cache = leveldb::NewLRUCache(8 << 20);
  return cache;
}

// A Bloom filter per table, so that looking up an address a table does not
// hold costs no block read. Content addresses are random, so every level-0
// table overlaps every key: without filters a read probes each of them, and
// the "do I hold it" checks of a receiver (write_view) all miss. 10 bits a
// key, ~1 % false positives, as LevelDB's documentation suggests.
// Never destroyed, like the cache: tables of an open DB refer to it.
const leveldb::FilterPolicy* shared_bloom_filter() {
  static const leveldb::FilterPolicy* const policy = leveldb::NewBloomFilterPolicy(10);
  return policy;
}

class LevelDbSpace final : public gibkit::Space {
 public:
  static Result<std::unique_ptr<gibkit::Space>> open(const std::string& path, bool create_if_missing) {
    if (create_if_missing) {
      // LevelDB creates only the last path component; make the parents too.
      std::error_code ec;
      std::filesystem::create_directories(path, ec);
      if (ec) return gibkit::unavailable("cannot create LevelDB directory " + path + ": " + ec.message());
    }
    leveldb::Options options;
    options.create_if_missing = create_if_missing;
    options.paranoid_checks = true;  // surface corruption at open rather than mid-sync
    // Each `gib` command opens the space in a process of its own. Without
    // this, every open turns the last process's log into a new level-0 table,
    // and every fourth open starts a compaction that rewrites the tables it
    // overlaps (all of them, for content addresses) while the command runs:
    // a fifth of `gib sync`'s CPU at 10k records (docs/performance.md). With
    // it, the log and its memtable go on being used until the memtable is
    // full -- but only after a clean close (clean_close.h: LevelDB would
    // append after a torn record that a crash left).
    // Our lock first: the mark is read and the log reused under it
    // (directory_lock.h). A directory not there yet has neither.
    std::optional<gibkit_space_leveldb::DirectoryLock> lock;
    if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
      GIBKIT_ASSIGN_OR_RETURN(gibkit_space_leveldb::DirectoryLock taken,
                              gibkit_space_leveldb::DirectoryLock::take(path));
      lock.emplace(std::move(taken));
    }
    options.reuse_logs = lock.has_value() && gibkit_space_leveldb::take_clean_close_mark(path);
    // Table files read with pread, not mapped: mapped pages count in RSS and
    // grew with the data a sync reads back (pread_env.h).
    options.env = gibkit_space_leveldb::pread_env();
    options.block_cache = shared_block_cache();
    options.filter_policy = shared_bloom_filter();
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, path, &raw);
    if (!s.ok()) {
      const std::string text = s.ToString();
      if (s.IsIOError() && text.find("lock") != std::string::npos) {
        return gibkit::unavailable("LevelDB directory " + path +
                                   " is locked: another process (or another space instance) has it open (" + text +
                                   ")");
      }
      if (s.IsInvalidArgument() && !create_if_missing) {
        return gibkit::not_found("LevelDB directory " + path + " does not exist and create_if_missing is false (" +
                                 text + ")");
      }
      return from_leveldb(s, "cannot open LevelDB directory " + path);
    }
    if (!lock) {  // LevelDB made the directory: ours now, before anything is written
      Result<gibkit_space_leveldb::DirectoryLock> taken = gibkit_space_leveldb::DirectoryLock::take(path);
      if (!taken.ok()) {
        delete raw;
        return taken.status();
      }
      lock.emplace(std::move(*taken));
    }
    return std::unique_ptr<gibkit::Space>(
        new LevelDbSpace(std::unique_ptr<leveldb::DB>(raw), path, std::move(*lock)));
  }

  Status write(const gibkit::WriteBatch& batch) override {
    gibkit::WriteBatchView view;
    view.puts.reserve(batch.puts.size());
    for (const gibkit::StoredRecord& r : batch.puts) view.puts.push_back({r.address, r.json_text});
    view.heads.reserve(batch.heads.size());
    for (const gibkit::HeadUpdate& h : batch.heads) {
      view.heads.push_back({h.timeline, h.head, h.expected_head ? std::optional<std::string_view>(*h.expected_head)
                                                                : std::nullopt});
    }
    view.erases.assign(batch.erases.begin(), batch.erases.end());
    return write_view(view);
  }

  // The plugin ABI hands the kernel's batch over as views (SpaceExport::write);
  // they go straight into LevelDB's batch, without the copy into a
  // gibkit::WriteBatch that write() would need first (the whole commit, ~13
  // MiB at 10k records; 6 % of a sync's receiver CPU, docs/performance.md).
  Status write_view(const gibkit::WriteBatchView& batch) override {
    GIBKIT_RETURN_IF_ERROR(gibkit::check_write_batch(batch));
    std::lock_guard lock(write_mutex_);
    leveldb::WriteBatch out;
    // Heads first: a failed compare-and-swap must leave nothing written.
    std::map<std::string, std::string, std::less<>> new_heads;
    for (const gibkit::HeadUpdateView& update : batch.heads) {
      if (update.expected_head) {
        std::string current;
        if (auto it = new_heads.find(update.timeline); it != new_heads.end()) {
          current = it->second;
        } else {
          GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> stored, read(kHeadPrefix, update.timeline));
          current = stored.value_or("");
        }
        if (current != *update.expected_head) {
          return gibkit::aborted("head of " + std::string(update.timeline) + " is '" + current + "', expected '" +
                                 std::string(*update.expected_head) + "'");
        }
      }
      new_heads.insert_or_assign(std::string(update.timeline), std::string(update.head));
    }
    // One key buffer and one value buffer for the whole batch, not two
    // allocations a record.
    std::string k;
    std::string existing;
    leveldb::ReadOptions read_options;
    read_options.verify_checksums = true;
    // Content addressed: the first stored bytes stay, so only records not
    // stored yet are put -- and only they count in the batch's reservation
    // (a peer may send many records this node holds already).
    std::vector<const gibkit::StoredRecordView*> missing;
    missing.reserve(batch.puts.size());
    for (const gibkit::StoredRecordView& record : batch.puts) {
      k.assign(kRecordPrefix).append(record.address);
      leveldb::Status s = db_->Get(read_options, slice(k), &existing);
      if (s.IsNotFound()) {
        missing.push_back(&record);
      } else if (!s.ok()) {
        return from_leveldb(s, "LevelDB read of " + std::string(record.address));
      }
    }
    std::size_t bytes = 64;  // LevelDB's header, and room to spare
    for (const gibkit::StoredRecordView* record : missing) {
      bytes += gibkit_space_leveldb::encoded_put_size(kRecordPrefix.size() + record->address.size(),
                                                      record->json_text.size());
    }
    for (const auto& [timeline, head] : new_heads) {
      bytes += gibkit_space_leveldb::encoded_put_size(kHeadPrefix.size() + timeline.size(), head.size());
    }
    for (std::string_view address : batch.erases) {
      bytes += gibkit_space_leveldb::encoded_put_size(kRecordPrefix.size() + address.size(), 0);
    }
    gibkit_space_leveldb::reserve(out, bytes);
    for (const gibkit::StoredRecordView* record : missing) {
      k.assign(kRecordPrefix).append(record->address);
      out.Put(slice(k), slice(record->json_text));
    }
    for (std::string_view address : batch.erases) {
      k.assign(kRecordPrefix).append(address);
      out.Delete(slice(k));
    }
    for (const auto& [timeline, head] : new_heads) out.Put(key(kHeadPrefix, timeline), head);
    leveldb::WriteOptions options;
    options.sync = true;
    return from_leveldb(db_->Write(options, &out), "LevelDB write");
  }

  Result<std::optional<std::string>> get(std::string_view address) override { return read(kRecordPrefix, address); }

  Result<bool> has(std::string_view address) override {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> value, read(kRecordPrefix, address));
    return value.has_value();
  }

  Result<std::optional<std::string>> head(std::string_view timeline) override { return read(kHeadPrefix, timeline); }

  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return scan(kRecordPrefix, visit);
  }

  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return scan(kHeadPrefix, visit);
  }

  gibkit::SagaStaging* saga_staging() override { return &staging_; }

 private:
  LevelDbSpace(std::unique_ptr<leveldb::DB> db, std::string path, gibkit_space_leveldb::DirectoryLock lock)
      : lock_(std::move(lock)), path_(std::move(path)), db_(std::move(db)), staging_(*db_, write_mutex_) {}

 public:
  // A clean close (clean_close.h): an empty synced write puts the log on
  // disk with everything before it (staging writes are not synced; if the
  // memtable is full the write starts a new log, which is then the synced
  // one the mark names), then the DB closes and the mark says the log may
  // be reused. If the write fails (a background error) there is no mark.
  // The directory lock is released after this body, once the mark is left.
  ~LevelDbSpace() override {
    leveldb::WriteBatch nothing;
    leveldb::WriteOptions synced;
    synced.sync = true;
    const bool flushed = db_->Write(synced, &nothing).ok();
    db_.reset();  // staging_, destroyed after this, never uses it again
    if (flushed) gibkit_space_leveldb::leave_clean_close_mark(path_);
  }

 private:

  Result<std::optional<std::string>> read(std::string_view prefix, std::string_view name) {
    std::string value;
    leveldb::ReadOptions options;
    options.verify_checksums = true;
    leveldb::Status s = db_->Get(options, key(prefix, name), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return from_leveldb(s, "LevelDB read of " + std::string(name));
    return std::optional<std::string>(std::move(value));
  }

  // Visits one key range from a consistent snapshot (the iterator's).
  Status scan(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& visit) {
    leveldb::ReadOptions options;
    options.verify_checksums = true;
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
    for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
      std::string_view k(it->key().data() + prefix.size(), it->key().size() - prefix.size());
      if (!visit(k, std::string_view(it->value().data(), it->value().size()))) break;
    }
    return from_leveldb(it->status(), "LevelDB scan");
  }

  gibkit_space_leveldb::DirectoryLock lock_;  // first: released last
  const std::string path_;
  std::mutex write_mutex_;
  std::unique_ptr<leveldb::DB> db_;
  gibkit_space_leveldb::LevelDbSagaStaging staging_;  // after db_: it refers to it
};

gibkit::PluginSpec<gibkit::Space> leveldb_space_plugin() {
  return {
      .name = "space-leveldb",
      .version = "1.0.0",
      .description = "Durable records and heads in a LevelDB directory (atomic, synced batches)",
      .config =
          {
              {.key = "path", .type = gibkit::ConfigType::kPath, .required = true,
               .description = "LevelDB directory (one space instance per directory)", .persists_state = true},
              {.key = "create_if_missing", .type = gibkit::ConfigType::kBoolean,
               .default_value = gibkit::json::Value(true),
               .description = "create the directory and database when absent"},
          },
      .create = [](const gibkit::json::Object& config) -> Result<std::unique_ptr<gibkit::Space>> {
        GIBKIT_ASSIGN_OR_RETURN(std::string path, gibkit::json::get_string(config, "path"));
        GIBKIT_ASSIGN_OR_RETURN(bool create_if_missing, gibkit::json::get_bool(config, "create_if_missing"));
        if (path.empty()) return gibkit::invalid_argument("space-leveldb: 'path' is empty");
        return LevelDbSpace::open(path, create_if_missing);
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(leveldb_space_plugin)
