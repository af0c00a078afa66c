// Long timelines: frames with linked `past` and `dna` (ts-gib's
// linkedRel8ns, what gib fork/mut8/rel8 make by default) keep a constant
// size and sync linearly; timelines made elsewhere with accumulating `past`
// still sync, list and merge, alone or next to linked ones.
#include <gtest/gtest.h>

#include "gibkit/saga/divergence.h"
#include "gibkit/record_graph.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

using Kind = TimelineOutcome::Kind;

class LongTimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    alice = make_node("long-alice-" + suffix);
    bob = make_node("long-bob-" + suffix);
    ASSERT_TRUE(alice && bob);
    enroll(*alice, *bob);
  }

  SyncReport sync(const std::vector<std::string>& addresses) { return sync_or_fail(*alice, *bob, addresses); }

  static Kind outcome(const SyncReport& report, const std::string& tjp) {
    for (const TimelineOutcome& timeline : report.timelines) {
      if (timeline.timeline == tjp) return timeline.kind;
    }
    ADD_FAILURE() << "no outcome for " << tjp;
    return Kind::kInSync;
  }

  // The frames of `tjp` on `node`, oldest first, as gib log lists them.
  static std::vector<std::string> frames(const TestNode& node, const std::string& tjp) {
    std::optional<std::string> head = node.head(tjp);
    EXPECT_TRUE(head.has_value()) << node.name << " has no head for " << tjp;
    if (!head) return {};
    auto listed = timeline_frames(RecordReader({node.durable.get()}), *head);
    EXPECT_TRUE(listed.ok()) << listed.status().to_string();
    return listed ? *listed : std::vector<std::string>{};
  }

  static IbGib load(const TestNode& node, const std::string& address) {
    auto text = node.durable->get(address);
    EXPECT_TRUE(text.ok() && text->has_value()) << address << " is not held by " << node.name;
    return *IbGib::parse(**text);
  }

  // Equal heads and dependency graphs on both sides.
  void expect_same_timeline(const TimelineBuilder& timeline) {
    auto alice_head = alice->head(timeline.tjp());
    ASSERT_TRUE(alice_head.has_value());
    EXPECT_EQ(bob->head(timeline.tjp()), alice_head);
    EXPECT_EQ(domain_graph(*alice, {*alice_head}), domain_graph(*bob, {*alice_head}));
  }

  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob;
};

TEST_F(LongTimelineTest, TenThousandLinkedFramesKeepTheirSizeAndSync) {
  TimelineBuilder notes(*alice, "notes", /*linked=*/true);
  // The size of the third frame: the first whose past names a frame with a
  // tjp suffix (the second's names the tjp itself).
  std::size_t frame_size = 0;
  // The genesis and 9,999 edits: 10,000 frames.
  for (int i = 1; i < 10000; ++i) {
    notes.patch({{"text", "edit " + std::to_string(i % 10)}});
    if (i == 2) frame_size = notes.head_frame().to_json_text().size();
  }
  const IbGib& last = notes.head_frame();
  EXPECT_EQ(last.rel8d("past").size(), 1u);
  EXPECT_EQ(last.rel8d("dna").size(), 1u);
  // Only the digits of n grow (1 -> 9999).
  EXPECT_LE(last.to_json_text().size(), frame_size + 3);

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kSent);
  // 10,000 frames and their dna records: the fork's and one per distinct
  // edit (equal edits share their dna record).
  const std::set<std::string> graph = domain_graph(*alice, {notes.head()});
  EXPECT_EQ(graph.size(), 10000u + 1 + 10);
  EXPECT_GE(report.records_sent, graph.size());
  EXPECT_LE(report.records_sent, 20000u);
  // Linear bytes: about the size of a frame per frame (an accumulating
  // timeline of this length sends over 10 GB).
  EXPECT_LT(report.bytes_sent, graph.size() * 2 * frame_size);
  EXPECT_EQ(frames(*bob, notes.tjp()).size(), 10000u);
  expect_same_timeline(notes);
}

