// The staging area holds staged records itself (not in the staging space),
// shares a record between the sagas that staged it, and a failed commit
// leaves a saga's records staged (gibkit/saga/staging_area.h).
#include <algorithm>
#include <functional>
#include <utility>

#include <gtest/gtest.h>

#include "gibkit/record_graph.h"
#include "gibkit/saga/staging_area.h"
#include "forwarding_space.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

std::unique_ptr<Space> memory_space() {
  Result<std::unique_ptr<Space>> space = load_plugin("space-memory")->create_space(json::Object{});
  EXPECT_TRUE(space.ok()) << space.status().to_string();
  return space.ok() ? std::move(*space) : nullptr;
}

class StagingAreaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    staging = memory_space();
    durable = memory_space();
    ASSERT_TRUE(staging && durable);
    std::string previous;
    for (int i = 0; i < 20; ++i) {
      json::Object rel8ns;
      if (!previous.empty()) rel8ns.set("previous", json::Array{previous});
      IbGib stone = make_stone("item", json::Object{{"i", i}}, std::move(rel8ns));
      previous = stone.address();
      chain.push_back(Payload::of(stone));
    }
  }

  std::unique_ptr<Space> staging, durable;
  std::vector<Payload> chain;
};

TEST_F(StagingAreaTest, RecordsWaitInTheAreaNotInTheStagingSpace) {
  StagingArea area(*staging, *durable);
  StagedRecords held;
  ASSERT_TRUE(area.stage(chain, held).ok());
  EXPECT_EQ(record_count(*staging), 0u);
  std::size_t bytes = 0;
  for (const Payload& payload : chain) bytes += payload.json_text.size();
  EXPECT_EQ(area.staged_bytes(), bytes);
  StagedView view = area.view(held);
  std::size_t visited = 0;
  ASSERT_TRUE(view.for_each_record([&](std::string_view address, std::string_view text) {
                    ++visited;
                    auto it = std::find_if(chain.begin(), chain.end(),
                                           [&](const Payload& payload) { return payload.address == address; });
                    EXPECT_TRUE(it != chain.end() && it->json_text == text) << address;
                    return true;
                  }).ok());
  EXPECT_EQ(visited, chain.size());
  ASSERT_TRUE(area.commit(held, {{"some-timeline^ABC", chain.back().address, std::string()}}).ok());
  for (const Payload& payload : chain) EXPECT_EQ(*durable->get(payload.address), payload.json_text);
  EXPECT_TRUE(held.empty());
  EXPECT_EQ(area.staged_bytes(), 0u);
}

