// The sync scenarios of docs/protocol.md, each ending with both domain
// graphs compared.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "gibkit/record_graph.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

using Kind = TimelineOutcome::Kind;

class SagaScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override { make_nodes({}); }

  void make_nodes(SyncOptions options) {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    alice = make_node("alice-" + suffix, options);
    bob = make_node("bob-" + suffix, options);
    ASSERT_TRUE(alice && bob);
    enroll(*alice, *bob);
  }

  SyncReport sync(const std::vector<std::string>& addresses) { return sync_or_fail(*alice, *bob, addresses); }

  // Equal heads and equal dependency graphs for every timeline, and nothing
  // left in either staging space.
  void expect_equal_graphs(const std::vector<const TimelineBuilder*>& timelines) {
    for (const TimelineBuilder* timeline : timelines) {
      auto alice_head = alice->head(timeline->tjp());
      auto bob_head = bob->head(timeline->tjp());
      ASSERT_TRUE(alice_head && bob_head);
      EXPECT_EQ(*alice_head, *bob_head);
      EXPECT_EQ(domain_graph(*alice, {*alice_head}), domain_graph(*bob, {*bob_head}));
    }
    EXPECT_TRUE(alice->staged_addresses().empty());
    EXPECT_TRUE(bob->staged_addresses().empty());
  }

  // data.state of every sync_saga frame a node holds.
  static std::multiset<std::string> saga_states(const TestNode& node) {
    std::multiset<std::string> states;
    EXPECT_TRUE(node.durable
                    ->for_each_record([&](std::string_view, std::string_view text) {
                      auto record = IbGib::parse(text);
                      if (record && record->ib == "sync_saga") states.insert(record->data->find("state")->as_string());
                      return true;
                    })
                    .ok());
    return states;
  }

  static Kind outcome(const SyncReport& report, const std::string& tjp) {
    for (const TimelineOutcome& timeline : report.timelines) {
      if (timeline.timeline == tjp) return timeline.kind;
    }
    ADD_FAILURE() << "no outcome for " << tjp;
    return Kind::kInSync;
  }

  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob;
};

TEST_F(SagaScenarioTest, ReceiverEmptyGetsTheWholeTimeline) {
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "first"}}).patch({{"text", "second"}});
  const std::string stone = put_stone(*alice, "quote", {{"text", "a constant"}});

  SyncReport report = sync({notes.head(), stone});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kSent);
  // fork + 2 mut8 frames, each with its dna, plus the stone.
  EXPECT_EQ(report.records_sent, 7u);
  EXPECT_EQ(report.records_received, 0u);
  EXPECT_TRUE(bob->holds(stone));
  expect_equal_graphs({&notes});
}

// The receiver's account of a Commit says what it moved and where the turn
// went: waiting for the last Delta's checks, and the durable write (both
// measured on the steady clock, as verify_us is, and so within the time the
// whole sync took on it; the saga's elapsed_ms is on the node's injected
// clock).
TEST_F(SagaScenarioTest, TheCommittedEventSaysWhatTheCommitTurnSpentItsTimeOn) {
  std::vector<SagaEvent> committed;
  *bob->on_event = [&](const SagaEvent& event) {
    if (event.event == "saga.committed") committed.push_back(event);
  };
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "first"}});
  const auto started = std::chrono::steady_clock::now();
  sync({notes.head()});
  const auto took_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].records, 4u);  // fork + 1 mut8 frame, each with its dna
  EXPECT_GE(committed[0].settle_us, 0);
  EXPECT_GE(committed[0].write_us, 0);
  EXPECT_LE(committed[0].settle_us + committed[0].write_us, took_us);
  *bob->on_event = nullptr;
}