TEST_F(LongTimelineTest, AccumulatingAndLinkedTimelinesSyncSideBySide) {
  TimelineBuilder accumulating(*alice, "app notes");  // as an app made it (ts-gib's default)
  TimelineBuilder linked(*alice, "gib notes", /*linked=*/true);
  for (int i = 0; i < 60; ++i) {
    accumulating.patch({{"i", i}});
    linked.patch({{"i", i}});
  }
  EXPECT_EQ(accumulating.head_frame().rel8d("past").size(), 60u);
  EXPECT_EQ(linked.head_frame().rel8d("past").size(), 1u);

  SyncReport first = sync({accumulating.head(), linked.head()});
  EXPECT_EQ(outcome(first, accumulating.tjp()), Kind::kSent);
  EXPECT_EQ(outcome(first, linked.tjp()), Kind::kSent);
  expect_same_timeline(accumulating);
  expect_same_timeline(linked);
  EXPECT_EQ(frames(*bob, accumulating.tjp()).size(), 61u);
  EXPECT_EQ(frames(*bob, linked.tjp()).size(), 61u);

  // Bob goes ahead on both; Alice gets only the new frames back.
  TimelineBuilder accumulating_on_bob = accumulating.on(*bob);
  TimelineBuilder linked_on_bob = linked.on(*bob);
  accumulating_on_bob.patch({{"bob", 1}}).relate("see", {linked.head()});
  linked_on_bob.patch({{"bob", 1}}).relate("see", {accumulating.head()});
  EXPECT_EQ(accumulating_on_bob.head_frame().rel8d("past").size(), 62u);
  EXPECT_EQ(linked_on_bob.head_frame().rel8d("past").size(), 1u);

  SyncReport second = sync({accumulating.head(), linked.head()});
  EXPECT_EQ(outcome(second, accumulating.tjp()), Kind::kReceived);
  EXPECT_EQ(outcome(second, linked.tjp()), Kind::kReceived);
  EXPECT_EQ(second.records_sent, 0u);
  EXPECT_EQ(second.records_received, 8u);  // two frames and two dna per timeline
  EXPECT_EQ(alice->head(accumulating.tjp()), accumulating_on_bob.head());
  EXPECT_EQ(alice->head(linked.tjp()), linked_on_bob.head());
  EXPECT_EQ(frames(*alice, accumulating.tjp()).size(), 63u);
  EXPECT_EQ(frames(*alice, linked.tjp()).size(), 63u);
  expect_same_timeline(accumulating);
  expect_same_timeline(linked);
}

// Both sides edit a linked timeline after a sync: Alice's frames are
// replayed onto Bob's head from their dna, and the replayed frames stay
// linked (the dna records carry linkedRel8ns).
TEST_F(LongTimelineTest, ALinkedTimelineDivergedOnBothSidesMergesLinked) {
  TimelineBuilder notes(*alice, "notes", /*linked=*/true);
  for (int i = 0; i < 50; ++i) notes.patch({{"n_edit", i}});
  sync({notes.head()});
  TimelineBuilder on_bob = notes.on(*bob);
  on_bob.patch({{"bob", "was here"}}).patch({{"bob_again", true}});
  notes.patch({{"alice", "was here"}}).patch({{"title", "merged"}}).patch({{"alice_again", true}});
  const std::string bob_branch = on_bob.head();

  SyncReport report = sync({notes.head()});

  EXPECT_EQ(outcome(report, notes.tjp()), Kind::kMerged);
  auto merged = alice->head(notes.tjp());
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(bob->head(notes.tjp()), merged);
  const IbGib head = load(*alice, *merged);
  EXPECT_EQ(head.data->find("alice")->as_string(), "was here");
  EXPECT_EQ(head.data->find("bob")->as_string(), "was here");
  EXPECT_EQ(head.rel8d("past").size(), 1u);
  EXPECT_EQ(head.rel8d("dna").size(), 1u);
  // Genesis, 50 shared edits, Bob's 2, Alice's 3 replayed.
  const std::vector<std::string> merged_frames = frames(*alice, notes.tjp());
  EXPECT_EQ(merged_frames.size(), 56u);
  EXPECT_EQ(merged_frames[52], bob_branch);
  EXPECT_EQ(frames(*bob, notes.tjp()), merged_frames);
  expect_same_timeline(notes);
}

