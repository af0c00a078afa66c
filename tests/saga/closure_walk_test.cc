// ClosureWalk (gibkit/record_graph.h): the dependency closure given one
// record at a time with its text, each record read once, in the order
// dependency_closure() lists it; bounded in the texts it keeps.
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "forwarding_space.h"
#include "gibkit/record_graph.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

// Counts the reads of each address.
class CountingSpace : public ForwardingSpace {
 public:
  using ForwardingSpace::ForwardingSpace;
  Result<std::optional<std::string>> get(std::string_view address) override {
    ++reads[std::string(address)];
    return inner_.get(address);
  }
  std::map<std::string, int> reads;
};

class ClosureWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    node = make_node("walk-" + std::to_string(++counter));
    ASSERT_TRUE(node);
    // A timeline of five frames relating three stones, and a lone stone.
    TimelineBuilder notes(*node, "notes");
    for (int i = 0; i < 3; ++i) {
      stones.push_back(put_stone(*node, "stone " + std::to_string(i), json::Object{{"i", static_cast<double>(i)}}));
      notes.relate("target", {stones.back()});
    }
    notes.patch(json::Object{{"text", std::string("last")}});
    head = notes.head();
    lone = put_stone(*node, "lone", json::Object{{"x", 1.0}});
  }

  // Everything the walk gives, as (address, text).
  static std::vector<StoredRecord> drain(ClosureWalk& walk) {
    std::vector<StoredRecord> given;
    while (true) {
      Result<std::optional<StoredRecord>> record = walk.next();
      EXPECT_TRUE(record.ok()) << record.status().to_string();
      if (!record.ok() || !*record) return given;
      given.push_back(std::move(**record));
    }
  }

  std::unique_ptr<TestNode> node;
  std::vector<std::string> stones;
  std::string head;
  std::string lone;
};