TEST_F(SagaScenarioTest, ReceiverBehindGetsOnlyTheNewFrames) {
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "first"}});
  sync({notes.head()});
  notes.patch({{"text", "second"}}).patch({{"text", "third"}});

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kSent);
  EXPECT_EQ(report.records_sent, 4u);  // two frames, two dna
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, ReceiverAheadSendsItsFramesBack) {
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "first"}});
  sync({notes.head()});
  TimelineBuilder on_bob = notes.on(*bob);
  on_bob.patch({{"text", "bob's"}});

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kReceived);
  EXPECT_EQ(report.records_sent, 0u);
  EXPECT_EQ(report.records_received, 2u);
  EXPECT_EQ(alice->head(notes.tjp()), on_bob.head());
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, SeveralTimelinesEachGetTheirOwnOutcome) {
  TimelineBuilder fresh(*alice, "fresh");
  TimelineBuilder behind(*alice, "behind");
  TimelineBuilder same(*alice, "same");
  sync({behind.head(), same.head()});
  behind.patch({{"v", 2}});
  fresh.patch({{"v", 1}});

  SyncReport report = sync({fresh.head(), behind.head(), same.head()});

  EXPECT_EQ(outcome(report, fresh.tjp()), Kind::kSent);
  EXPECT_EQ(outcome(report, behind.tjp()), Kind::kSent);
  EXPECT_EQ(outcome(report, same.tjp()), Kind::kInSync);
  expect_equal_graphs({&fresh, &behind, &same});
}

TEST_F(SagaScenarioTest, DeepUpdatesBringWhatNewFramesRelate) {
  TimelineBuilder tags(*alice, "tags");
  tags.patch({{"name", "urgent"}});
  const std::string attachment = put_stone(*alice, "attachment", {{"bytes", "..."}});
  TimelineBuilder notes(*alice, "notes");
  sync({notes.head()});
  notes.relate("tag", {tags.head()}).relate("attachment", {attachment});

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kSent);
  EXPECT_TRUE(bob->holds(attachment));
  EXPECT_TRUE(bob->holds(tags.head()));
  EXPECT_TRUE(bob->holds(tags.tjp()));
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, PartialUpdateSyncsOnlyTheNamedTimelines) {
  TimelineBuilder shared(*alice, "shared");
  TimelineBuilder private_notes(*alice, "private");
  private_notes.patch({{"secret", true}});

  sync({shared.head()});

  expect_equal_graphs({&shared});
  EXPECT_FALSE(bob->holds(private_notes.tjp()));
  EXPECT_FALSE(bob->head(private_notes.tjp()).has_value());
}

TEST_F(SagaScenarioTest, NothingToDoSendsNoPayload) {
  TimelineBuilder notes(*alice, "notes");
  sync({notes.head()});

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kInSync);
  EXPECT_EQ(report.records_sent, 0u);
  EXPECT_EQ(report.records_received, 0u);
  EXPECT_EQ(report.turns, 2u);  // init and commit, no delta
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, DivergentTimelinesWithDnaAreReplayedOntoTheReceiversHead) {
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"title", "draft"}});
  sync({notes.head()});
  TimelineBuilder on_bob = notes.on(*bob);
  on_bob.patch({{"bob", "was here"}});
  notes.patch({{"alice", "was here"}});
  const std::string alice_branch = notes.head();
  const std::string bob_branch = on_bob.head();

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kMerged);
  auto merged = alice->head(notes.tjp());
  ASSERT_TRUE(merged);
  EXPECT_EQ(bob->head(notes.tjp()), merged);
  // The merged frame descends from Bob's branch and carries both changes.
  auto text = alice->durable->get(*merged);
  auto frame = IbGib::parse(**text);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->data->find("alice")->as_string(), "was here");
  EXPECT_EQ(frame->data->find("bob")->as_string(), "was here");
  RecordReader reader({alice->durable.get()});
  EXPECT_TRUE(*timeline_contains(reader, *merged, bob_branch));
  // Neither side lost a frame.
  for (TestNode* node : {alice.get(), bob.get()}) {
    EXPECT_TRUE(node->holds(alice_branch)) << node->name;
    EXPECT_TRUE(node->holds(bob_branch)) << node->name;
  }
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, DivergentTimelinesWithoutDnaKeepBothHeadsAndReportAConflict) {
  // A timeline of frames made without dna cannot be replayed.
  IbGib genesis = make_stone("plain", {{"isTjp", true}, {"n", 0}}, {});
  auto evolve = [](const IbGib& from, const char* key) {
    Mut8Options options;
    options.n_counter = true;
    options.data_to_add_or_patch = json::Object{{key, true}};
    return mut8(from, options)->frame;
  };
  auto put_frames = [&](TestNode& node, const std::vector<IbGib>& frames) {
    WriteBatch batch;
    for (const IbGib& frame : frames) batch.puts.push_back({frame.address(), frame.to_json_text()});
    batch.heads.push_back({genesis.address(), frames.back().address(), std::nullopt});
    ASSERT_TRUE(node.durable->write(batch).ok());
  };
  IbGib base = evolve(genesis, "base");
  put_frames(*alice, {genesis, base});
  put_frames(*bob, {genesis, base});
  IbGib ours = evolve(base, "alice");
  IbGib theirs = evolve(base, "bob");
  put_frames(*alice, {ours});
  put_frames(*bob, {theirs});

  SyncReport report = sync({ours.address()});

  ASSERT_EQ(report.timelines.size(), 1u);
  EXPECT_EQ(report.timelines[0].kind, Kind::kConflict);
  EXPECT_EQ(report.timelines[0].head, ours.address());
  EXPECT_EQ(report.timelines[0].peer_head, theirs.address());
  EXPECT_EQ(alice->head(genesis.address()), ours.address());
  EXPECT_EQ(bob->head(genesis.address()), theirs.address());
  for (TestNode* node : {alice.get(), bob.get()}) {
    EXPECT_TRUE(node->holds(ours.address())) << node->name;
    EXPECT_TRUE(node->holds(theirs.address())) << node->name;
  }
}

