// Turns the receiver must refuse, each leaving nothing of the sender's domain
// graph in the receiver's durable or staging space.
#include <gtest/gtest.h>

#include "gibkit/gib_hash.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/saga/sync_messages.h"
#include "gibkit/record_graph.h"
#include "gibkit/record_graph.h"
#include "saga_fixture.h"
#include "wire_peers.h"

namespace gibkit::saga::testing {
namespace {

// Rewrites one part of an encoded message.
std::string rewrite(const std::string& message, const std::function<void(json::Object&)>& edit) {
  json::Value value = *json::parse(message);
  edit(value.as_object());
  return json::stringify(value);
}

class SagaRejectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    alice = make_node("alice-r" + suffix);
    bob = make_node("bob-r" + suffix);
    ASSERT_TRUE(alice && bob);
    enroll(*alice, *bob);
    notes = std::make_unique<TimelineBuilder>(*alice, "notes");
    notes->patch({{"text", "domain payload"}});
    payload = domain_graph(*alice, {notes->head()});
  }

  // Syncs through `hook`; returns the failure.
  Status sync_with(InterceptingConnection::RequestHook hook) {
    InterceptingConnection tampering(connect(*alice, *bob), std::move(hook));
    auto report = alice->service->sync(tampering, bob->domain_tjp, {notes->head()});
    return report.status();
  }

  // Nothing of the payload reached Bob, durable or staged.
  void expect_nothing_of_the_domain_at_bob() {
    const auto durable = bob->durable_addresses();
    for (const std::string& address : payload) EXPECT_FALSE(durable.count(address)) << address;
    EXPECT_TRUE(bob->staged_addresses().empty());
    EXPECT_FALSE(bob->head(notes->tjp()).has_value());
  }

  static InterceptingConnection::RequestHook on_leg(const std::string& leg,
                                                    std::function<std::string(const std::string&)> edit) {
    return [leg, edit](std::string request) -> Result<std::string> {
      return leg_of(request) == leg ? edit(request) : request;
    };
  }

  std::unique_ptr<TestNode> alice;
  std::unique_ptr<TestNode> bob;
  std::unique_ptr<TimelineBuilder> notes;
  std::set<std::string> payload;
};

TEST_F(SagaRejectionTest, UnknownIdentity) {
  auto stranger = make_node("stranger");
  ASSERT_TRUE(stranger);
  TimelineBuilder theirs(*stranger, "notes");
  auto report = stranger->service->sync(*connect(*stranger, *bob), bob->domain_tjp, {theirs.head()});
  EXPECT_EQ(report.status().code(), StatusCode::kPermissionDenied) << report.status().to_string();
  EXPECT_NE(report.status().message().find("unknown identity"), std::string::npos);
  EXPECT_FALSE(bob->holds(theirs.tjp()));
}

TEST_F(SagaRejectionTest, UnendorsedSession) {
  // Swap the endorsed session for one the domain never endorsed.
  auto rogue = alice->signer->create_identity(json::Object{{"preset", "session"}});
  ASSERT_TRUE(rogue.ok());
  Status status = sync_with(on_leg("init", [&](const std::string& request) {
    return rewrite(request, [&](json::Object& message) {
      message["session"].as_object().set("genesis", *json::parse(rogue->records_json.back()));
    });
  }));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.to_string();
  EXPECT_NE(status.message().find("unendorsed"), std::string::npos) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, TamperedSessionFrame) {
  Status status = sync_with(on_leg("delta", [](const std::string& request) {
    return rewrite(request, [](json::Object& message) {
      // The proof changed in transit (gib recomputed to match): one
      // Winternitz chain value of the signature.
      message.set("signedSessionIdentity", reseal(message["signedSessionIdentity"], [](IbGib& frame) {
                    json::Object& proof = frame.data->as_object()["proofs"].as_array().front().as_object();
                    std::string& value = proof["signature"].as_array().front().as_string();
                    value[0] = value[0] == 'a' ? 'b' : 'a';
                  }));
    });
  }));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, SessionFrameWithABrokenGib) {
  Status status = sync_with(on_leg("delta", [](const std::string& request) {
    return rewrite(request, [](json::Object& message) {
      message["signedSessionIdentity"].as_object()["data"].as_object().set("n", 99);
    });
  }));
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, ReplayedInit) {
  std::string init;
  InterceptingConnection recording(connect(*alice, *bob), on_leg("init", [&](const std::string& request) {
                                     init = request;
                                     return request;
                                   }));
  ASSERT_TRUE(alice->service->sync(recording, bob->domain_tjp, {notes->head()}).ok());
  auto answer = connect(*alice, *bob)->request(init, std::chrono::seconds(5));
  ASSERT_TRUE(answer.ok());
  auto response = decode_response(*answer);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->leg, Leg::kError);
  EXPECT_EQ(response->error.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(response->error.message().find("replay"), std::string::npos) << response->error.to_string();
}

