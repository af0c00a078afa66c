// Resume: a saga broken mid-Delta continues, in the sender's next saga with
// that peer, from what the receiver had staged (docs/protocol.md, "Resume"),
// and only the domain that broke it can adopt it.
#include <gtest/gtest.h>

#include "gibkit/record_graph.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

class ResumeTest : public ::testing::Test {
 protected:
  static constexpr int kPatches = 5000;  // a frame and its dna each: ~10k records

  void SetUp() override {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    SyncOptions options;
    options.max_message_bytes = 16 * 1024;  // ~1% of the sync per Delta: the cut lands near 50%
    alice = make_node("alice-resume" + suffix, options);
    bob = make_node("bob-resume" + suffix, options);
    ASSERT_TRUE(alice && bob);
    enroll(*alice, *bob);
    notes = std::make_unique<TimelineBuilder>(*alice, "notes", /*linked=*/true);
    for (int i = 0; i < kPatches; ++i) notes->patch({{"text", "note " + std::to_string(i)}});
    graph = domain_graph(*alice, {notes->head()});
    ASSERT_GE(graph.size(), 10000u);
  }

  // The first sync, cut once half of the graph went out; returns what
  // reached Bob.
  std::size_t break_at_half() {
    BreakingLink link(graph.size() / 2);
    InterceptingConnection cut(connect(*alice, *bob), link.hook());
    auto report = alice->service->sync(cut, bob->domain_tjp, {notes->head()});
    EXPECT_EQ(report.status().code(), StatusCode::kUnavailable) << report.status().to_string();
    EXPECT_FALSE(bob->head(notes->tjp()).has_value());
    EXPECT_FALSE(bob->staged_addresses().empty());
    return link.delivered();
  }

  // Both nodes' clocks move (wall and monotonic are one in the fixture):
  // an Init from a sender whose clock stood still would look stale.
  void advance_clocks(std::int64_t ms) {
    *alice->clock_ms += ms;
    *bob->clock_ms += ms;
  }

  void expect_graphs_equal() {
    EXPECT_EQ(bob->head(notes->tjp()), notes->head());
    EXPECT_EQ(domain_graph(*bob, {notes->head()}), graph);
    EXPECT_TRUE(bob->staged_addresses().empty());
  }

  // Alice's mark of the broken saga: its id.
  std::string broken_saga_id() {
    auto mark = alice->durable->head("^resume " + bob->domain_tjp);
    EXPECT_TRUE(mark.ok() && mark->has_value());
    auto stone = IbGib::parse(**alice->durable->get(**mark));
    return stone->data->find("sagaId")->as_string();
  }

  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob;
  std::unique_ptr<TimelineBuilder> notes;
  std::set<std::string> graph;
};

// The connection drops at 50% of a 10k-record sync, without an Abort (the
// receiver's saga is still open): the retry sends only the rest.
TEST_F(ResumeTest, ACutAtHalfOfA10kRecordSyncResendsOnlyTheRest) {
  const std::size_t delivered = break_at_half();
  EXPECT_GT(delivered, graph.size() * 45 / 100);

  auto retry = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_LT(retry->records_sent, graph.size() * 55 / 100) << "of " << graph.size();
  EXPECT_EQ(retry->records_sent + retry->records_resumed, graph.size());
  EXPECT_FALSE(retry->resumed_saga.empty());
  expect_graphs_equal();
  std::cout << "[ resume ] " << graph.size() << " records; cut after " << delivered << "; retry sent "
            << retry->records_sent << ", resumed " << retry->records_resumed << "\n";

  // The mark is settled: the next sync resumes nothing.
  auto again = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->resumed_saga.empty());
}

// The broken saga expired idle on the receiver before the retry: its staged
// set was kept, not released, and the retry adopts it all the same.
TEST_F(ResumeTest, ASagaThatExpiredIdleIsResumed) {
  break_at_half();
  advance_clocks(SyncOptions{}.saga_idle_timeout.count() + 1);
  EXPECT_EQ(bob->service->expire_idle_sagas(), 1u);
  EXPECT_EQ(bob->service->open_sagas(), 0u);
  EXPECT_FALSE(bob->staged_addresses().empty());  // kept for resume

  auto retry = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_LT(retry->records_sent, graph.size() * 55 / 100);
  expect_graphs_equal();
}

