// Shared staging (SyncServices::shared_staging, docs/protocol.md "Resume"):
// two receivers, Bob-1 and Bob-2, share one space that keeps sagas' staging
// (space-memory, or space-postgres under postgres.saga_suites; loaded as a
// plugin and used through its C table, as gibd uses it). A saga Alice broke with Bob-1 resumes on Bob-2; what
// a node that died staged is reclaimed by the other; only the domain that
// staged a saga can adopt it; a receiver that lost part of it gets
// everything again.
#include <gtest/gtest.h>

#include "gibkit/record_graph.h"
#include "gibkit/saga_staging.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

class SharedStagingTest : public ::testing::Test {
 protected:
  static constexpr int kPatches = 2500;  // a frame and its dna each: ~5k records

  void SetUp() override {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    shared = require_space();
    ASSERT_NE(shared, nullptr);
    SyncOptions options;
    options.max_message_bytes = 16 * 1024;  // ~2% of the sync per Delta: the cut lands near 50%
    alice = make_node("alice-shared" + suffix, options);
    bob1 = make_node("bob1-shared" + suffix, options, "signer-keystone", "", shared.get());
    bob2 = make_node("bob2-shared" + suffix, options, "signer-keystone", "", shared.get());
    ASSERT_TRUE(alice && bob1 && bob2);
    enroll(*alice, *bob1);
    enroll(*alice, *bob2);
    notes = std::make_unique<TimelineBuilder>(*alice, "notes", /*linked=*/true);
    for (int i = 0; i < kPatches; ++i) notes->patch({{"text", "note " + std::to_string(i)}});
    graph = domain_graph(*alice, {notes->head()});
    ASSERT_GE(graph.size(), 5000u);
  }

  // The nodes' kind of durable space: space-memory, or a PostgreSQL schema
  // when tests/postgres runs this suite (postgres.saga_suites).
  static std::unique_ptr<Space> require_space() { return make_durable_space(); }

  // A first, small sync with Bob-2: Alice learns which staging store Bob-2
  // is part of (its Ack's stagingStore).
  void meet_bob2() {
    const std::string stone = put_stone(*alice, "hello", json::Object{{"to", "bob2"}});
    sync_or_fail(*alice, *bob2, {stone});
  }

  // Alice's sync to Bob-1, cut once half of the graph went out; returns the
  // broken saga's id.
  std::string break_at_half_with_bob1() {
    BreakingLink link(graph.size() / 2);
    InterceptingConnection cut(connect(*alice, *bob1), link.hook());
    auto report = alice->service->sync(cut, bob1->domain_tjp, {notes->head()});
    EXPECT_EQ(report.status().code(), StatusCode::kUnavailable) << report.status().to_string();
    EXPECT_FALSE(bob1->head(notes->tjp()).has_value());
    auto mark = alice->durable->head("^resume " + bob1->domain_tjp);
    EXPECT_TRUE(mark.ok() && mark->has_value());
    return IbGib::parse(**alice->durable->get(**mark))->data->find("sagaId")->as_string();
  }

  std::size_t staged_rows(const std::string& saga_id) {
    std::size_t rows = 0;
    Status listed = shared->saga_staging()->for_each_staged(saga_id, [&](std::string_view, std::string_view) {
      ++rows;
      return true;
    });
    EXPECT_TRUE(listed.ok()) << listed.to_string();
    return rows;
  }

  // Replaces saga `saga_id`'s rows in the shared space by `edit`ed ones, as
  // something other than a node might (still owned by Alice).
  void rewrite_rows(const std::string& saga_id, const std::function<void(std::vector<StoredRecord>&)>& edit) {
    std::vector<StoredRecord> rows;
    ASSERT_TRUE(shared->saga_staging()
                    ->for_each_staged(saga_id,
                                      [&](std::string_view address, std::string_view text) {
                                        rows.push_back(StoredRecord{std::string(address), std::string(text)});
                                        return true;
                                      })
                    .ok());
    edit(rows);
    ASSERT_TRUE(shared->saga_staging()->drop(saga_id).ok());
    ASSERT_TRUE(shared->saga_staging()->stage(saga_id, alice->domain_tjp, *alice->clock_ms + 600000, rows).ok());
  }

  void advance_clocks(std::int64_t ms) {
    for (TestNode* node : {alice.get(), bob1.get(), bob2.get()}) {
      if (node != nullptr) *node->clock_ms += ms;
    }
  }