// A replayed turn is refused, and -- since only the saga's own signed turns
// may end it -- the saga goes on: the genuine commit still succeeds.
TEST_F(SagaRejectionTest, ReplayedDeltaIsRefusedAndTheSagaGoesOn) {
  std::string delta;
  auto raw = connect(*alice, *bob);
  Status status = sync_with([&](std::string request) -> Result<std::string> {
    const std::string leg = leg_of(request);
    if (leg == "delta") delta = request;
    if (leg == "commit") {
      // The attacker replays the accepted delta before the commit.
      auto answer = raw->request(delta, std::chrono::seconds(5));
      EXPECT_TRUE(answer.ok());
      auto response = decode_response(*answer);
      EXPECT_EQ(response->leg, Leg::kError);
      EXPECT_EQ(response->error.code(), StatusCode::kPermissionDenied) << response->error.to_string();
    }
    return request;
  });
  EXPECT_TRUE(status.ok()) << status.to_string();
  EXPECT_EQ(bob->head(notes->tjp()), notes->head());
  EXPECT_EQ(domain_graph(*bob, {notes->head()}), payload);
}

TEST_F(SagaRejectionTest, SkippedCounter) {
  Status status = sync_with(on_leg("delta", [&](const std::string& request) {
    return rewrite(request, [&](json::Object& message) {
      // Evolve the session once more than the receiver has seen.
      IbGib signed_frame = *IbGib::from_json(message["signedSessionIdentity"]);
      IbGib context = *IbGib::from_json(message["context"]);
      identity::IdentityRegistry registry(*alice->durable);
      auto skipped = registry.sign(*alice->signer, *signed_frame.tjp_address(),
                                   Claim{"sync", context.address()});
      message.set("signedSessionIdentity", *json::parse(*skipped));
    });
  }));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, SignatureTargetingAnotherContext) {
  Status status = sync_with(on_leg("delta", [](const std::string& request) {
    return rewrite(request, [](json::Object& message) {
      message.set("context", reseal(message["context"], [](IbGib& context) {
                    context.data->as_object().set("note", "not what was signed");
                  }));
    });
  }));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, PayloadWhoseGibDoesNotMatch) {
  Status status = sync_with(on_leg("delta", [](const std::string& request) {
    return rewrite(request, [](json::Object& message) {
      json::Value& first = message["payloads"].as_array().front();
      first.as_object().set("ib", "forged");
    });
  }));
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, PayloadNotNamedByTheSignedContext) {
  IbGib extra = make_stone("smuggled", {{"evil", true}}, {});
  Status status = sync_with(on_leg("delta", [&](const std::string& request) {
    return rewrite(request, [&](json::Object& message) { message["payloads"].as_array().push_back(extra.to_json()); });
  }));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.to_string();
  EXPECT_FALSE(bob->holds(extra.address()));
  expect_nothing_of_the_domain_at_bob();
}

TEST_F(SagaRejectionTest, AbortedMidwayCommitsNothingAndARetrySucceeds) {
  std::vector<std::string> legs;
  Status status = sync_with([&](std::string request) -> Result<std::string> {
    legs.push_back(leg_of(request));
    if (legs.back() == "commit") return unavailable("link dropped");
    return request;
  });
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.to_string();
  EXPECT_EQ(legs, (std::vector<std::string>{"init", "delta", "commit", "abort"}));
  expect_nothing_of_the_domain_at_bob();
  EXPECT_TRUE(alice->staged_addresses().empty());

  auto retry = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_EQ(bob->head(notes->tjp()), notes->head());
  EXPECT_EQ(domain_graph(*bob, {notes->head()}), payload);
}

// The Commit reaches Bob and he commits, but his reply is lost: Alice cannot
// know, so she must not say "nothing was committed". She says the outcome is
// unknown, and her next sync with Bob asks and reports it.
TEST_F(SagaRejectionTest, ALostCommitReplyMakesTheOutcomeUnknownUntilTheNextSync) {
  InterceptingConnection losing(connect(*alice, *bob), nullptr,
                                [](const std::string& request, std::string reply) -> Result<std::string> {
                                  if (leg_of(request) == "commit") return unavailable("connection dropped");
                                  return reply;
                                });
  auto report = alice->service->sync(losing, bob->domain_tjp, {notes->head()});
  EXPECT_EQ(report.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(report.status().message().find("outcome unknown"), std::string::npos) << report.status().to_string();
  EXPECT_EQ(bob->head(notes->tjp()), notes->head());  // Bob did commit

  auto next = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_FALSE(next->previous_saga.empty());
  EXPECT_TRUE(next->previous_saga_committed);
  // Settled: the sync after that asks nothing.
  auto after = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_TRUE(after->previous_saga.empty());
}

// A Commit that never reached Bob: the Abort that follows carries it as a
// pending turn, Bob acknowledges the Abort, so Alice knows nothing was
// committed and says so (no "outcome unknown").
TEST_F(SagaRejectionTest, AnUndeliveredCommitIsKnownNotCommitted) {
  Status status = sync_with([&](std::string request) -> Result<std::string> {
    if (leg_of(request) == "commit") return unavailable("link dropped");
    return request;
  });
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message().find("outcome unknown"), std::string::npos) << status.to_string();
  expect_nothing_of_the_domain_at_bob();
  auto next = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes->head()});
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_TRUE(next->previous_saga.empty());
}

