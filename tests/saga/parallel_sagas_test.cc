// The receiver runs the sagas of different peers at once (each saga's turns
// in order), and tells the transport what each turn proved of its sender
// (gibkit::Admission) so that unauthenticated connections can be held to
// tighter limits.
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

using std::chrono::milliseconds;

// A connection straight into a receiver's SyncService::answer, keeping the
// verdict of every answer.
class AnsweringConnection final : public Connection {
 public:
  explicit AnsweringConnection(SyncService& receiver) : receiver_(receiver) {}
  Result<std::string> request(std::string_view message, milliseconds) override {
    GIBKIT_ASSIGN_OR_RETURN(Answer answer, receiver_.answer(message));
    std::lock_guard lock(mutex_);
    verdicts_.push_back(answer.admission);
    return std::move(answer.message);
  }
  std::vector<Admission> verdicts() {
    std::lock_guard lock(mutex_);
    return verdicts_;
  }

 private:
  SyncService& receiver_;
  std::mutex mutex_;
  std::vector<Admission> verdicts_;
};

// Saga ids and nonces come from the node's environment, like its clocks.
TEST(ParallelSagas, SagaIdsAndNoncesComeFromTheInjectedSource) {
  auto alice = make_node("alice-tokens");
  auto bob = make_node("bob-tokens");
  enroll(*alice, *bob);
  int drawn = 0;
  *alice->random_token = [&drawn] { return "a11ce" + std::to_string(++drawn) + std::string(26, '0'); };
  std::vector<std::string> nonces;
  *bob->random_token = [&nonces] {
    nonces.push_back("b0b" + std::to_string(nonces.size()) + std::string(28, '0'));
    return nonces.back();
  };
  TimelineBuilder note(*alice, "note");
  auto link = connect(*alice, *bob);
  Result<SyncReport> report = alice->service->sync(*link, bob->domain_tjp, {note.tjp()});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->saga_id, "a11ce1" + std::string(26, '0'));
  EXPECT_GE(drawn, 2);  // the saga id and the Init's nonce
  EXPECT_FALSE(nonces.empty());  // every reply's nonce
}

TEST(ParallelSagas, EveryTurnOfATrustedPeerAdmitsItsConnection) {
  auto alice = make_node("alice-verdicts");
  auto bob = make_node("bob-verdicts");
  enroll(*alice, *bob);
  TimelineBuilder note(*alice, "note");
  note.patch(json::Object{{"text", "hello"}});
  AnsweringConnection link(*bob->service);
  Result<SyncReport> report = alice->service->sync(link, bob->domain_tjp, {note.tjp()});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  std::vector<Admission> verdicts = link.verdicts();
  ASSERT_GE(verdicts.size(), 3u);  // init, delta, commit
  for (Admission verdict : verdicts) EXPECT_EQ(verdict, Admission::kAuthenticated);
}

TEST(ParallelSagas, WhatDoesNotAuthenticateIsRefused) {
  auto bob = make_node("bob-refuses");
  auto stranger = make_node("stranger");  // bob does not trust it
  // It trusts bob, so it would accept bob's answers; bob does not trust it.
  ASSERT_TRUE(stranger->service->trust_peer(bob->domain_genesis_json).ok());
  for (std::string_view junk : {"", "[{},{},{}]", "{\"protocol\":\"gibkit-sync/2\"}", "{\"payloads\":[1,2,3]}"}) {
    Result<Answer> answer = bob->service->answer(junk);
    ASSERT_TRUE(answer.ok()) << answer.status().to_string();
    EXPECT_EQ(answer->admission, Admission::kRefused) << junk;
  }
  TimelineBuilder note(*stranger, "note");
  AnsweringConnection link(*bob->service);
  Result<SyncReport> report = stranger->service->sync(link, bob->domain_tjp, {note.tjp()});
  ASSERT_FALSE(report.ok());
  std::vector<Admission> verdicts = link.verdicts();
  ASSERT_FALSE(verdicts.empty());
  EXPECT_EQ(verdicts.front(), Admission::kRefused);
}

