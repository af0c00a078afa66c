// space-leveldb's pack files (plugins/space-leveldb/pack_files.h), through
// the plugin as the node loads it: what a large write leaves on disk, and
// what the space does after a crash, a corrupt or missing pack, and erases.
// Every other clause of the Space contract runs over the packed
// configuration in tests/space_conformance ("space_leveldb_packed").
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "support/temp_dir.h"

namespace gibkit {
namespace {

namespace fs = std::filesystem;
using kernel::LoadedPlugin;

StoredRecord record(int i) {
  const std::string ib = "stone " + std::to_string(i);
  return StoredRecord{ib + "^gib", R"({"ib":")" + ib + R"(","gib":"gib","data":{"text":")" +
                                       std::string(1000, static_cast<char>('a' + i % 26)) + R"("}})"};
}

std::vector<fs::path> pack_files(const fs::path& db) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(db / "packs", ec)) out.push_back(entry.path());
  return out;
}

class PackFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = LoadedPlugin::load(fs::path(GIBKIT_PLUGIN_DIR) / "libgibkit-space-leveldb.so");
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    plugin_ = *loaded;
  }

  // pack_min_bytes 10,000: ten records or more go to a pack, fewer stay in
  // LevelDB.
  Result<std::unique_ptr<Space>> open() {
    json::Object config;
    config.set("path", json::Value(db().string()));
    config.set("create_if_missing", json::Value(true));
    config.set("pack_min_bytes", json::Value(10000));
    return plugin_->create_space(config);
  }
  std::unique_ptr<Space> open_ok() {
    auto space = open();
    EXPECT_TRUE(space.ok()) << space.status().to_string();
    return space.ok() ? std::move(*space) : nullptr;
  }
  fs::path db() const { return dir_.path() / "db"; }

  static WriteBatch puts(int from, int to) {
    WriteBatch batch;
    for (int i = from; i < to; ++i) batch.puts.push_back(record(i));
    return batch;
  }

  testing::TempDir dir_;
  std::shared_ptr<LoadedPlugin> plugin_;
};

TEST_F(PackFiles, ALargeWriteGoesToOnePackAndReadsBackAfterReopening) {
  {
    auto space = open_ok();
    ASSERT_TRUE(space->write(puts(0, 3)).ok());     // ~3 KB: LevelDB's own
    ASSERT_TRUE(space->write(puts(3, 103)).ok());   // ~100 KB: a pack
  }
  ASSERT_EQ(pack_files(db()).size(), 1u);
  EXPECT_GT(fs::file_size(pack_files(db())[0]), 100u * 1000);
  auto space = open_ok();
  for (int i = 0; i < 103; ++i) {
    auto got = space->get(record(i).address);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    ASSERT_TRUE(got->has_value()) << i;
    EXPECT_EQ(**got, record(i).json_text);
  }
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(space->for_each_record([&](std::string_view a, std::string_view t) {
                     seen.emplace(a, t);
                     return true;
                   }).ok());
  ASSERT_EQ(seen.size(), 103u);
  for (int i = 0; i < 103; ++i) EXPECT_EQ(seen[record(i).address], record(i).json_text);
}

TEST_F(PackFiles, APackOfMoreRecordsThanOneWritevTakesIsWhole) {
  {
    auto space = open_ok();
    ASSERT_TRUE(space->write(puts(0, 2500)).ok());  // IOV_MAX is 1,024 on Linux
  }
  auto space = open_ok();
  for (int i : {0, 1023, 1024, 2047, 2048, 2499}) {
    auto got = space->get(record(i).address);
    ASSERT_TRUE(got.ok() && got->has_value()) << i << ": " << got.status().to_string();
    EXPECT_EQ(**got, record(i).json_text) << i;
  }
  std::size_t bytes = 8;  // the header
  for (int i = 0; i < 2500; ++i) bytes += record(i).json_text.size();
  EXPECT_EQ(fs::file_size(pack_files(db())[0]), bytes);
}

