// plugins/space-leveldb/batch_reserve.h: a reserved batch is an empty batch
// that does not grow while the reserved bytes are put, and encodes and
// applies exactly as an unreserved one.
#include "batch_reserve.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

namespace {

namespace fs = std::filesystem;

// 2,000 records of 3 KiB: ~6 MiB, past the size where reserve() acts.
constexpr int kRecords = 2000;
std::string key_of(int i) { return "r:stone " + std::to_string(i) + "^" + std::string(64, 'A' + i % 26); }
std::string value_of(int i) { return std::string(3072, static_cast<char>('a' + i % 26)) + std::to_string(i); }

void put_all(leveldb::WriteBatch& batch) {
  for (int i = 0; i < kRecords; ++i) batch.Put(key_of(i), value_of(i));
}

std::size_t encoded_size_of_all() {
  std::size_t bytes = 12;  // LevelDB's batch header: sequence and count
  for (int i = 0; i < kRecords; ++i) {
    bytes += gibkit_space_leveldb::encoded_put_size(key_of(i).size(), value_of(i).size());
  }
  return bytes;
}

TEST(BatchReserve, EncodedPutSizeIsLevelDbsEncoding) {
  leveldb::WriteBatch batch;
  const std::size_t empty = batch.ApproximateSize();
  batch.Put(std::string(5, 'k'), std::string(200, 'v'));  // one- and two-byte varint lengths
  EXPECT_EQ(batch.ApproximateSize() - empty, gibkit_space_leveldb::encoded_put_size(5, 200));
  EXPECT_EQ(encoded_size_of_all(), [] {
    leveldb::WriteBatch all;
    put_all(all);
    return all.ApproximateSize();
  }());
}

TEST(BatchReserve, AReservedBatchIsEmptyAndEncodesAsAnUnreservedOne) {
  leveldb::WriteBatch reserved;
  gibkit_space_leveldb::reserve(reserved, encoded_size_of_all());
  EXPECT_EQ(reserved.ApproximateSize(), leveldb::WriteBatch().ApproximateSize());  // empty
  put_all(reserved);
  leveldb::WriteBatch plain;
  put_all(plain);
  EXPECT_EQ(reserved.ApproximateSize(), plain.ApproximateSize());

  const fs::path dir = fs::temp_directory_path() / ("gibkit-batch-reserve-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(options, dir.string(), &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  ASSERT_TRUE(db->Write(leveldb::WriteOptions(), &reserved).ok());
  std::string value;
  for (int i : {0, 1, kRecords / 2, kRecords - 1}) {
    ASSERT_TRUE(db->Get(leveldb::ReadOptions(), key_of(i), &value).ok()) << i;
    EXPECT_EQ(value, value_of(i));
  }
  EXPECT_TRUE(db->Get(leveldb::ReadOptions(), "", &value).IsNotFound());  // the reserving Put left nothing
  db.reset();
  fs::remove_all(dir);
}

}  // namespace
