// space-leveldb: a durable Space in a LevelDB directory.
//
// Layout: "r:<address>" -> record JSON text, or where it lies in a pack file
// (pack_files.h: the records of a write of at least `pack_min_bytes` go to
// a file of their own), "p:<n>" -> a registered pack, "h:<timeline>" -> head
// address, and the sagas' staging under "s:" and "t:"
// (leveldb_saga_staging.h). Each write() is one LevelDB WriteBatch written
// with sync=true (after its pack file, if any, is on disk), so records and
// head moves land together and are on disk when write() returns. Writers
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
#include <unordered_set>
#include <vector>

#include "batch_reserve.h"
#include "clean_close.h"
#include "directory_lock.h"
#include "gibkit/plugin.h"
#include "leveldb_saga_staging.h"
#include "pack_files.h"
#include "pread_env.h"

namespace {

using gibkit::Result;
using gibkit::Status;

constexpr std::string_view kRecordPrefix = "r:";
constexpr std::string_view kHeadPrefix = "h:";
// LevelDB's default write buffer: a batch past it overflows the memtable
// anyway, and below it a pack file's create and two syncs cost more than
// LevelDB's own copies.
constexpr double kDefaultPackMinBytes = 4 << 20;

namespace packs = gibkit_space_leveldb;

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
  static Result<std::unique_ptr<gibkit::Space>> open(const std::string& path, bool create_if_missing,
                                                      std::uint64_t pack_min_bytes) {
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
    std::unique_ptr<leveldb::DB> db(raw);
    Result<std::unique_ptr<packs::PackFiles>> pack_files = open_packs(*db, path);
    if (!pack_files.ok()) return pack_files.status();
    return std::unique_ptr<gibkit::Space>(new LevelDbSpace(std::move(db), path, std::move(*lock),
                                                           std::move(*pack_files), pack_min_bytes));
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
    // stored yet are put, the first put of an address in the batch -- and
    // only they count in the batch's reservation (a peer may send many
    // records this node holds already). Puts apply before erases: one the
    // batch also erases is not written at all.
    const std::unordered_set<std::string_view> erased(batch.erases.begin(), batch.erases.end());
    std::unordered_set<std::string_view> seen;
    seen.reserve(batch.puts.size());
    std::vector<const gibkit::StoredRecordView*> candidates;
    candidates.reserve(batch.puts.size());
    std::uint64_t candidate_bytes = 0;
    for (const gibkit::StoredRecordView& record : batch.puts) {
      if (erased.count(record.address) != 0 || !seen.insert(record.address).second) continue;
      candidates.push_back(&record);
      candidate_bytes += record.json_text.size();
    }
    // A large write's pack is started before the lookups below, with every
    // candidate: a peer sends only records this node lacks, so the lookups
    // normally find none and the pack was written meanwhile. If they find
    // some, that pack is discarded and one of the missing records written
    // instead -- no pack ever holds bytes no location points to.
    std::optional<packs::PendingPack> pack;
    if (candidate_bytes >= pack_min_bytes_) pack.emplace(*pack_files_, texts_of(candidates));
    std::vector<const gibkit::StoredRecordView*> missing;
    missing.reserve(candidates.size());
    std::uint64_t missing_bytes = 0;
    for (const gibkit::StoredRecordView* record : candidates) {
      k.assign(kRecordPrefix).append(record->address);
      leveldb::Status s = db_->Get(read_options, slice(k), &existing);
      if (s.IsNotFound()) {
        missing.push_back(record);
        missing_bytes += record->json_text.size();
      } else if (!s.ok()) {
        return from_leveldb(s, "LevelDB read of " + std::string(record->address));
      }
    }
    // An erased record in a pack leaves one record fewer pointing into it;
    // a pack none points into any more is forgotten by this batch and its
    // file removed after it (pack_files.h).
    std::map<std::uint64_t, std::uint64_t> unpointed;  // pack -> records erased from it
    for (std::string_view address : erased) {  // each once, however often the batch names it
      k.assign(kRecordPrefix).append(address);
      leveldb::Status s = db_->Get(read_options, slice(k), &existing);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return from_leveldb(s, "LevelDB read of " + std::string(address));
      GIBKIT_ASSIGN_OR_RETURN(packs::StoredValue value, packs::decode_stored_value(existing));
      if (value.packed) ++unpointed[value.packed->pack];
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> pack_updates;  // nullopt: forget it
    std::vector<std::uint64_t> emptied;
    for (const auto& [number, erased_records] : unpointed) {
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> registered, read_key(packs::pack_key(number)));
      if (!registered) {
        return gibkit::data_loss("storage is corrupt: records point into pack " + std::to_string(number) +
                                 ", which is not registered");
      }
      GIBKIT_ASSIGN_OR_RETURN(packs::PackInfo info, packs::decode_pack_info(*registered));
      if (info.live < erased_records) {
        // More records leave it than it holds: the count is wrong, and so
        // removing the file could take records that still point into it.
        return gibkit::data_loss("storage is corrupt: pack " + std::to_string(number) + " counts " +
                                 std::to_string(info.live) + " records, " + std::to_string(erased_records) +
                                 " of them erased now");
      }
      if (info.live == erased_records) {
        pack_updates.emplace_back(packs::pack_key(number), std::nullopt);
        emptied.push_back(number);
      } else {
        info.live -= erased_records;
        pack_updates.emplace_back(packs::pack_key(number), packs::encode_pack_info(info));
      }
    }
    const bool to_pack = !missing.empty() && missing_bytes >= pack_min_bytes_;
    if (pack && missing.size() != candidates.size()) pack.reset();  // discarded: it holds stored records
    if (to_pack && !pack) pack.emplace(*pack_files_, texts_of(missing));
    if (!to_pack) pack.reset();
    std::size_t bytes = 64;  // LevelDB's header, and room to spare
    for (const gibkit::StoredRecordView* record : missing) {
      const std::size_t value_size = to_pack ? packs::kPackLocationSize : record->json_text.size() + 1;
      bytes += gibkit_space_leveldb::encoded_put_size(kRecordPrefix.size() + record->address.size(), value_size);
    }
    for (const auto& [timeline, head] : new_heads) {
      bytes += gibkit_space_leveldb::encoded_put_size(kHeadPrefix.size() + timeline.size(), head.size());
    }
    for (std::string_view address : batch.erases) {
      bytes += gibkit_space_leveldb::encoded_put_size(kRecordPrefix.size() + address.size(), 0);
    }
    gibkit_space_leveldb::reserve(out, bytes);
    if (to_pack) {
      GIBKIT_RETURN_IF_ERROR(put_packed(missing, *pack, out));
    } else {
      for (const gibkit::StoredRecordView* record : missing) {
        k.assign(kRecordPrefix).append(record->address);
        if (packs::needs_escape(record->json_text)) {
          existing.clear();
          packs::append_stored_text(existing, record->json_text);
          out.Put(slice(k), slice(existing));
        } else {
          out.Put(slice(k), slice(record->json_text));
        }
      }
    }
    for (std::string_view address : batch.erases) {
      k.assign(kRecordPrefix).append(address);
      out.Delete(slice(k));
    }
    for (const auto& [pack, info] : pack_updates) {
      if (info) {
        out.Put(pack, *info);
      } else {
        out.Delete(pack);
      }
    }
    for (const auto& [timeline, head] : new_heads) out.Put(key(kHeadPrefix, timeline), head);
    leveldb::WriteOptions options;
    options.sync = true;
    // A failed write leaves a new pack file in place: LevelDB may still have
    // logged the batch that names it. If it did not, nothing names the file
    // and the next open removes it.
    GIBKIT_RETURN_IF_ERROR(from_leveldb(db_->Write(options, &out), "LevelDB write"));
    pack_files_->remove_unregistered(emptied);
    return Status();
  }