TEST_F(PackFiles, AStoredRecordIsNotPackedAgainAndTheFirstPutOfABatchWins) {
  auto space = open_ok();
  ASSERT_TRUE(space->write(puts(0, 20)).ok());
  WriteBatch again = puts(0, 20);  // all stored: nothing new to pack
  ASSERT_TRUE(space->write(again).ok());
  EXPECT_EQ(pack_files(db()).size(), 1u);
  WriteBatch twice = puts(20, 40);
  StoredRecord other = record(20);
  other.json_text = R"({"ib":"stone 20","gib":"gib","data":"second"})";
  twice.puts.push_back(other);
  ASSERT_TRUE(space->write(twice).ok());
  EXPECT_EQ(*space->get(record(20).address), record(20).json_text);
  // The second pack counts its 20 records, not 21: erasing them removes it.
  ASSERT_EQ(pack_files(db()).size(), 2u);
  WriteBatch erase;
  for (int i = 20; i < 40; ++i) erase.erases.push_back(record(i).address);
  ASSERT_TRUE(space->write(erase).ok());
  EXPECT_EQ(pack_files(db()).size(), 1u);
}

// The pack is started before the records are looked up; when some turn out
// to be stored, it is replaced by one of the missing records only.
TEST_F(PackFiles, AWriteOfPartlyStoredRecordsPacksOnlyTheMissingOnes) {
  auto space = open_ok();
  ASSERT_TRUE(space->write(puts(0, 5)).ok());  // below pack_min_bytes: in LevelDB
  ASSERT_TRUE(pack_files(db()).empty());
  ASSERT_TRUE(space->write(puts(0, 40)).ok());
  const std::vector<fs::path> files = pack_files(db());
  ASSERT_EQ(files.size(), 1u);
  std::size_t bytes = 8;  // the header
  for (int i = 5; i < 40; ++i) bytes += record(i).json_text.size();
  EXPECT_EQ(fs::file_size(files[0]), bytes);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(*space->get(record(i).address), record(i).json_text) << i;
  ASSERT_TRUE(space->write(puts(0, 40)).ok());  // all stored: no pack at all
  EXPECT_EQ(pack_files(db()).size(), 1u);
}

TEST_F(PackFiles, TextsStartingWithATagByteRoundTrip) {
  // Not records, but the contract takes any non-empty text: the stored
  // form escapes the two bytes that mark a location.
  auto space = open_ok();
  const std::string zero("\x00zero", 5);
  const std::string one("\x01one", 4);
  ASSERT_TRUE(space->write(WriteBatch{{{"z^gib", zero}, {"o^gib", one}}, {}, {}}).ok());
  EXPECT_EQ(*space->get("z^gib"), zero);
  EXPECT_EQ(*space->get("o^gib"), one);
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(space->for_each_record([&](std::string_view a, std::string_view t) {
                     seen.emplace(a, t);
                     return true;
                   }).ok());
  EXPECT_EQ(seen["z^gib"], zero);
  EXPECT_EQ(seen["o^gib"], one);
}

TEST_F(PackFiles, APackNoBatchRegisteredIsRemovedAtOpen) {
  {
    auto space = open_ok();
    ASSERT_TRUE(space->write(puts(0, 20)).ok());
  }
  // The crash: a write's pack on disk, the process gone before its batch.
  const fs::path orphan = db() / "packs" / "7.pack";
  fs::copy_file(pack_files(db())[0], orphan);
  auto space = open_ok();
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_EQ(pack_files(db()).size(), 1u);
  EXPECT_EQ(*space->get(record(5).address), record(5).json_text);
  // The next number is past every file the directory held, registered or not.
  ASSERT_TRUE(space->write(puts(20, 40)).ok());
  EXPECT_TRUE(fs::exists(db() / "packs" / "8.pack"));
}