  void expect_bob2_has_it_all() {
    EXPECT_EQ(bob2->head(notes->tjp()), notes->head());
    EXPECT_EQ(domain_graph(*bob2, {notes->head()}), graph);
    EXPECT_TRUE(bob2->staged_addresses().empty());
  }

  std::unique_ptr<Space> shared;
  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob1;
  std::unique_ptr<TestNode> bob2;
  std::unique_ptr<TimelineBuilder> notes;
  std::set<std::string> graph;
};

TEST_F(SharedStagingTest, ASagaBrokenOnOneNodeResumesOnAnother) {
  meet_bob2();
  const std::string broken = break_at_half_with_bob1();
  // What Bob-1 staged is in the shared space too, under the saga.
  EXPECT_EQ(staged_rows(broken), bob1->staged_addresses().size());
  EXPECT_GT(staged_rows(broken), graph.size() * 45 / 100);

  auto retry = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_EQ(retry->resumed_saga, broken);
  EXPECT_LT(retry->records_sent, graph.size() * 55 / 100) << "of " << graph.size();
  EXPECT_EQ(retry->records_sent + retry->records_resumed, graph.size());
  expect_bob2_has_it_all();
  // Committed: the rows went, under both ids.
  EXPECT_EQ(staged_rows(broken), 0u);
  EXPECT_EQ(staged_rows(retry->saga_id), 0u);
  std::cout << "[ shared staging ] " << graph.size() << " records; resumed on the other node "
            << retry->records_resumed << ", sent " << retry->records_sent << "\n";

  // Bob-1's saga, still open there, expires later: it takes nothing of Bob-2's.
  advance_clocks(SyncOptions{}.saga_idle_timeout.count() + SyncOptions{}.resume_keep.count() + 2);
  EXPECT_EQ(bob1->service->expire_idle_sagas(), 1u);
  // Both marks (Bob-1's and the store's) are settled: nothing resumes twice.
  auto again = alice->service->sync(*connect(*alice, *bob1), bob1->domain_tjp, {notes->head()});
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->resumed_saga.empty());
}

// Alice never synced with Bob-2, so she does not know it shares Bob-1's
// store: she sends everything, and it still converges.
TEST_F(SharedStagingTest, ASenderThatNeverMetTheOtherNodeSendsEverything) {
  break_at_half_with_bob1();
  auto retry = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_TRUE(retry->resumed_saga.empty());
  EXPECT_EQ(retry->records_sent, graph.size());
  expect_bob2_has_it_all();
}

// Bob-1 dies (its service goes without dropping anything) and Alice never
// comes back: Bob-2 reclaims the rows once they expire, not before.
TEST_F(SharedStagingTest, WhatANodeThatDiedStagedIsReclaimedByAnother) {
  const std::string broken = break_at_half_with_bob1();
  // Gone first, then counted: Bob-1 may still be staging the Delta it took
  // as the link broke (it verifies one while the next is on its way).
  bob1.reset();
  const std::size_t rows = staged_rows(broken);
  ASSERT_GT(rows, 0u);

  advance_clocks(SyncOptions{}.saga_idle_timeout.count() + SyncOptions{}.resume_keep.count() - 1000);
  (void)bob2->service->expire_idle_sagas();
  EXPECT_EQ(staged_rows(broken), rows);  // not yet expired
  advance_clocks(1001);  // expired, and a second apart (SharedStaging::kReclaimEveryMs): the sweep runs again
  (void)bob2->service->expire_idle_sagas();
  EXPECT_EQ(staged_rows(broken), 0u);
}

