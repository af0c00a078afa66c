#include "signer_support/secret_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace gibkit::signer_support