// Nobody resumed in time: the kept set is released (the receiver's clock),
// and a late retry sends everything again, and still converges.
TEST_F(ResumeTest, AKeptSetIsReleasedWhenItsTimeRunsOut) {
  break_at_half();
  advance_clocks(SyncOptions{}.saga_idle_timeout.count() + 1);
  EXPECT_EQ(bob->service->expire_idle_sagas(), 1u);
  EXPECT_FALSE(bob->staged_addresses().empty());
  advance_clocks(SyncOptions{}.resume_keep.count() - 1);
  (void)bob->service->expire_idle_sagas();
  EXPECT_FALSE(bob->staged_addresses().empty());  // not yet
  advance_clocks(2);
  (void)bob->service->expire_idle_sagas();
  EXPECT_TRUE(bob->staged_addresses().empty());

  auto retry = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_EQ(retry->records_resumed, 0u);
  EXPECT_TRUE(retry->resumed_saga.empty());
  EXPECT_EQ(retry->records_sent, graph.size());
  expect_graphs_equal();
}

// Carol, another domain Bob trusts, names Alice's broken saga in her Init
// (she copied Alice's mark): Bob adopts nothing into Carol's saga, answers
// exactly as for a saga that never existed, and Alice's set stays hers.
TEST_F(ResumeTest, AnotherDomainNamingTheBrokenSagaAdoptsNothing) {
  SyncOptions options;
  options.max_message_bytes = 16 * 1024;
  auto carol = make_node("carol-resume", options);
  ASSERT_TRUE(carol);
  enroll(*carol, *bob);
  TimelineBuilder carols(*carol, "carols", /*linked=*/true);
  carols.patch({{"text", "carol's note"}});

  break_at_half();
  const std::string broken = broken_saga_id();
  const std::set<std::string> staged_before = bob->staged_addresses();

  // What Carol's Init asks and Bob's Ack answers, for two saga ids.
  auto carol_asks = [&](const std::string& saga_id) {
    IbGib stone = make_stone("sync_resume", json::Object{{"sagaId", saga_id}, {"deltas", json::Array{}}}, {});
    WriteBatch mark;
    mark.puts.push_back(StoredRecord{stone.address(), stone.to_json_text()});
    mark.heads.push_back(HeadUpdate{"^resume " + bob->domain_tjp, stone.address(), std::nullopt});
    EXPECT_TRUE(carol->durable->write(mark).ok());
    json::Value resumed;
    InterceptingConnection watching(
        connect(*carol, *bob), nullptr, [&](const std::string& request, std::string reply) -> Result<std::string> {
          if (leg_of(request) == "init") {
            const json::Value message = *json::parse(reply);
            const json::Value* answer = message.find("context")->find("data")->find("resumed");
            if (answer != nullptr) resumed = *answer;
          }
          return reply;
        });
    auto report = carol->service->sync(watching, bob->domain_tjp, {carols.head()});
    EXPECT_TRUE(report.ok()) << report.status().to_string();
    if (report.ok()) {
      EXPECT_EQ(report->records_resumed, 0u);
      EXPECT_TRUE(report->resumed_saga.empty());
    }
    return resumed;
  };
  const json::Value for_alices = carol_asks(broken);
  const json::Value for_none = carol_asks("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(for_alices.is_object());
  EXPECT_EQ(for_alices.find("records")->as_number(), 0);
  EXPECT_EQ(for_none.find("records")->as_number(), 0);
  EXPECT_EQ(bob->head(carols.tjp()), carols.head());
  // Alice's staged records are all still there, and still hers to resume.
  const std::set<std::string> staged_after = bob->staged_addresses();
  for (const std::string& address : staged_before) EXPECT_TRUE(staged_after.count(address)) << address;

  auto retry = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_LT(retry->records_sent, graph.size() * 55 / 100);
  expect_graphs_equal();
}

// A retry that breaks again resumes from both broken sagas: the second
// mark carries the first saga's acknowledged Deltas along.
TEST_F(ResumeTest, ABrokenResumeIsResumedInTurn) {
  break_at_half();
  BreakingLink second(graph.size() / 4);  // half of what remained
  InterceptingConnection cut(connect(*alice, *bob), second.hook());
  auto broken_again = alice->service->sync(cut, bob->domain_tjp, {notes->head()});
  EXPECT_EQ(broken_again.status().code(), StatusCode::kUnavailable);

  auto retry = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_LT(retry->records_sent, graph.size() * 30 / 100);
  expect_graphs_equal();
}

}  // namespace
}  // namespace gibkit::saga::testing