TEST_F(SagaScenarioTest, ControlGoesDurableAtOnceAndPayloadsOnlyAtCommit) {
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "payload"}});
  const std::set<std::string> payload = domain_graph(*alice, {notes.head()});
  std::vector<std::string> checked;

  auto inner = connect(*alice, *bob);
  InterceptingConnection watched(std::move(inner), nullptr, [&](const std::string& request, std::string response) -> Result<std::string> {
    const std::string leg = leg_of(request);
    checked.push_back(leg);
    const auto durable = bob->durable_addresses();
    const auto staged = bob->staged_addresses();
    // The signed context of every leg is durable as soon as it was accepted.
    auto context = IbGib::from_json(*json::parse(request)->find("context"));
    EXPECT_TRUE(durable.count(context->address())) << leg;
    for (const std::string& address : payload) {
      if (leg == "commit") {
        EXPECT_TRUE(durable.count(address)) << leg << " " << address;
        EXPECT_FALSE(staged.count(address)) << leg << " " << address;
      } else {
        EXPECT_FALSE(durable.count(address)) << leg << " " << address;
        EXPECT_EQ(staged.count(address), leg == "delta" ? 1u : 0u) << leg << " " << address;
      }
    }
    return response;
  });
  auto report = alice->service->sync(watched, bob->domain_tjp, {notes.head()});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(checked, (std::vector<std::string>{"init", "delta", "commit"}));
  expect_equal_graphs({&notes});
  // Each side's saga timeline records every state it went through.
  EXPECT_EQ(saga_states(*alice), (std::multiset<std::string>{"started", "init", "delta", "commit", "completed"}));
  EXPECT_EQ(saga_states(*bob), (std::multiset<std::string>{"started", "ack", "delta_reply", "commit_reply"}));
}

TEST_F(SagaScenarioTest, LargeDeltasAreSplitIntoSizeBoundedMessages) {
  make_nodes(SyncOptions{.max_message_bytes = 16384});
  TimelineBuilder notes(*alice, "notes");
  for (int i = 0; i < 20; ++i) notes.patch({{"line", std::string(300, static_cast<char>('a' + i))}});
  std::size_t largest = 0;  // payload bytes of one message
  auto inner = connect(*alice, *bob);
  InterceptingConnection watched(std::move(inner), [&](std::string request) -> Result<std::string> {
    const json::Value message = *json::parse(request);
    const json::Value* payloads = message.find("payloads");
    std::size_t bytes = 0;
    if (payloads != nullptr) {
      for (const json::Value& record : payloads->as_array()) bytes += json::stringify(record).size();
    }
    largest = std::max(largest, bytes);
    return request;
  });

  auto report = alice->service->sync(watched, bob->domain_tjp, {notes.head()});

  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_GT(report->turns, 4u);
  EXPECT_GT(largest, 0u);
  EXPECT_LE(largest, 16384u);
  expect_equal_graphs({&notes});
}

