// What a sender reads to learn what the receiver holds (SyncOptions::
// peer_closure_reads, docs/protocol.md "Delta"): breadth first from the
// heads and stones the Ack says are held, each read making everything the
// record relates known without reading it, and no more than the bound. A
// sync of one change next to a large shared graph costs the change, not the
// graph; past the bound a deeply held record may be sent again, and the
// sync still completes with equal graphs.
#include <gtest/gtest.h>

#include "gibkit/record_graph.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

class PeerKnowledgeTest : public ::testing::Test {
 protected:
  // A sender whose reads of the receiver's graph stop after `reads`.
  void make_pair(std::size_t reads) {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    SyncOptions options;
    options.peer_closure_reads = reads;
    alice = make_node("knows-alice-" + suffix, options);
    bob = make_node("knows-bob-" + suffix);
    ASSERT_TRUE(alice && bob);
    enroll(*alice, *bob);
  }

  // Equal dependency graphs of `heads` on both sides.
  void expect_same_graph(const std::vector<std::string>& heads) {
    EXPECT_EQ(domain_graph(*alice, heads), domain_graph(*bob, heads));
  }

  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob;
};

// 20 timelines relating 50 stones each, held on both sides, and one changed
// note: the sync sends the note's new frame and its dna and reads no more
// than the bound of the 1,000-odd records the two share. Without the
// bound the sender read every one of them (at 100 timelines of 1,000
// stones over LevelDB: 1.0-1.3 s against 0.1 s for the note alone).
TEST_F(PeerKnowledgeTest, OneChangeNextToALargeSharedGraphReadsAtMostTheBound) {
  constexpr std::size_t kBound = 40;
  make_pair(kBound);
  std::vector<TimelineBuilder> tags;
  for (int t = 0; t < 20; ++t) {
    std::vector<std::string> stones;
    for (int i = 0; i < 50; ++i) {
      stones.push_back(put_stone(*alice, "stone " + std::to_string(t) + "." + std::to_string(i),
                                 json::Object{{"i", static_cast<double>(i)}}));
    }
    tags.emplace_back(*alice, "tag " + std::to_string(t));
    tags.back().relate("target", stones);
  }
  TimelineBuilder note(*alice, "note");
  auto heads = [&] {
    std::vector<std::string> out;
    for (const TimelineBuilder& tag : tags) out.push_back(tag.head());
    out.push_back(note.head());
    return out;
  };
  SyncReport first = sync_or_fail(*alice, *bob, heads());
  EXPECT_EQ(first.peer_closure_reads, 0u);  // Bob held nothing of it
  EXPECT_GT(first.records_sent, 1000u);

  note.patch(json::Object{{"text", std::string("changed")}});
  SyncReport second = sync_or_fail(*alice, *bob, heads());
  EXPECT_EQ(second.records_sent, 2u);  // the frame and its dna
  EXPECT_LE(second.peer_closure_reads, kBound);
  EXPECT_GT(second.peer_closure_reads, 0u);
  EXPECT_EQ(bob->head(note.tjp()), alice->head(note.tjp()));
  expect_same_graph(heads());
}

// Bob holds a stone only two relations deep from his head (tag -> holder ->
// deep). A new timeline relating the deep stone directly: with a bound of
// one read, Alice knows the holder but not the deep stone and sends it
// again; with room to read, she does not. Both syncs complete.
TEST_F(PeerKnowledgeTest, ARecordHeldPastTheBoundIsSentAgainAndTheSyncCompletes) {
  std::vector<std::size_t> sent;
  for (std::size_t reads : {std::size_t{1}, std::size_t{4096}}) {
    make_pair(reads);
    const std::string deep = put_stone(*alice, "deep", json::Object{{"x", 1.0}});
    const IbGib holder = make_stone("holder", json::Object{}, json::Object{{"target", json::Array{json::Value(deep)}}});
    WriteBatch batch;
    batch.puts.push_back(StoredRecord{holder.address(), holder.to_json_text()});
    ASSERT_TRUE(alice->durable->write(batch).ok());
    TimelineBuilder tag(*alice, "tag");
    tag.relate("target", {holder.address()});
    sync_or_fail(*alice, *bob, {tag.head()});
    ASSERT_TRUE(bob->holds(deep));

    TimelineBuilder other(*alice, "other");
    other.relate("target", {deep});
    SyncReport report = sync_or_fail(*alice, *bob, {tag.head(), other.head()});
    EXPECT_EQ(report.peer_closure_reads, std::min<std::size_t>(reads, domain_graph(*alice, {tag.head()}).size()));
    sent.push_back(report.records_sent);
    EXPECT_EQ(bob->head(other.tjp()), alice->head(other.tjp()));
    expect_same_graph({tag.head(), other.head()});
  }
  EXPECT_EQ(sent[0], sent[1] + 1) << "bounded: " << sent[0] << " sent, unbounded: " << sent[1];
}

}  // namespace
}  // namespace gibkit::saga::testing