TEST_F(ClosureWalkTest, GivesTheClosureInDependencyOrderWithEachRecordsStoredText) {
  RecordReader reader({node->durable.get()});
  Result<std::vector<std::string>> listed = dependency_closure(reader, {head, lone});
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();

  ClosureWalk walk(reader, {head, lone});
  std::vector<StoredRecord> given = drain(walk);
  ASSERT_EQ(given.size(), listed->size());
  EXPECT_EQ(walk.given(), given.size());
  for (std::size_t i = 0; i < given.size(); ++i) {
    EXPECT_EQ(given[i].address, (*listed)[i]);
    Result<std::optional<std::string>> stored = node->durable->get(given[i].address);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(given[i].json_text, **stored) << given[i].address;
  }
  EXPECT_EQ(given.back().address, lone);
  std::set<std::string> given_addresses;
  for (const StoredRecord& record : given) given_addresses.insert(record.address);
  EXPECT_EQ(std::set<std::string>(walk.visited().begin(), walk.visited().end()), given_addresses);
  // Once through, it stays through, also with its set taken.
  const std::unordered_set<std::string> taken = walk.take_visited();
  EXPECT_EQ(std::set<std::string>(taken.begin(), taken.end()), given_addresses);
  EXPECT_TRUE(walk.visited().empty());
  Result<std::optional<StoredRecord>> after = walk.next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

// A walk still going keeps its set (it is what stops it giving a record
// twice): take_visited() copies, and the walk gives each record once.
TEST_F(ClosureWalkTest, AWalkStillGoingKeepsItsSetWhenTaken) {
  RecordReader reader({node->durable.get()});
  ClosureWalk walk(reader, {head, lone});
  Result<std::optional<StoredRecord>> first = walk.next();
  ASSERT_TRUE(first.ok() && first->has_value());
  const std::unordered_set<std::string> taken = walk.take_visited();
  EXPECT_EQ(taken, walk.visited());
  std::vector<StoredRecord> rest = drain(walk);
  std::set<std::string> addresses{(*first)->address};
  for (const StoredRecord& record : rest) EXPECT_TRUE(addresses.insert(record.address).second) << record.address;
  Result<std::vector<std::string>> listed = dependency_closure(reader, {head, lone});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(addresses.size(), listed->size());
}

TEST_F(ClosureWalkTest, ReadsEachRecordOnceWhileItsTextFitsTheBudget) {
  CountingSpace counting(*node->durable);
  RecordReader reader({&counting});
  ClosureWalk walk(reader, {head, lone});
  std::vector<StoredRecord> given = drain(walk);
  ASSERT_FALSE(given.empty());
  for (const StoredRecord& record : given) EXPECT_EQ(counting.reads[record.address], 1) << record.address;
}

TEST_F(ClosureWalkTest, PastTheTextBudgetRecordsWaitingOnTheStackAreReadAgainNotKept) {
  CountingSpace counting(*node->durable);
  RecordReader reader({&counting});
  ClosureWalk walk(reader, {head}, ClosureOptions{.held_text_bytes = 0});
  std::vector<StoredRecord> given = drain(walk);
  Result<std::vector<std::string>> listed = dependency_closure(RecordReader({node->durable.get()}), {head});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(given.size(), listed->size());
  int read_twice = 0;
  for (const StoredRecord& record : given) {
    Result<std::optional<std::string>> stored = node->durable->get(record.address);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(record.json_text, **stored);
    read_twice += counting.reads[record.address] == 2;
  }
  // Every record is read when entered and, with nothing kept, once more
  // when given: the texts are never held.
  EXPECT_EQ(read_twice, static_cast<int>(given.size()));
}

TEST_F(ClosureWalkTest, ABudgetBetweenNoneAndAllKeepsWhatFitsAndRereadsTheRest) {
  Result<std::optional<std::string>> head_text = node->durable->get(head);
  ASSERT_TRUE(head_text.ok() && head_text->has_value());
  CountingSpace counting(*node->durable);
  RecordReader reader({&counting});
  // Room for the head frame's text (entered first, given last), not more.
  ClosureWalk walk(reader, {head}, ClosureOptions{.held_text_bytes = (*head_text)->size()});
  std::vector<StoredRecord> given = drain(walk);
  ASSERT_FALSE(given.empty());
  EXPECT_EQ(given.back().address, head);
  EXPECT_EQ(counting.reads[head], 1);  // kept
  int reread = 0;
  for (const StoredRecord& record : given) {
    Result<std::optional<std::string>> stored = node->durable->get(record.address);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(record.json_text, **stored) << record.address;
    reread += counting.reads[record.address] == 2;
  }
  EXPECT_GT(reread, 0);  // the frames entered while the head's text held the budget
}

TEST_F(ClosureWalkTest, StopsAtAddressesKnownToBeHeldElsewhere) {
  CountingSpace counting(*node->durable);
  RecordReader reader({&counting});
  const std::unordered_set<std::string> known{stones[1]};
  ClosureWalk walk(reader, {head}, ClosureOptions{.stop = &known});
  for (const StoredRecord& record : drain(walk)) EXPECT_NE(record.address, stones[1]);
  EXPECT_GT(walk.given(), 0u);
  EXPECT_EQ(counting.reads.count(stones[1]), 0u) << "a stopped address is never read";
}

TEST_F(ClosureWalkTest, AMissingRelatedRecordIsNotFoundNamingIt) {
  // A stone relating an address nobody holds.
  IbGib dangling = make_stone("dangling", json::Object{{"y", 2.0}},
                              json::Object{{"target", json::Array{std::string("ghost^ABC")}}});
  WriteBatch batch;
  batch.puts.push_back(StoredRecord{dangling.address(), dangling.to_json_text()});
  ASSERT_TRUE(node->durable->write(batch).ok());

  RecordReader reader({node->durable.get()});
  ClosureWalk walk(reader, {dangling.address()});
  Result<std::optional<StoredRecord>> record = walk.next();
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.status().code(), StatusCode::kNotFound);
  EXPECT_NE(record.status().message().find("ghost^ABC"), std::string::npos) << record.status().message();
  // The error ends the walk: it does not go on as if the record were not related.
  Result<std::optional<StoredRecord>> again = walk.next();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gibkit::saga::testing