// A first sync to a peer reads its first batch while the Init is answered
// (SyncReport::early_batch), guessing the peer holds nothing: right here,
// so the batch is used, and what take_batch left over goes into the next
// Delta (messages of 16 KiB: several Deltas). A peer it knows, it does not
// guess about.
TEST_F(SagaScenarioTest, AFirstSyncReadsItsFirstBatchWhileTheInitIsAnswered) {
  make_nodes(SyncOptions{.max_message_bytes = 16384});
  TimelineBuilder notes(*alice, "notes");
  for (int i = 0; i < 20; ++i) notes.patch({{"line", std::string(300, static_cast<char>('a' + i))}});

  SyncReport first = sync({notes.head()});

  EXPECT_EQ(first.early_batch, SyncReport::EarlyBatch::kUsed);
  EXPECT_GT(first.turns, 4u);
  EXPECT_EQ(first.records_sent, 42u);  // the fork and 20 mut8 frames, each with its dna
  expect_equal_graphs({&notes});

  notes.patch({{"line", "one more"}});
  SyncReport second = sync({notes.head()});
  EXPECT_EQ(second.early_batch, SyncReport::EarlyBatch::kNone);
  EXPECT_EQ(second.records_sent, 2u);
  expect_equal_graphs({&notes});
}

// The guess is wrong when the peer got the timeline from someone else:
// Bob never synced with Alice but holds her notes through Carol. The Ack
// says so, the early batch is dropped, and only the new frames go.
TEST_F(SagaScenarioTest, AnEarlyBatchTheAckDisprovesIsDropped) {
  static int counter = 0;
  std::unique_ptr<TestNode> carol = make_node("carol-scenario-" + std::to_string(++counter));
  ASSERT_TRUE(carol);
  enroll(*alice, *carol);
  enroll(*carol, *bob);
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "first"}});
  sync_or_fail(*alice, *carol, {notes.head()});
  sync_or_fail(*carol, *bob, {notes.head()});
  notes.patch({{"text", "second"}});

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(report.early_batch, SyncReport::EarlyBatch::kDropped);
  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kSent);
  EXPECT_EQ(report.records_sent, 2u);  // the new frame and its dna
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, EndorsementsMadeForOtherPeersAreReplayedFromTheReceiversOwnHead) {
  // Alice's domain endorses sessions for Carol too; Bob never saw those
  // frames, so the Init carries them and Bob replays each from his head.
  auto carol = make_node("carol-" + alice->name, {});
  ASSERT_TRUE(carol);
  enroll(*alice, *carol);
  TimelineBuilder notes(*alice, "notes");
  for (int i = 0; i < 3; ++i) {
    notes.patch({{"for", "carol"}, {"i", i}});
    auto report = alice->service->sync(*connect(*alice, *carol), carol->domain_tjp, {notes.head()});
    ASSERT_TRUE(report.ok()) << report.status().to_string();
  }

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kSent);
  EXPECT_EQ(bob->head(alice->domain_tjp), alice->head(alice->domain_tjp));
  expect_equal_graphs({&notes});
}

TEST_F(SagaScenarioTest, AReceiverTooFarBehindOnTheDomainRefusesTheSession) {
  make_nodes(SyncOptions{.endorsement_history = 1});
  auto carol = make_node("carol-" + alice->name, {});
  ASSERT_TRUE(carol);
  enroll(*alice, *carol);
  TimelineBuilder notes(*alice, "notes");
  for (int i = 0; i < 2; ++i) {
    auto report = alice->service->sync(*connect(*alice, *carol), carol->domain_tjp, {notes.head()});
    ASSERT_TRUE(report.ok()) << report.status().to_string();
  }

  auto report = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes.head()});

  // Bob's head is three domain frames back; one earlier endorsement cannot
  // bridge that, and Bob takes nothing he cannot replay.
  EXPECT_EQ(report.status().code(), StatusCode::kPermissionDenied) << report.status().to_string();
  EXPECT_FALSE(bob->holds(notes.tjp()));
}

// A keystone domain may endorse sessions of another signer (sync.session_signer):
// both sides verify each session frame with the signer that declares its ib.
TEST(SagaSessionSignerTest, AKeystoneDomainEndorsesEd25519Sessions) {
  auto alice = make_node("alice-mixed", {}, "signer-keystone", "signer-ed25519");
  auto bob = make_node("bob-mixed", {}, "signer-keystone", "signer-ed25519");
  ASSERT_TRUE(alice && bob);
  enroll(*alice, *bob);
  TimelineBuilder notes(*alice, "notes");
  notes.patch({{"text", "hello"}});
  auto report = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes.head()});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(bob->head(notes.tjp()), notes.head());
  EXPECT_EQ(IbGib::parse(**alice->durable->get(report->peer_session))->ib, "ed25519-identity");
}

}  // namespace
}  // namespace gibkit::saga::testing
