// Staging past the spill threshold goes to a space on disk, and a commit
// larger than the threshold is written in dependency order, its head moves
// last (gibkit/saga/staging_area.h).
#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gibkit/record_graph.h"
#include "gibkit/saga/staging_area.h"
#include "forwarding_space.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

std::unique_ptr<Space> require_space(Result<std::unique_ptr<Space>> space) {
  EXPECT_TRUE(space.ok()) << space.status().to_string();
  return space.ok() ? std::move(*space) : nullptr;
}

// Records every batch written, so a test can check what each left behind.
class RecordingSpace : public ForwardingSpace {
 public:
  explicit RecordingSpace(Space& inner) : ForwardingSpace(inner) {}
  Status write(const WriteBatch& batch) override {
    batches.push_back(batch);
    return inner_.write(batch);
  }
  std::vector<WriteBatch> batches;
};

class StagingSpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("gibkit_spill_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    staging = require_space(load_plugin("space-memory")->create_space(json::Object{}));
    durable_inner = require_space(load_plugin("space-memory")->create_space(json::Object{}));
    spill = require_space(load_plugin("space-leveldb")->create_space(
        json::Object{{"path", dir.string()}, {"create_if_missing", true}}));
    ASSERT_TRUE(staging && durable_inner && spill);
    durable = std::make_unique<RecordingSpace>(*durable_inner);
    // A chain of stones, each relating the one before: a graph whose order matters.
    std::string previous;
    for (int i = 0; i < 200; ++i) {
      json::Object rel8ns;
      if (!previous.empty()) rel8ns.set("previous", json::Array{previous});
      IbGib stone = make_stone("item", json::Object{{"i", i}, {"text", std::string(400, 'x')}}, std::move(rel8ns));
      Payload payload = Payload::of(stone);
      payload.related = stone.all_rel8d();
      previous = stone.address();
      chain.push_back(std::move(payload));
    }
  }
  void TearDown() override {
    spill.reset();
    std::filesystem::remove_all(dir);
  }

  std::filesystem::path dir;
  std::unique_ptr<Space> staging, durable_inner, spill;
  std::unique_ptr<RecordingSpace> durable;
  std::vector<Payload> chain;
};

TEST_F(StagingSpillTest, PayloadsPastTheThresholdGoToTheSpillAndReadBackFromIt) {
  StagingArea area(*staging, *durable, spill.get(), 10 * 1024);
  StagedRecords held;
  ASSERT_TRUE(area.stage(chain, held).ok());
  EXPECT_EQ(held.size(), chain.size());
  EXPECT_GT(area.spilled_bytes(), 0u);
  EXPECT_LE(area.staged_bytes() - area.spilled_bytes(), 10u * 1024);  // the memory tier stays under it
  EXPECT_EQ(record_count(*staging), 0u);  // the memory tier is the area's own
  EXPECT_GT(record_count(*spill), 0u);
  EXPECT_LT(record_count(*spill), chain.size());
  StagedView view = area.view(held);
  for (const Payload& payload : {chain.front(), chain.back()}) {
    auto text = view.get(payload.address);
    ASSERT_TRUE(text.ok() && text->has_value());
    EXPECT_EQ(**text, payload.json_text);
  }
  ASSERT_TRUE(area.release(held).ok());
  EXPECT_EQ(area.staged_bytes(), 0u);
  EXPECT_EQ(record_count(*spill), 0u);
}

// Staged newest first (the worst order): each batch the commit writes must
// only relate records already durable or in that batch, and the head moves
// in the last one.
TEST_F(StagingSpillTest, ALargeCommitWritesInDependencyOrderWithTheHeadLast) {
  StagingArea area(*staging, *durable, spill.get(), 10 * 1024);
  StagedRecords held;
  std::vector<Payload> reversed(chain.rbegin(), chain.rend());
  ASSERT_TRUE(area.stage(reversed, held).ok());
  const std::vector<HeadUpdate> heads{{"some-timeline^ABC", chain.back().address, std::string()}};
  ASSERT_TRUE(area.commit(held, heads).ok());
  ASSERT_GT(durable->batches.size(), 2u);
  std::set<std::string> written;
  for (std::size_t i = 0; i < durable->batches.size(); ++i) {
    const WriteBatch& batch = durable->batches[i];
    for (const StoredRecord& record : batch.puts) written.insert(record.address);
    for (const StoredRecord& record : batch.puts) {
      for (const std::string& related : IbGib::parse(record.json_text)->all_rel8d()) {
        EXPECT_TRUE(written.count(related)) << "batch " << i << " relates " << related << " before it is durable";
      }
    }
    EXPECT_EQ(batch.heads.empty(), i + 1 < durable->batches.size()) << "batch " << i;
  }
  EXPECT_EQ(written.size(), chain.size());
  EXPECT_EQ(*durable->head("some-timeline^ABC"), chain.back().address);
  EXPECT_EQ(area.staged_bytes(), 0u);
  EXPECT_EQ(record_count(*spill), 0u);
}

// The head moved since it was read: nothing is written at all.
TEST_F(StagingSpillTest, ALargeCommitWhoseHeadMovedWritesNothing) {
  StagingArea area(*staging, *durable, spill.get(), 10 * 1024);
  StagedRecords held;
  ASSERT_TRUE(area.stage(chain, held).ok());
  const std::vector<HeadUpdate> heads{{"some-timeline^ABC", chain.back().address, std::string("elsewhere^XYZ")}};
  Status committed = area.commit(held, heads);
  EXPECT_EQ(committed.code(), StatusCode::kAborted) << committed.to_string();
  EXPECT_TRUE(durable->batches.empty());
}

// Under the threshold the commit is still one atomic batch.
TEST_F(StagingSpillTest, ASmallCommitIsOneBatch) {
  StagingArea area(*staging, *durable, spill.get(), 1024 * 1024);
  StagedRecords held;
  ASSERT_TRUE(area.stage(chain, held).ok());
  EXPECT_EQ(area.spilled_bytes(), 0u);
  ASSERT_TRUE(area.commit(held, {{"some-timeline^ABC", chain.back().address, std::string()}}).ok());
  EXPECT_EQ(durable->batches.size(), 1u);
}

// What a previous run left in the spill belongs to no saga: cleared.
TEST_F(StagingSpillTest, LeftoversInTheSpillAreClearedAtStart) {
  {
    StagingArea previous_run(*staging, *durable, spill.get(), 1);
    StagedRecords held;
    ASSERT_TRUE(previous_run.stage(chain, held).ok());
  }  // the node died with the saga open
  EXPECT_EQ(record_count(*spill), chain.size());
  StagingArea area(*staging, *durable, spill.get(), 1);
  ASSERT_TRUE(area.clear_spill().ok());
  EXPECT_EQ(record_count(*spill), 0u);
}

}  // namespace
}  // namespace gibkit::saga::testing
