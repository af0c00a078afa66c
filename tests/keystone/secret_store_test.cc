#include "signer_support/secret_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "signer_testing.h"

namespace gibkit::signer_support {
namespace {

namespace fs = std::filesystem;
using signer_testing::TempDir;

const Secret kSecret = {1, 2, 3, 4, 250};
const std::string kIdentity = "ABCDEF0123";

TEST(SecretStoreTest, MemoryStoreRoundTrips) {
  SecretStore store;
  EXPECT_EQ(store.get(kIdentity).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store.put(kIdentity, kSecret).ok());
  EXPECT_EQ(*store.get(kIdentity), kSecret);
  EXPECT_EQ(store.put(kIdentity, kSecret).code(), StatusCode::kAlreadyExists);
}

TEST(SecretStoreTest, DirectoryStoreWritesOwnerOnlyFileAndReadsItBack) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path() / "secrets");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  ASSERT_TRUE((*store)->put(kIdentity, kSecret).ok());
  const fs::path file = dir.path() / "secrets" / (kIdentity + ".secret");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() / "secrets"), fs::directory_iterator()), 1);
  EXPECT_EQ(*(*store)->get(kIdentity), kSecret);
  EXPECT_EQ((*store)->put(kIdentity, Secret{9}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*(*store)->get(kIdentity), kSecret);  // not overwritten

  // A second store over the same directory (a restart) finds the secret.
  auto reopened = SecretStore::open_directory(dir.path() / "secrets");
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->get(kIdentity), kSecret);
}

TEST(SecretStoreTest, RefusesFilesReadableByOthers) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->put(kIdentity, kSecret).ok());
  const fs::path file = dir.path() / (kIdentity + ".secret");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  const auto got = (*store)->get(kIdentity);
  EXPECT_EQ(got.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(got.status().message().find("chmod 600"), std::string::npos);
}

TEST(SecretStoreTest, ReportsCorruptFilesAndRejectsPathLikeIdentities) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  const fs::path file = dir.path() / "BAD.secret";
  std::ofstream(file) << "not hex\n";
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_EQ((*store)->get("BAD").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ((*store)->put("../escape", kSecret).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->get("a/b").status().code(), StatusCode::kInvalidArgument);
}

TEST(SecretStoreTest, ErrorsNeverContainTheSecret) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->put(kIdentity, kSecret).ok());
  ASSERT_EQ(::chmod((dir.path() / (kIdentity + ".secret")).c_str(), 0640), 0);
  const Status s = (*store)->get(kIdentity).status();
  EXPECT_EQ(s.message().find("01020304fa"), std::string::npos);
}

// The latest frame a signer made (signer_support/own_frames.h): replaced on
// every turn, unlike the secret.
const std::string kHead1 = "keystone^" + std::string(64, 'A') + "." + kIdentity + std::string(54, '0');
const std::string kHead2 = "keystone^" + std::string(64, 'B') + "." + kIdentity + std::string(54, '0');

TEST(SecretStoreTest, MemoryStoreKeepsTheLatestHead) {
  SecretStore store;
  EXPECT_EQ(store.get_head(kIdentity).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store.put_head(kIdentity, kHead1).ok());
  ASSERT_TRUE(store.put_head(kIdentity, kHead2).ok());
  EXPECT_EQ(*store.get_head(kIdentity), kHead2);
  EXPECT_EQ(store.put_head(kIdentity, "not an address").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store.get_head(kIdentity), kHead2);
}

TEST(SecretStoreTest, DirectoryStoreReplacesTheHeadFileAtomically) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_EQ((*store)->get_head(kIdentity).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE((*store)->put_head(kIdentity, kHead1).ok());
  ASSERT_TRUE((*store)->put_head(kIdentity, kHead2).ok());
  const fs::path file = dir.path() / (kIdentity + ".head");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // One file, no temporary left behind, holding the address and a newline.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, kHead2 + "\n");
  auto reopened = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->get_head(kIdentity), kHead2);
  EXPECT_EQ((*store)->put_head("../escape", kHead1).code(), StatusCode::kInvalidArgument);
}

// The frame's JSON is kept with its address (one file, one rename), so that
// a signer can hand the frame out again to a caller that lost it (issue
// #10); a record of the older format (the address alone) has no frame.
TEST(SecretStoreTest, KeepsTheHeadFrameBesideItsAddress) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  const std::string frame = R"({"ib":"keystone","gib":"x"})";
  ASSERT_TRUE((*store)->put_head(kIdentity, kHead1, frame).ok());
  const fs::path file = dir.path() / (kIdentity + ".head");
  {
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, kHead1 + "\n" + frame + "\n");
  }
  auto reopened = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->get_head(kIdentity), kHead1);
  EXPECT_EQ(*(*reopened)->get_head_frame(kIdentity), frame);
  EXPECT_EQ((*store)->put_head(kIdentity, kHead2, "{\n}").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*store)->put_head(kIdentity, kHead2).ok());
  EXPECT_EQ(*(*store)->get_head(kIdentity), kHead2);
  EXPECT_EQ((*store)->get_head_frame(kIdentity).status().code(), StatusCode::kNotFound);

  SecretStore memory;
  EXPECT_EQ(memory.get_head_frame(kIdentity).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(memory.put_head(kIdentity, kHead1, frame).ok());
  EXPECT_EQ(*memory.get_head_frame(kIdentity), frame);
}

// Whoever can rewrite the head can choose the frame the signer evolves, so
// the file gets the same checks as the secret.
TEST(SecretStoreTest, RefusesHeadFilesOthersCouldHaveWritten) {
  const TempDir dir("gibkit-secrets");
  auto store = SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->put_head(kIdentity, kHead1).ok());
  const fs::path file = dir.path() / (kIdentity + ".head");
  ASSERT_EQ(::chmod(file.c_str(), 0620), 0);
  const auto loose = (*store)->get_head(kIdentity);
  EXPECT_EQ(loose.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos);
  fs::remove(file);
  fs::create_symlink(dir.path() / "elsewhere", file);
  EXPECT_FALSE((*store)->get_head(kIdentity).ok());
  fs::remove(file);
  std::ofstream(file) << "not an address\n";
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_EQ((*store)->get_head(kIdentity).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gibkit::signer_support
