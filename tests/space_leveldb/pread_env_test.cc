// plugins/space-leveldb/pread_env.h: LevelDB reads its table files through
// the Env (a DB big enough to have compacted tables, read back after a
// reopen), and the Env's files report short reads and errors precisely.
#include "pread_env.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

class PreadEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gibkit-pread-env-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<leveldb::DB> open_db() {
    leveldb::Options options;
    options.create_if_missing = true;
    options.paranoid_checks = true;
    options.write_buffer_size = 64 * 1024;  // many small tables, soon compacted
    options.env = gibkit_space_leveldb::pread_env();
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, (dir_ / "db").string(), &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::unique_ptr<leveldb::DB>(raw);
  }

  static std::string value_of(int i) { return std::string(4096, static_cast<char>('a' + i % 26)) + std::to_string(i); }

  fs::path dir_;
};

TEST_F(PreadEnvTest, ADbReadsBackItsCompactedTables) {
  constexpr int kRecords = 1000;  // ~4 MiB in 64 KiB memtables: tens of tables
  {
    std::unique_ptr<leveldb::DB> db = open_db();
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "k" + std::to_string(i), value_of(i)).ok());
    }
    db->CompactRange(nullptr, nullptr);  // reads every table through the Env
  }
  int tables = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_ / "db")) {
    if (entry.path().extension() == ".ldb") ++tables;
  }
  EXPECT_GE(tables, 2);  // the reads below cross files, not one memtable

  std::unique_ptr<leveldb::DB> db = open_db();
  ASSERT_NE(db, nullptr);
  leveldb::ReadOptions read;
  read.verify_checksums = true;
  for (int i = 0; i < kRecords; ++i) {
    std::string value;
    ASSERT_TRUE(db->Get(read, "k" + std::to_string(i), &value).ok()) << i;
    ASSERT_EQ(value, value_of(i)) << i;
  }
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(read));
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++seen;
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, kRecords);
}

TEST_F(PreadEnvTest, AReadPastTheEndIsShortAndOk) {
  const std::string file = (dir_ / "ten").string();
  std::ofstream(file) << "0123456789";
  leveldb::RandomAccessFile* raw = nullptr;
  ASSERT_TRUE(gibkit_space_leveldb::pread_env()->NewRandomAccessFile(file, &raw).ok());
  std::unique_ptr<leveldb::RandomAccessFile> f(raw);
  std::vector<char> scratch(64);
  leveldb::Slice result;
  ASSERT_TRUE(f->Read(4, 64, &result, scratch.data()).ok());
  EXPECT_EQ(result.ToString(), "456789");
  ASSERT_TRUE(f->Read(10, 8, &result, scratch.data()).ok());
  EXPECT_EQ(result.size(), 0u);
}

TEST_F(PreadEnvTest, AMissingFileIsAnIoErrorNamingIt) {
  const std::string file = (dir_ / "absent.ldb").string();
  leveldb::RandomAccessFile* raw = reinterpret_cast<leveldb::RandomAccessFile*>(1);
  leveldb::Status s = gibkit_space_leveldb::pread_env()->NewRandomAccessFile(file, &raw);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(file), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("No such file"), std::string::npos) << s.ToString();
  EXPECT_EQ(raw, nullptr);
}

}  // namespace