// Two sagas stage the same records: both read them, and a record stays
// until the last of them releases it.
TEST_F(StagingAreaTest, ARecordStagedByTwoSagasStaysUntilBothReleaseIt) {
  StagingArea area(*durable);
  StagedRecords first, second;
  ASSERT_TRUE(area.stage(chain, first).ok());
  ASSERT_TRUE(area.stage(chain, second).ok());
  EXPECT_EQ(first.size(), chain.size());
  EXPECT_EQ(first, second);
  const std::size_t bytes = area.staged_bytes();
  ASSERT_TRUE(area.release(first).ok());
  EXPECT_EQ(area.staged_bytes(), bytes);
  for (const Payload& payload : chain) {
    auto text = area.view(second).get(payload.address);
    ASSERT_TRUE(text.ok() && text->has_value()) << payload.address;
    EXPECT_EQ(**text, payload.json_text);
  }
  ASSERT_TRUE(area.release(second).ok());
  EXPECT_EQ(area.staged_bytes(), 0u);
  auto gone = area.get(chain.front().address);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

// With a reclaimer, a commit's leftovers are freed by a deferred task, and
// counted (reclaiming_bytes) until it runs, so the staging limits still see
// them; the staged bytes and the records' durability do not wait for it.
TEST_F(StagingAreaTest, ACommitsLeftoversAreCountedUntilTheDeferredTaskFreesThem) {
  StagingArea area(*durable);
  std::vector<std::function<void()>> deferred;
  area.set_reclaimer([&](std::function<void()> task) { deferred.push_back(std::move(task)); });
  StagedRecords held;
  ASSERT_TRUE(area.stage(chain, held).ok());
  const std::size_t bytes = area.staged_bytes();
  ASSERT_GT(bytes, 0u);
  ASSERT_TRUE(area.commit(held, {{"some-timeline^ABC", chain.back().address, std::string()}}).ok());
  EXPECT_EQ(record_count(*durable), chain.size());
  EXPECT_EQ(area.staged_bytes(), 0u);
  ASSERT_EQ(deferred.size(), 1u);
  EXPECT_EQ(area.reclaiming_bytes(), bytes);
  deferred.front()();
  EXPECT_EQ(area.reclaiming_bytes(), 0u);
  // A failed commit defers nothing: its records stay staged.
  StagedRecords again;
  ASSERT_TRUE(area.stage(chain, again).ok());
  EXPECT_FALSE(area.commit(again, {{"some-timeline^ABC", chain.back().address, std::string("elsewhere^XYZ")}}).ok());
  EXPECT_EQ(deferred.size(), 1u);
  EXPECT_EQ(area.reclaiming_bytes(), 0u);
  ASSERT_TRUE(area.release(again).ok());
}

// A commit whose head moved writes nothing and keeps the saga's records
// staged: the same set commits once the head is right.
TEST_F(StagingAreaTest, AFailedCommitKeepsTheRecordsStaged) {
  StagingArea area(*durable);
  StagedRecords held;
  ASSERT_TRUE(area.stage(chain, held).ok());
  Status moved = area.commit(held, {{"some-timeline^ABC", chain.back().address, std::string("elsewhere^XYZ")}});
  EXPECT_EQ(moved.code(), StatusCode::kAborted) << moved.to_string();
  EXPECT_EQ(record_count(*durable), 0u);
  EXPECT_EQ(held.size(), chain.size());
  ASSERT_TRUE(area.commit(held, {{"some-timeline^ABC", chain.back().address, std::string()}}).ok());
  EXPECT_EQ(record_count(*durable), chain.size());
  EXPECT_EQ(*durable->head("some-timeline^ABC"), chain.back().address);
}

// A saga large enough that its relations are checked on a thread of their
// own (kCheckRelationsAsideFrom) while the batch is collected: an incomplete
// graph still writes nothing, and the texts collected meanwhile are given
// back, so the saga commits once the missing record is staged.
TEST_F(StagingAreaTest, AnIncompleteGraphOfALargeSagaWritesNothingAndKeepsItsRecords) {
  StagingArea area(*durable);
  std::vector<Payload> many;
  const IbGib missing = make_stone("never sent", json::Object{{"i", -1}}, json::Object{});
  std::string previous = missing.address();
  for (int i = 0; i < 5000; ++i) {
    IbGib stone = make_stone("item", json::Object{{"i", i}}, json::Object{{"previous", json::Array{previous}}});
    previous = stone.address();
    many.push_back(Payload::of(stone));
  }
  StagedRecords held;
  ASSERT_TRUE(area.stage(many, held).ok());
  Status refused = area.commit(held, {{"many^ABC", many.back().address, std::string()}});
  EXPECT_EQ(refused.code(), StatusCode::kNotFound) << refused.to_string();
  EXPECT_NE(refused.message().find("incomplete graph"), std::string::npos) << refused.to_string();
  EXPECT_NE(refused.message().find(missing.address()), std::string::npos) << refused.to_string();
  EXPECT_EQ(record_count(*durable), 0u);
  EXPECT_FALSE(durable->head("many^ABC")->has_value());
  for (const Payload& payload : {many.front(), many.back()}) EXPECT_EQ(*area.get(payload.address), payload.json_text);
  ASSERT_TRUE(area.stage(std::vector<Payload>{Payload::of(missing)}, held).ok());
  ASSERT_TRUE(area.commit(held, {{"many^ABC", many.back().address, std::string()}}).ok());
  EXPECT_EQ(record_count(*durable), many.size() + 1);
}

// While a saga's commit is being written, the texts only it held are in its
// write batch; another saga staging the same records then (here: from inside
// the write) still gets them, whether that commit succeeds or fails.
class StagingDuringWrite : public ForwardingSpace {
 public:
  StagingDuringWrite(Space& inner, std::function<void()> during, bool fail)
      : ForwardingSpace(inner), during_(std::move(during)), fail_(fail) {}
  Status write(const WriteBatch& batch) override {
    if (during_) std::exchange(during_, nullptr)();
    if (fail_) return unavailable("the disk is gone");
    return inner_.write(batch);
  }

 private:
  std::function<void()> during_;
  bool fail_;
};

TEST_F(StagingAreaTest, ASagaStagingRecordsBeingCommittedByAnotherGetsThem) {
  for (bool fail : {false, true}) {
    SCOPED_TRACE(fail ? "the commit fails" : "the commit succeeds");
    std::unique_ptr<Space> inner = memory_space();
    StagedRecords first, second;
    StagingArea* area_ptr = nullptr;
    StagingDuringWrite durable_during(*inner, [&] { ASSERT_TRUE(area_ptr->stage(chain, second).ok()); }, fail);
    StagingArea area(durable_during);
    area_ptr = &area;
    ASSERT_TRUE(area.stage(chain, first).ok());
    Status committed = area.commit(first, {{"some-timeline^ABC", chain.back().address, std::string()}});
    EXPECT_EQ(committed.ok(), !fail) << committed.to_string();
    EXPECT_EQ(second.size(), chain.size());
    for (const Payload& payload : chain) {
      auto text = area.view(second).get(payload.address);
      ASSERT_TRUE(text.ok() && text->has_value()) << payload.address;
      EXPECT_EQ(**text, payload.json_text);
      if (fail) {
        auto own = area.view(first).get(payload.address);
        ASSERT_TRUE(own.ok() && own->has_value()) << payload.address;
        EXPECT_EQ(**own, payload.json_text);
      }
    }
    ASSERT_TRUE(area.release(first).ok());
    ASSERT_TRUE(area.release(second).ok());
    EXPECT_EQ(area.staged_bytes(), 0u);
  }
}

}  // namespace
}  // namespace gibkit::saga::testing