// Carol, another domain Bob-2 trusts, names Alice's broken saga: Bob-2
// adopts nothing, and the rows stay Alice's to resume.
TEST_F(SharedStagingTest, AnotherDomainCannotAdoptIt) {
  SyncOptions options;
  options.max_message_bytes = 16 * 1024;
  auto carol = make_node("carol-shared", options);
  ASSERT_TRUE(carol);
  enroll(*carol, *bob2);
  TimelineBuilder carols(*carol, "carols", /*linked=*/true);
  carols.patch({{"text", "carol's note"}});
  meet_bob2();
  const std::string broken = break_at_half_with_bob1();
  const std::size_t rows = staged_rows(broken);

  IbGib stone = make_stone("sync_resume", json::Object{{"sagaId", broken}, {"deltas", json::Array{}}}, {});
  WriteBatch mark;
  mark.puts.push_back(StoredRecord{stone.address(), stone.to_json_text()});
  mark.heads.push_back(HeadUpdate{"^resume " + bob2->domain_tjp, stone.address(), std::nullopt});
  ASSERT_TRUE(carol->durable->write(mark).ok());
  auto carols_sync = carol->service->sync(*connect(*carol, *bob2), bob2->domain_tjp, {carols.head()});
  ASSERT_TRUE(carols_sync.ok()) << carols_sync.status().to_string();
  EXPECT_TRUE(carols_sync->resumed_saga.empty());
  EXPECT_EQ(staged_rows(broken), rows);

  auto retry = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_EQ(retry->resumed_saga, broken);
  expect_bob2_has_it_all();
}

// The node that staged the saga lost part of it before writing it to the
// shared space (it died between acknowledging a Delta and staging it):
// Bob-2 adopts fewer records than Alice's acknowledged Deltas named, so
// Alice leaves nothing out, and nothing is missing at Commit.
TEST_F(SharedStagingTest, AReceiverThatAdoptedLessThanWasAcknowledgedGetsEverythingAgain) {
  meet_bob2();
  const std::string broken = break_at_half_with_bob1();
  rewrite_rows(broken, [](std::vector<StoredRecord>& rows) {
    ASSERT_GT(rows.size(), 10u);
    rows.resize(rows.size() - 10);  // the last ten never made it
  });

  auto retry = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_TRUE(retry->resumed_saga.empty());
  EXPECT_EQ(retry->records_sent, graph.size());
  expect_bob2_has_it_all();
}

// The receiver staged a Delta whose answer never reached Alice: it adopts
// more than her acknowledged Deltas named, all of them included (Deltas are
// staged in order, each whole), so she still leaves those out.
TEST_F(SharedStagingTest, AReceiverThatAdoptedMoreThanWasAcknowledgedStillResumes) {
  meet_bob2();
  const std::string broken = break_at_half_with_bob1();
  std::vector<StoredRecord> extra;
  for (const std::string& address : graph) {
    if (bob1->staged_addresses().count(address) != 0) continue;
    extra.push_back(StoredRecord{address, **alice->durable->get(address)});
    if (extra.size() == 10) break;
  }
  ASSERT_TRUE(shared->saga_staging()->stage(broken, alice->domain_tjp, *alice->clock_ms + 600000, extra).ok());
  const std::size_t adopted = staged_rows(broken);

  auto retry = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_EQ(retry->resumed_saga, broken);
  EXPECT_EQ(retry->records_sent, graph.size() - (adopted - extra.size()));
  expect_bob2_has_it_all();
}

// A record in the shared staging that is not what its address says (the
// database was written by something else): adopting fails the Init, and
// nothing of it is staged.
TEST_F(SharedStagingTest, AForgedRowFailsTheAdoption) {
  meet_bob2();
  const std::string broken = break_at_half_with_bob1();
  rewrite_rows(broken, [](std::vector<StoredRecord>& rows) {
    ASSERT_FALSE(rows.empty());
    IbGib forged = *IbGib::parse(rows.front().json_text);
    forged.data = json::Value(json::Object{{"text", "forged"}});  // its gib no longer matches
    rows.front().json_text = forged.to_json_text();
  });

  auto retry = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  EXPECT_FALSE(retry.ok());
  EXPECT_FALSE(bob2->head(notes->tjp()).has_value());
  EXPECT_TRUE(bob2->staged_addresses().empty());
  // The resume mark was not settled by a failed Init... but the rows went:
  // the next sync sends everything and converges.
  auto again = alice->service->sync(*connect(*alice, *bob2), bob2->domain_tjp, {notes->head()});
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  expect_bob2_has_it_all();
}

// A sync that commits leaves no rows behind.
TEST_F(SharedStagingTest, ACommittedSagaLeavesNoRows) {
  auto report = alice->service->sync(*connect(*alice, *bob1), bob1->domain_tjp, {notes->head()});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(staged_rows(report->saga_id), 0u);
  EXPECT_EQ(bob1->head(notes->tjp()), notes->head());
}

}  // namespace
}  // namespace gibkit::saga::testing
