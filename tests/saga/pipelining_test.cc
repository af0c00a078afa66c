// Pipelining (docs/protocol.md): a receiver answers a Delta once the turn is
// authenticated and verifies its records on a work pool meanwhile; the
// saga's next turn waits for that and fails with its error. What must hold:
// nothing unchecked is ever committed, a bad record still ends the saga,
// and decoding across threads gives the answer one thread would. (A whole
// sync with a bad record, whose last batch is settled, fails with that
// record's error: saga_rejections_test.cc.)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gibkit/record_graph.h"
#include "gibkit/saga/sync_messages.h"
#include "gibkit/record_graph.h"
#include "saga_fixture.h"
#include "wire_peers.h"
#include "work_pool.h"

namespace gibkit::saga::testing {
namespace {

// The records of a three-frame note, as a sender would send them.
std::vector<Payload> note_payloads(TestNode& alice, TimelineBuilder& note) {
  RecordReader reader({alice.durable.get()});
  std::vector<Payload> payloads;
  Result<std::vector<std::string>> closure = dependency_closure(reader, {note.head()});
  EXPECT_TRUE(closure.ok()) << closure.status().to_string();
  if (!closure.ok()) return payloads;
  for (const std::string& address : *closure) {
    payloads.push_back(Payload{address, **alice.durable->get(address), {}});
  }
  return payloads;
}

class PipeliningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice = make_node("alice-pipe");
    bob = make_node("bob-pipe");
    ASSERT_TRUE(alice && bob);
    enroll(*alice, *bob);
    note.emplace(*alice, "note");
    note->patch({{"text", "one"}}).patch({{"text", "two"}});
  }
  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob;
  std::optional<TimelineBuilder> note;
};

// A record whose text does not hash to its address is taken with the turn
// (the reply is a DeltaReply) and refused by the next one: the Commit fails
// with the decode error, naming the Delta, and nothing reaches Bob.
TEST_F(PipeliningTest, ABadRecordFailsTheNextTurnAndNothingIsCommitted) {
  WireSender sender(*alice, *bob);
  ASSERT_TRUE(sender.init(json::Object{{note->tjp(), note->head()}}).ok());
  std::vector<Payload> payloads = note_payloads(*alice, *note);
  Payload& forged = payloads.back();
  const std::size_t at = forged.json_text.find("two");
  ASSERT_NE(at, std::string::npos);
  forged.json_text.replace(at, 3, "TWO");  // same address, other content
  Result<SyncResponse> taken = sender.delta(payloads);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->leg, Leg::kDeltaReply);

  Result<SyncResponse> commit = sender.commit(json::Object{{note->tjp(), note->head()}});
  ASSERT_TRUE(commit.ok());
  ASSERT_EQ(commit->leg, Leg::kError);
  EXPECT_EQ(commit->error.code(), StatusCode::kDataLoss) << commit->error.to_string();
  EXPECT_NE(commit->error.message().find("delta 1"), std::string::npos) << commit->error.to_string();
  EXPECT_FALSE(bob->head(note->tjp()).has_value());
  EXPECT_FALSE(bob->holds(note->head()));
  EXPECT_TRUE(bob->staged_addresses().empty());
  // The failure ended the saga: it is gone, not waiting for a retry.
  Result<SyncResponse> again = sender.commit(json::Object{{note->tjp(), note->head()}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->leg, Leg::kError);
}

// A Delta marked `settle` (the sender's last batch) is verified before its
// reply: its bad record fails that Delta, and the Commit never sees it.
TEST_F(PipeliningTest, ASettledDeltaFailsItself) {
  WireSender sender(*alice, *bob);
  ASSERT_TRUE(sender.init(json::Object{{note->tjp(), note->head()}}).ok());
  std::vector<Payload> payloads = note_payloads(*alice, *note);
  json::Array names;
  for (const Payload& payload : payloads) names.emplace_back(payload.address);
  Payload& forged = payloads.back();
  forged.json_text.replace(forged.json_text.find("two"), 3, "TWO");
  Result<SyncResponse> refused = sender.send(*sender.encode_turn(
      Leg::kDelta, json::Object{{"seq", 1.0}, {"payloadAddrs", std::move(names)}, {"settle", true}}, payloads));
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->leg, Leg::kError);
  EXPECT_EQ(refused->error.code(), StatusCode::kDataLoss) << refused->error.to_string();
  EXPECT_TRUE(bob->staged_addresses().empty());
}

