// Pack files: the texts of a large write kept beside LevelDB, not in it.
//
// Why: LevelDB writes every value twice before a synced write returns (its
// log, with a software CRC32C in Debian's build, and its memtable's copy),
// and later a third time (the level-0 table). A sync of 100k records
// commits ~130 MB in one write, ~330 ms of one core while the peer waits
// (docs/performance.md, round 6). Written to a file of its own instead, the
// same texts cost one sequential write and one fdatasync, on another thread
// while the index of where each one lies is built -- what git's packs,
// WiscKey and Badger's value logs do.
//
// Layout: <db>/packs/<n>.pack holds kPackMagic, then the texts back to back.
// A record's value in LevelDB ("r:" keys) is then a location (below):
// pack, offset, length and an XXH3-64 of the text, checked at every read,
// as LevelDB checks its own blocks. A pack is registered by the key "p:<n>"
// (its size and how many records still point into it) in the very batch
// that writes those locations, after the file is on disk; so
//  * a crash before the batch leaves a file no key names: removed at open;
//  * a registered pack missing or shorter than registered is corruption,
//    reported at open (kDataLoss), as LevelDB's paranoid checks do;
//  * when erases leave no record in a pack, the batch that erases the last
//    one forgets the key and the file is removed after it, once no read is
//    under way (read_guard(); staging spaces erase every record they were
//    given, so their packs do not pile up).
//    Erasing some records of a pack leaves their bytes in it until the
//    last one goes; only the kernel erases, and only from spill spaces.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gibkit/status.h"

namespace gibkit_space_leveldb {

// Where a record's text lies in a pack.
struct PackLocation {
  std::uint64_t pack = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint64_t checksum = 0;  // XXH3-64 of the text
};

// What the "p:<n>" key of a registered pack holds.
struct PackInfo {
  std::uint64_t size = 0;  // bytes of the file, header included
  std::uint64_t live = 0;  // records that still point into it
};

// A record's value as stored under "r:": the text itself unless it is a
// location. A location starts with a byte no record text starts with
// (records are JSON objects, '{'); a text that does start with one of the
// two tag bytes is stored behind a 0x00 escape, so any text round-trips.
inline constexpr std::size_t kPackLocationSize = 33;  // tag, pack, offset, length, checksum
// True when append_stored_text() would escape `text` (and so copy it).
bool needs_escape(std::string_view text);
void append_stored_text(std::string& out, std::string_view text);
void append_location(std::string& out, const PackLocation& location);
struct StoredValue {
  std::string_view text;                // when not packed
  std::optional<PackLocation> packed;   // when packed
};
// kDataLoss when the value is a malformed location.
[[nodiscard]] gibkit::Result<StoredValue> decode_stored_value(std::string_view value);

// The "p:" key of pack `number` and its value.
std::string pack_key(std::uint64_t number);
inline constexpr std::string_view kPackKeyPrefix = "p:";
std::string encode_pack_info(const PackInfo& info);
[[nodiscard]] gibkit::Result<PackInfo> decode_pack_info(std::string_view value);
// The number in a "p:" key (without the prefix); nullopt if it is not one.
std::optional<std::uint64_t> parse_pack_number(std::string_view digits);

std::uint64_t checksum(std::string_view text);

// The pack files of one LevelDB directory. Thread safe; writes are
// serialized by the space's write mutex (one writer at a time).
class PackFiles {
 public:
  // Size of the header every pack starts with; the first text's offset.
  static constexpr std::uint64_t kHeaderSize = 8;

  // Opens <db_path>/packs (made when first needed), given what the "p:"
  // keys register: removes files no key names, checks that every registered
  // file is there and long enough.
  [[nodiscard]] static gibkit::Result<std::unique_ptr<PackFiles>> open(
      const std::string& db_path, const std::map<std::uint64_t, PackInfo>& registered);

  ~PackFiles();
  PackFiles(const PackFiles&) = delete;
  PackFiles& operator=(const PackFiles&) = delete;

  // The number the next write() should use.
  std::uint64_t next_number() const { return next_number_; }

  // Writes `texts` as pack `number` (offsets from kHeaderSize on, in order)
  // and puts it on disk: file data and its directory entry. On failure no
  // file is left. The texts must stay valid during the call.
  [[nodiscard]] gibkit::Status write(std::uint64_t number, const std::vector<std::string_view>& texts);

  // Held by a reader from reading a location in LevelDB until it has read
  // the text: no pack is removed meanwhile, so a location read is never
  // one whose file just went (a scan holds it for its whole snapshot).
  [[nodiscard]] std::shared_lock<std::shared_mutex> read_guard() { return std::shared_lock(removal_); }

  // Removes the file of pack `number`, which no key registers and no
  // location names (a pack written and then not used).
  void discard(std::uint64_t number);

  // Removes the files of `numbers`, packs no key registers any more: now if
  // no reader holds a read_guard(), else at a later call or when this
  // object goes (writes never wait for a scan). Not removed at all (a
  // crash), the next open removes them.
  void remove_unregistered(const std::vector<std::uint64_t>& numbers);

  // The text at `location`, its length and checksum verified (kDataLoss).
  // Call under a read_guard().
  [[nodiscard]] gibkit::Result<std::string> read(const PackLocation& location);

 private:
  struct OpenFile;
  PackFiles(std::string dir, std::uint64_t next_number) : dir_(std::move(dir)), next_number_(next_number) {}
  std::string file_name(std::uint64_t number) const;
  void unlink_pending();  // with `removal_` held exclusively
  [[nodiscard]] gibkit::Status make_dir();
  gibkit::Result<std::shared_ptr<OpenFile>> file(std::uint64_t number);

  const std::string dir_;
  std::uint64_t next_number_;
  // Made and its entry synced in this process: a directory there already
  // may be one a crashed process made and never synced.
  bool dir_made_ = false;
  std::shared_mutex removal_;
  std::vector<std::uint64_t> pending_removal_;  // guarded by the write mutex of the space
  std::mutex mutex_;  // guards open_
  // Packs opened for reading, at most kMaxOpen of them (a node that made
  // thousands of packs must not hold thousands of descriptors).
  static constexpr std::size_t kMaxOpen = 64;
  std::map<std::uint64_t, std::shared_ptr<OpenFile>> open_;
};

// A pack being written on a thread of its own (PackFiles::write) while the
// caller goes on. finish() waits for it: OK, the file is on disk and the
// caller registers it. Never finished (an error on the caller's side, or
// discard()), the file is removed when this goes, so a pack no batch will
// register does not stay. The texts must outlive it.
class PendingPack {
 public:
  PendingPack(PackFiles& files, std::vector<std::string_view> texts);
  ~PendingPack();
  PendingPack(const PendingPack&) = delete;
  PendingPack& operator=(const PendingPack&) = delete;

  std::uint64_t number() const { return number_; }
  [[nodiscard]] gibkit::Status finish();

 private:
  void join();

  PackFiles& files_;
  const std::vector<std::string_view> texts_;
  const std::uint64_t number_;
  gibkit::Status written_;
  std::thread writer_;
  bool finished_ = false;
};

}  // namespace gibkit_space_leveldb