// A sender that dies mid-saga leaves payloads staged at the receiver; they go
// once the saga has been idle for saga_idle_timeout on the receiver's own
// clock, without any further request arriving.
TEST_F(SagaRejectionTest, AnAbandonedSagaExpiresOnTheReceiversClock) {
  Status status = sync_with([&](std::string request) -> Result<std::string> {
    // The sender "dies" at Commit: neither the Commit nor an Abort arrives.
    if (leg_of(request) == "commit" || leg_of(request) == "abort") return unavailable("sender gone");
    return request;
  });
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(bob->staged_addresses().empty());
  EXPECT_EQ(bob->service->expire_idle_sagas(), 0u);  // not idle long enough yet
  *bob->clock_ms += SyncOptions{}.saga_idle_timeout.count() + 1;
  EXPECT_EQ(bob->service->expire_idle_sagas(), 1u);
  // Kept for the sender's next saga to resume (resume_keep), then released.
  EXPECT_FALSE(bob->staged_addresses().empty());
  *bob->clock_ms += SyncOptions{}.resume_keep.count() + 1;
  EXPECT_EQ(bob->service->expire_idle_sagas(), 0u);
  EXPECT_TRUE(bob->staged_addresses().empty());
  EXPECT_FALSE(bob->head(notes->tjp()).has_value());
}

// Staging limits: a saga over its own cap, or over the node's total, is
// refused before anything more is staged, and its staged payloads go.
TEST(SagaStagingLimitsTest, ASagaOverItsCapOrTheNodesTotalIsRefusedAndReleased) {
  SyncOptions small;
  small.max_message_bytes = 2048;  // several Delta turns
  small.max_staged_bytes_per_saga = 4000;
  auto alice = make_node("alice-cap", small);
  auto bob = make_node("bob-cap", small);
  ASSERT_TRUE(alice && bob);
  enroll(*alice, *bob);
  TimelineBuilder notes(*alice, "notes");
  for (int i = 0; i < 8; ++i) notes.patch({{"text", std::string(600, static_cast<char>('a' + i))}});
  auto report = alice->service->sync(*connect(*alice, *bob), bob->domain_tjp, {notes.head()});
  EXPECT_EQ(report.status().code(), StatusCode::kResourceExhausted) << report.status().to_string();
  EXPECT_NE(report.status().message().find("max_staged_bytes_per_saga"), std::string::npos);
  EXPECT_TRUE(bob->staged_addresses().empty());
  EXPECT_FALSE(bob->head(notes.tjp()).has_value());

  // The node's total: two sagas that each fit, but not together.
  SyncOptions total;
  total.max_staged_bytes = 3000;
  auto carol = make_node("carol-cap", total);
  ASSERT_TRUE(carol);
  enroll(*alice, *carol);
  WireSender first(*alice, *carol);
  ASSERT_TRUE(first.init(json::Object{{notes.tjp(), notes.head()}}).ok());
  RecordReader reader({alice->durable.get()});
  const std::vector<std::string> closure = *dependency_closure(reader, {notes.head()});
  std::vector<Payload> batch;
  for (std::size_t i = 0; i < 2; ++i) batch.push_back(Payload{closure[i], **alice->durable->get(closure[i]), {}});
  auto staged = first.delta(batch);
  ASSERT_TRUE(staged.ok() && staged->leg == Leg::kDeltaReply) << (staged.ok() ? staged->error.to_string() : "");
  WireSender second(*alice, *carol);
  ASSERT_TRUE(second.init(json::Object{{notes.tjp(), notes.head()}}).ok());
  std::vector<Payload> more;
  for (std::size_t i = 2; i < closure.size(); ++i) more.push_back(Payload{closure[i], **alice->durable->get(closure[i]), {}});
  auto refused = second.delta(more);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->leg, Leg::kError);
  EXPECT_EQ(refused->error.code(), StatusCode::kResourceExhausted) << refused->error.to_string();
  EXPECT_NE(refused->error.message().find("max_staged_bytes "), std::string::npos) << refused->error.to_string();
  ASSERT_TRUE(first.abort().ok());
  EXPECT_TRUE(carol->staged_addresses().empty());
}

}  // namespace
}  // namespace gibkit::saga::testing