TEST_F(PackFiles, ACorruptRecordInAPackIsDataLossNamingThePack) {
  {
    auto space = open_ok();
    ASSERT_TRUE(space->write(puts(0, 20)).ok());
  }
  const fs::path pack = pack_files(db())[0];
  {
    std::fstream f(pack, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 40);  // inside the first record
    f.put('#');
  }
  auto space = open_ok();
  auto first = space->get(record(0).address);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(first.status().message().find(pack.string()), std::string::npos) << first.status().to_string();
  EXPECT_EQ(*space->get(record(1).address), record(1).json_text);  // the others are whole
  const Status scanned = space->for_each_record([](std::string_view, std::string_view) { return true; });
  EXPECT_EQ(scanned.code(), StatusCode::kDataLoss) << scanned.to_string();
}

TEST_F(PackFiles, ARegisteredPackCutShortOrMissingFailsTheOpen) {
  {
    auto space = open_ok();
    ASSERT_TRUE(space->write(puts(0, 20)).ok());
  }
  const fs::path pack = pack_files(db())[0];
  fs::resize_file(pack, fs::file_size(pack) - 1);
  auto cut = open();
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(cut.status().message().find(pack.string()), std::string::npos) << cut.status().to_string();
  fs::remove(pack);
  auto missing = open();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kDataLoss) << missing.status().to_string();
}

TEST_F(PackFiles, APackGoesWhenTheLastRecordInItIsErased) {
  auto space = open_ok();
  ASSERT_TRUE(space->write(puts(0, 20)).ok());
  ASSERT_TRUE(space->write(puts(20, 40)).ok());
  ASSERT_EQ(pack_files(db()).size(), 2u);
  WriteBatch most;
  for (int i = 0; i < 19; ++i) most.erases.push_back(record(i).address);
  ASSERT_TRUE(space->write(most).ok());
  EXPECT_EQ(pack_files(db()).size(), 2u);  // one record still points into the first
  EXPECT_EQ(*space->get(record(19).address), record(19).json_text);
  WriteBatch last;
  last.erases.push_back(record(19).address);
  last.erases.push_back(record(19).address);  // named twice, it leaves the pack once
  ASSERT_TRUE(space->write(last).ok());
  ASSERT_EQ(pack_files(db()).size(), 1u);
  EXPECT_FALSE(space->get(record(19).address)->has_value());
  EXPECT_EQ(*space->get(record(30).address), record(30).json_text);
  space.reset();
  auto reopened = open_ok();  // the registration went with the file
  EXPECT_EQ(*reopened->get(record(30).address), record(30).json_text);
}

// Readers take no write lock: one that has read a location while the
// batch erasing its record is written still reads the text (the file goes
// only once no read is under way), never a missing pack.
TEST_F(PackFiles, ReadsRacingTheEraseOfAPacksLastRecordSeeTheTextOrNothing) {
  auto space = open_ok();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::string first_failure;
  std::thread reader([&] {
    while (!done.load()) {
      auto got = space->get(record(7).address);
      if (!got.ok() || (got->has_value() && **got != record(7).json_text)) {
        if (failures.fetch_add(1) == 0) first_failure = got.ok() ? "wrong text" : got.status().to_string();
      }
    }
  });
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(space->write(puts(0, 20)).ok());
    WriteBatch erase;
    for (int i = 0; i < 20; ++i) erase.erases.push_back(record(i).address);
    ASSERT_TRUE(space->write(erase).ok());
  }
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  // A removal the reader put off is made by the next write.
  ASSERT_TRUE(space->write(WriteBatch{}).ok());
  EXPECT_TRUE(pack_files(db()).empty());
}

TEST_F(PackFiles, APutErasedInTheSameBatchIsNeitherStoredNorPacked) {
  auto space = open_ok();
  WriteBatch batch = puts(0, 20);
  for (int i = 0; i < 20; ++i) batch.erases.push_back(record(i).address);
  ASSERT_TRUE(space->write(batch).ok());
  EXPECT_TRUE(pack_files(db()).empty());
  EXPECT_FALSE(space->get(record(3).address)->has_value());
}

}  // namespace
}  // namespace gibkit