// The naming rule holds one turn later too: a record the signed context
// does not name fails the saga at its next turn.
TEST_F(PipeliningTest, ARecordTheContextDoesNotNameFailsTheNextTurn) {
  WireSender sender(*alice, *bob);
  ASSERT_TRUE(sender.init(json::Object{{note->tjp(), note->head()}}).ok());
  std::vector<Payload> payloads = note_payloads(*alice, *note);
  IbGib extra = make_stone("smuggled", {{"evil", true}}, {});
  // Named payloads are what the WireSender sends; the smuggled one rides
  // along in the message text only.
  json::Array names;
  for (const Payload& payload : payloads) names.emplace_back(payload.address);
  Result<std::string> message =
      sender.encode_turn(Leg::kDelta, json::Object{{"seq", 1.0}, {"payloadAddrs", std::move(names)}}, payloads);
  ASSERT_TRUE(message.ok());
  const std::size_t end = message->rfind("]}");
  ASSERT_NE(end, std::string::npos);
  message->insert(end, "," + extra.to_json_text());
  Result<SyncResponse> taken = sender.send(*message);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->leg, Leg::kDeltaReply) << (taken->leg == Leg::kError ? taken->error.to_string() : "");
  Result<SyncResponse> next = sender.commit(json::Object{{note->tjp(), note->head()}});
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->leg, Leg::kError);
  EXPECT_EQ(next->error.code(), StatusCode::kPermissionDenied) << next->error.to_string();
  EXPECT_NE(next->error.message().find(extra.address()), std::string::npos) << next->error.to_string();
  EXPECT_FALSE(bob->holds(extra.address()));
  EXPECT_TRUE(bob->staged_addresses().empty());
}

// An Abort right after a Delta releases whatever that Delta's job staged.
TEST_F(PipeliningTest, AnAbortAfterADeltaLeavesNothingStaged) {
  WireSender sender(*alice, *bob);
  ASSERT_TRUE(sender.init(json::Object{{note->tjp(), note->head()}}).ok());
  ASSERT_TRUE(sender.delta(note_payloads(*alice, *note)).ok());
  Result<SyncResponse> aborted = sender.abort();
  ASSERT_TRUE(aborted.ok());
  EXPECT_EQ(aborted->leg, Leg::kAbortReply);
  EXPECT_TRUE(bob->staged_addresses().empty());
}

// Decoding over threads: records in array order, and the error of the first
// bad record in the array whichever thread met it first.
TEST(PipelinedDecode, OrderAndFirstErrorDoNotDependOnThreads) {
  WorkPool pool(4);
  ParallelFor parallel = [&pool](std::size_t n, const std::function<void(std::size_t)>& fn) { pool.for_each(n, fn); };
  std::vector<IbGib> records;
  std::string text = "[";
  for (int i = 0; i < 200; ++i) {
    records.push_back(make_stone("stone " + std::to_string(i), {{"i", i}}, {}));
    if (i != 0) text += ',';
    text += records.back().to_json_text();
  }
  text += ']';
  Result<std::vector<Payload>> decoded = decode_payloads(text, parallel);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ((*decoded)[i].address, records[i].address());
  EXPECT_EQ(*decoded, *decode_payloads(text));

  // Two bad records: the first one's error wins every time.
  std::string bad = text;
  for (int i : {150, 40}) {
    const std::string from = "\"i\":" + std::to_string(i) + "}";
    const std::size_t at = bad.find(from);
    ASSERT_NE(at, std::string::npos);
    bad.replace(at, from.size(), "\"i\":-" + std::to_string(i) + "}");
  }
  const Status single = decode_payloads(bad).status();
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.message().find("stone 40"), std::string::npos) << single.to_string();
  for (int round = 0; round < 20; ++round) EXPECT_EQ(decode_payloads(bad, parallel).status(), single);
}

TEST(WorkPoolTest, ForEachRunsEveryIndexOnceAndAJobMayUseIt) {
  WorkPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.for_each(hits.size(), [&](std::size_t i) { ++hits[i]; });
  EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](const std::atomic<int>& h) { return h.load() == 1; }));

  // Every pool thread busy with a job that itself fans out: the callers do
  // the work themselves, so none of them waits for a free thread.
  WorkPool one(1);
  std::vector<std::future<Status>> jobs;
  std::atomic<int> total{0};
  for (int j = 0; j < 4; ++j) {
    jobs.push_back(one.submit([&] {
      one.for_each(50, [&](std::size_t) { ++total; });
      return Status();
    }));
  }
  for (auto& job : jobs) EXPECT_TRUE(job.get().ok());
  EXPECT_EQ(total.load(), 200);
}

TEST(WorkPoolTest, QueuedJobsRunBeforeThePoolGoes) {
  std::future<Status> late;
  std::atomic<bool> ran{false};
  {
    WorkPool pool(1);
    std::promise<void> gate;
    std::shared_future<void> open = gate.get_future().share();
    auto first = pool.submit([open] {
      open.wait();
      return Status();
    });
    late = pool.submit([&ran] {
      ran = true;
      return Status();
    });
    gate.set_value();
    EXPECT_TRUE(first.get().ok());
  }
  EXPECT_TRUE(ran.load());
  EXPECT_TRUE(late.get().ok());
}

}  // namespace
}  // namespace gibkit::saga::testing