  Result<std::optional<std::string>> get(std::string_view address) override {
    const auto guard = pack_files_->read_guard();  // the location read stays readable
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> value, read(kRecordPrefix, address));
    if (!value) return value;
    GIBKIT_ASSIGN_OR_RETURN(packs::StoredValue stored, packs::decode_stored_value(*value));
    if (stored.packed) {
      Result<std::string> text = pack_files_->read(*stored.packed);
      if (!text.ok()) return text.status().with_context("LevelDB read of " + std::string(address));
      return std::optional<std::string>(std::move(*text));
    }
    if (stored.text.size() != value->size()) value->erase(0, 1);  // the escape
    return value;
  }

  // A location is as good as the text: has() reads no pack.
  Result<bool> has(std::string_view address) override {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> value, read(kRecordPrefix, address));
    return value.has_value();
  }

  Result<std::optional<std::string>> head(std::string_view timeline) override { return read(kHeadPrefix, timeline); }

  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    Status failed;
    std::string text;
    const auto guard = pack_files_->read_guard();  // every pack of the scan's snapshot stays
    GIBKIT_RETURN_IF_ERROR(scan(kRecordPrefix, [&](std::string_view address, std::string_view value) {
      Result<packs::StoredValue> stored = packs::decode_stored_value(value);
      if (!stored.ok()) {
        failed = stored.status().with_context("LevelDB scan at " + std::string(address));
        return false;
      }
      if (!stored->packed) return visit(address, stored->text);
      Result<std::string> packed = pack_files_->read(*stored->packed);
      if (!packed.ok()) {
        failed = packed.status().with_context("LevelDB scan at " + std::string(address));
        return false;
      }
      text = std::move(*packed);
      return visit(address, text);
    }));
    return failed;
  }

  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return scan(kHeadPrefix, visit);
  }

  gibkit::SagaStaging* saga_staging() override { return &staging_; }

 private:
  LevelDbSpace(std::unique_ptr<leveldb::DB> db, std::string path, gibkit_space_leveldb::DirectoryLock lock,
               std::unique_ptr<packs::PackFiles> pack_files, std::uint64_t pack_min_bytes)
      : lock_(std::move(lock)),
        path_(std::move(path)),
        pack_min_bytes_(pack_min_bytes),
        db_(std::move(db)),
        pack_files_(std::move(pack_files)),
        staging_(*db_, write_mutex_) {}

  // The packs the "p:" keys register, handed to PackFiles::open, which
  // removes the files of writes that never registered theirs.
  static Result<std::unique_ptr<packs::PackFiles>> open_packs(leveldb::DB& db, const std::string& path) {
    std::map<std::uint64_t, packs::PackInfo> registered;
    leveldb::ReadOptions options;
    options.verify_checksums = true;
    std::unique_ptr<leveldb::Iterator> it(db.NewIterator(options));
    const leveldb::Slice prefix = slice(packs::kPackKeyPrefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string_view digits(it->key().data() + prefix.size(), it->key().size() - prefix.size());
      const std::optional<std::uint64_t> number = packs::parse_pack_number(digits);
      if (!number) return gibkit::data_loss("storage is corrupt: a pack key names no pack: " + std::string(digits));
      GIBKIT_ASSIGN_OR_RETURN(packs::PackInfo info,
                              packs::decode_pack_info(std::string_view(it->value().data(), it->value().size())));
      registered.emplace(*number, info);
    }
    GIBKIT_RETURN_IF_ERROR(from_leveldb(it->status(), "LevelDB scan of the packs of " + path));
    return packs::PackFiles::open(path, registered);
  }

  static std::vector<std::string_view> texts_of(const std::vector<const gibkit::StoredRecordView*>& records) {
    std::vector<std::string_view> texts;
    texts.reserve(records.size());
    for (const gibkit::StoredRecordView* record : records) texts.push_back(record->json_text);
    return texts;
  }

  // The locations of `missing` in `pack` (being written, their texts in
  // this order) go into `out` -- the checksums are most of that work --,
  // then, once the file is on disk, the pack's registration.
  static Status put_packed(const std::vector<const gibkit::StoredRecordView*>& missing, packs::PendingPack& pack,
                           leveldb::WriteBatch& out) {
    const std::uint64_t number = pack.number();
    std::string k;
    std::string location;
    packs::PackLocation at{.pack = number, .offset = packs::PackFiles::kHeaderSize};
    for (const gibkit::StoredRecordView* record : missing) {
      at.length = record->json_text.size();
      at.checksum = packs::checksum(record->json_text);
      location.clear();
      packs::append_location(location, at);
      k.assign(kRecordPrefix).append(record->address);
      out.Put(slice(k), slice(location));
      at.offset += at.length;
    }
    GIBKIT_RETURN_IF_ERROR(pack.finish());
    out.Put(packs::pack_key(number), packs::encode_pack_info({.size = at.offset, .live = missing.size()}));
    return Status();
  }

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
    return read_key(key(prefix, name));
  }

  Result<std::optional<std::string>> read_key(const std::string& full_key) {
    std::string value;
    leveldb::ReadOptions options;
    options.verify_checksums = true;
    leveldb::Status s = db_->Get(options, full_key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return from_leveldb(s, "LevelDB read of " + full_key);
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
  const std::uint64_t pack_min_bytes_;
  std::mutex write_mutex_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<packs::PackFiles> pack_files_;
  gibkit_space_leveldb::LevelDbSagaStaging staging_;  // after db_: it refers to it
};

gibkit::PluginSpec<gibkit::Space> leveldb_space_plugin() {
  return {
      .name = "space-leveldb",
      .version = "1.1.0",  // 1.1: pack files (a 1.0 reads their locations as texts)
      .description = "Durable records and heads in a LevelDB directory (atomic, synced batches)",
      .config =
          {
              {.key = "path", .type = gibkit::ConfigType::kPath, .required = true,
               .description = "LevelDB directory (one space instance per directory)", .persists_state = true},
              {.key = "create_if_missing", .type = gibkit::ConfigType::kBoolean,
               .default_value = gibkit::json::Value(true),
               .description = "create the directory and database when absent"},
              {.key = "pack_min_bytes", .type = gibkit::ConfigType::kInteger,
               .default_value = gibkit::json::Value(kDefaultPackMinBytes),
               .description = "a write whose new records total at least this many bytes keeps their texts in a "
                              "pack file of its own, not in LevelDB's log and tables (1: every write)",
               .min = 1, .max = 1099511627776.0},  // 1 TiB: past it, never
          },
      .create = [](const gibkit::json::Object& config) -> Result<std::unique_ptr<gibkit::Space>> {
        GIBKIT_ASSIGN_OR_RETURN(std::string path, gibkit::json::get_string(config, "path"));
        GIBKIT_ASSIGN_OR_RETURN(bool create_if_missing, gibkit::json::get_bool(config, "create_if_missing"));
        // Absent when the config did not pass the kernel's schema defaults
        // (a host calling create_space directly): the default then.
        double pack_min_bytes = kDefaultPackMinBytes;
        if (config.contains("pack_min_bytes")) {
          GIBKIT_ASSIGN_OR_RETURN(pack_min_bytes, gibkit::json::get_number(config, "pack_min_bytes"));
        }
        if (!(pack_min_bytes >= 1 && pack_min_bytes <= 1099511627776.0)) {
          return gibkit::invalid_argument("space-leveldb: 'pack_min_bytes' is not between 1 and 2^40");
        }
        if (path.empty()) return gibkit::invalid_argument("space-leveldb: 'path' is empty");
        return LevelDbSpace::open(path, create_if_missing, static_cast<std::uint64_t>(pack_min_bytes));
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(leveldb_space_plugin)