// Alice's Init is held inside bob's receiver (its saga.accepted event waits);
// meanwhile carol's whole saga runs through the same receiver. With one lock
// for all requests, carol would wait for alice.
TEST(ParallelSagas, ASlowSagaDoesNotHoldUpAnotherPeers) {
  auto alice = make_node("alice-parallel");
  auto carol = make_node("carol-parallel");
  auto bob = make_node("bob-parallel");
  enroll(*alice, *bob);
  enroll(*carol, *bob);
  TimelineBuilder alices(*alice, "alices");
  alices.patch(json::Object{{"by", "alice"}});
  TimelineBuilder carols(*carol, "carols");
  carols.patch(json::Object{{"by", "carol"}});

  std::mutex mutex;
  std::condition_variable changed;
  bool alice_held = false;
  bool release = false;
  const std::string alice_domain = alice->domain_tjp;
  *bob->on_event = [&](const SagaEvent& event) {
    if (event.event != "saga.accepted" || event.peer_domain != alice_domain) return;
    std::unique_lock lock(mutex);
    alice_held = true;
    changed.notify_all();
    changed.wait_for(lock, std::chrono::seconds(60), [&] { return release; });
  };
  auto let_alice_go = [&] {
    std::lock_guard lock(mutex);
    release = true;
    changed.notify_all();
  };

  AnsweringConnection alice_link(*bob->service);
  std::future<Result<SyncReport>> alice_sync = std::async(std::launch::async, [&] {
    return alice->service->sync(alice_link, bob->domain_tjp, {alices.tjp()});
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60), [&] { return alice_held; }));
  }
  AnsweringConnection carol_link(*bob->service);
  std::future<Result<SyncReport>> carol_sync = std::async(std::launch::async, [&] {
    return carol->service->sync(carol_link, bob->domain_tjp, {carols.tjp()});
  });
  const bool carol_done = carol_sync.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  let_alice_go();
  ASSERT_TRUE(carol_done) << "carol's saga waited for alice's";
  Result<SyncReport> carol_report = carol_sync.get();
  ASSERT_TRUE(carol_report.ok()) << carol_report.status().to_string();
  Result<SyncReport> alice_report = alice_sync.get();
  ASSERT_TRUE(alice_report.ok()) << alice_report.status().to_string();
  EXPECT_EQ(bob->head(alices.tjp()), alices.head());
  EXPECT_EQ(bob->head(carols.tjp()), carols.head());
}

// Many sagas of two peers at once, on their own and on a shared timeline:
// every sync ends committed or cleanly refused, and bob ends with each
// timeline at a head one of the peers holds, its graph complete.
TEST(ParallelSagas, ConcurrentSyncsOfTwoPeersKeepTheStoreConsistent) {
  auto alice = make_node("alice-many");
  auto carol = make_node("carol-many");
  auto bob = make_node("bob-many");
  enroll(*alice, *bob);
  enroll(*carol, *bob);
  TimelineBuilder alices(*alice, "alices");
  TimelineBuilder carols(*carol, "carols");
  constexpr int kRounds = 8;
  auto run = [&](TestNode& peer, TimelineBuilder& timeline) {
    int committed = 0;
    for (int i = 0; i < kRounds; ++i) {
      timeline.patch(json::Object{{"round", i}});
      AnsweringConnection link(*bob->service);
      Result<SyncReport> report = peer.service->sync(link, bob->domain_tjp, {timeline.tjp()});
      if (report.ok()) ++committed;
      else ADD_FAILURE() << peer.name << " round " << i << ": " << report.status().to_string();
    }
    return committed;
  };
  std::future<int> a = std::async(std::launch::async, [&] { return run(*alice, alices); });
  std::future<int> c = std::async(std::launch::async, [&] { return run(*carol, carols); });
  EXPECT_EQ(a.get(), kRounds);
  EXPECT_EQ(c.get(), kRounds);
  EXPECT_EQ(bob->head(alices.tjp()), alices.head());
  EXPECT_EQ(bob->head(carols.tjp()), carols.head());
  EXPECT_EQ(domain_graph(*bob, {alices.head(), carols.head()}),
            [&] {
              std::set<std::string> both = domain_graph(*alice, {alices.head()});
              std::set<std::string> theirs = domain_graph(*carol, {carols.head()});
              both.insert(theirs.begin(), theirs.end());
              return both;
            }());
}

}  // namespace
}  // namespace gibkit::saga::testing