// A timeline an app made with accumulating past, continued here with linked
// frames (as gib mut8 continues any timeline): each frame follows the last
// of its past whichever kind it is, so it lists, syncs and merges whole.
TEST_F(LongTimelineTest, ATimelineThatSwitchesToLinkedFramesListsSyncsAndMerges) {
  TimelineBuilder app(*alice, "app note");
  for (int i = 0; i < 20; ++i) app.patch({{"app", i}});
  const IbGib accumulated = app.head_frame();
  ASSERT_EQ(accumulated.rel8d("past").size(), 20u);

  // gib continues it linked: one past again.
  Mut8Options options;
  options.dna = true;
  options.n_counter = true;
  options.linked_rel8ns = default_linked_rel8ns();
  options.data_to_add_or_patch = json::Object{{"gib", true}};
  auto continued = mut8(accumulated, options);
  ASSERT_TRUE(continued.ok());
  EXPECT_EQ(continued->frame.rel8d("past"), std::vector<std::string>{accumulated.address()});
  WriteBatch batch;
  batch.puts.push_back({continued->dna->address(), continued->dna->to_json_text()});
  batch.puts.push_back({continued->frame.address(), continued->frame.to_json_text()});
  batch.heads.push_back({app.tjp(), continued->frame.address(), accumulated.address()});
  ASSERT_TRUE(alice->durable->write(batch).ok());
  EXPECT_EQ(frames(*alice, app.tjp()).size(), 22u);

  SyncReport first = sync({continued->frame.address()});
  EXPECT_EQ(outcome(first, app.tjp()), Kind::kSent);
  EXPECT_EQ(frames(*bob, app.tjp()), frames(*alice, app.tjp()));

  // Diverge: Bob's side continues the app's way (accumulating from the
  // linked frame: past [that frame] + new), Alice's linked; then merge.
  IbGib bob_head = load(*bob, continued->frame.address());
  Mut8Options accumulate;
  accumulate.dna = true;
  accumulate.n_counter = true;
  accumulate.data_to_add_or_patch = json::Object{{"bob", 1}};
  auto theirs = mut8(bob_head, accumulate);
  ASSERT_TRUE(theirs.ok());
  WriteBatch bob_batch;
  bob_batch.puts.push_back({theirs->dna->address(), theirs->dna->to_json_text()});
  bob_batch.puts.push_back({theirs->frame.address(), theirs->frame.to_json_text()});
  bob_batch.heads.push_back({app.tjp(), theirs->frame.address(), continued->frame.address()});
  ASSERT_TRUE(bob->durable->write(bob_batch).ok());
  options.data_to_add_or_patch = json::Object{{"alice", 1}};
  auto ours = mut8(continued->frame, options);
  ASSERT_TRUE(ours.ok());
  WriteBatch alice_batch;
  alice_batch.puts.push_back({ours->dna->address(), ours->dna->to_json_text()});
  alice_batch.puts.push_back({ours->frame.address(), ours->frame.to_json_text()});
  alice_batch.heads.push_back({app.tjp(), ours->frame.address(), continued->frame.address()});
  ASSERT_TRUE(alice->durable->write(alice_batch).ok());

  SyncReport second = sync({ours->frame.address()});

  EXPECT_EQ(outcome(second, app.tjp()), Kind::kMerged);
  auto merged = alice->head(app.tjp());
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(bob->head(app.tjp()), merged);
  const IbGib head = load(*alice, *merged);
  EXPECT_EQ(head.data->find("alice")->as_number(), 1);
  EXPECT_EQ(head.data->find("bob")->as_number(), 1);
  EXPECT_EQ(head.rel8d("past"), std::vector<std::string>{theirs->frame.address()});  // replayed linked
  EXPECT_EQ(frames(*alice, app.tjp()).size(), 24u);
  EXPECT_EQ(frames(*bob, app.tjp()), frames(*alice, app.tjp()));
  expect_same_timeline(app);
}

// Whether a head descends from a frame is answered by walking back only to
// that frame: the frames before it need not even be held.
TEST_F(LongTimelineTest, DescentIsCheckedOnlyAsFarAsTheAncestor) {
  TimelineBuilder notes(*alice, "notes", /*linked=*/true);
  for (int i = 0; i < 10; ++i) notes.patch({{"i", i}});
  const std::vector<std::string> all = frames(*alice, notes.tjp());
  ASSERT_EQ(all.size(), 11u);
  // Bob holds only the last three frames.
  WriteBatch batch;
  for (std::size_t i = 8; i < all.size(); ++i) batch.puts.push_back({all[i], load(*alice, all[i]).to_json_text()});
  ASSERT_TRUE(bob->durable->write(batch).ok());
  const RecordReader partial({bob->durable.get()});

  EXPECT_TRUE(*timeline_contains(partial, all[10], all[8]));
  EXPECT_TRUE(*timeline_contains(partial, all[10], all[10]));
  // Past what is held, the walk needs the missing frames and says so.
  auto beyond = timeline_contains(partial, all[10], all[2]);
  EXPECT_EQ(beyond.status().code(), StatusCode::kNotFound);
  // Not an ancestor (a later frame): walked to the genesis on Alice's side.
  EXPECT_FALSE(*timeline_contains(RecordReader({alice->durable.get()}), all[8], all[10]));
}

}  // namespace
}  // namespace gibkit::saga::testing
