// Identity v2: each attack of issue #9, driven against the real saga code by
// a man in the middle, a stranger with keys of its own, or a trusted peer
// that lies (tests/saga/wire_peers.h). Each test asserts that the attack is
// refused and that the heads, domain records and registry of the attacked
// node did not move.
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "gibkit/gib_hash.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/saga/contexts.h"
#include "gibkit/saga/sync_messages.h"
#include "gibkit/record_graph.h"
#include "saga_fixture.h"
#include "wire_peers.h"

namespace gibkit::saga::testing {
namespace {

// Records that are neither control (contexts, saga logs, ledger entries)
// nor identity frames: what a sync may move.
std::set<std::string> domain_records(const TestNode& node) {
  static const std::set<std::string> kControl{"sync_saga", "keystone", "identity_claim"};
  std::set<std::string> out;
  EXPECT_TRUE(node.durable
                  ->for_each_record([&](std::string_view address, std::string_view text) {
                    auto record = IbGib::parse(text);
                    if (record && !kControl.count(record->ib) && record->ib.rfind("sync_context", 0) != 0) {
                      out.emplace(address);
                    }
                    return true;
                  })
                  .ok());
  return out;
}

// Every head of the head index (data, identities, ledgers).
std::map<std::string, std::string> all_heads(const TestNode& node) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(node.durable
                  ->for_each_head([&](std::string_view timeline, std::string_view head) {
                    out.emplace(timeline, head);
                    return true;
                  })
                  .ok());
  return out;
}

// What must not move on a node under attack.
struct Snapshot {
  explicit Snapshot(const TestNode& node) : records(domain_records(node)), heads(all_heads(node)) {}
  std::set<std::string> records;
  std::map<std::string, std::string> heads;
};

// The dependency closure of `head` at `node`, as payloads in dependency order.
std::vector<Payload> closure_payloads(const TestNode& node, const std::string& head) {
  RecordReader reader({node.durable.get()});
  const Result<std::vector<std::string>> closure = dependency_closure(reader, {head});
  EXPECT_TRUE(closure.ok());
  std::vector<Payload> payloads;
  if (!closure.ok()) return payloads;
  for (const std::string& address : *closure) payloads.push_back(Payload{address, **node.durable->get(address), {}});
  return payloads;
}


// A receiver's answers that claim to be ahead on `tjp` at `head`, then hand
// over `payloads` (named in the delta reply) and commit nothing of its own.
WireReceiver::AnswerFn claims_to_be_ahead(const std::string& tjp, const std::string& head,
                                          std::vector<Payload> payloads = {}) {
  return [=](const SyncRequest& request) {
    WireReceiver::Answer answer;
    switch (request.leg) {
      case Leg::kInit:
        answer.fields = json::Object{{"timelines", json::Object{{tjp, json::Object{{"head", head}, {"relation", "ahead"}}}}},
                                     {"stones", json::Object{}}};
        break;
      case Leg::kDelta: {
        json::Array names;
        for (const Payload& payload : payloads) names.emplace_back(payload.address);
        answer.fields = json::Object{{"seq", 1}, {"received", 0}, {"payloadAddrs", std::move(names)}, {"more", false}};
        answer.payloads = payloads;
        break;
      }
      case Leg::kCommit: answer.fields = json::Object{{"committed", 0}, {"heads", json::Object{}}}; break;
      default: break;
    }
    return answer;
  };
}

class IdentityAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    const std::string suffix = std::to_string(++counter);
    alice = make_node("alice-x" + suffix);
    bob = make_node("bob-x" + suffix);
    carol = make_node("carol-x" + suffix);
    ASSERT_TRUE(alice && bob && carol);
    enroll(*alice, *bob);
    enroll(*carol, *bob);
    notes = std::make_unique<TimelineBuilder>(*alice, "notes");
    notes->patch({{"text", "first"}}).patch({{"text", "second"}});
  }

  Result<SyncReport> alice_syncs(Connection& connection) {
    return alice->service->sync(connection, bob->domain_tjp, {notes->head()});
  }

  Result<SyncReport> alice_syncs_with_bob() {
    auto connection = connect(*alice, *bob);
    return alice_syncs(*connection);
  }

  // No domain record added, no data head moved, nothing left staged. (Its
  // own domain may have endorsed a session, and a peer's genuine frames may
  // have been accepted; the tests that care check the registry themselves.)
  void expect_unmoved(const TestNode& node, const Snapshot& before) {
    EXPECT_EQ(domain_records(node), before.records);
    std::map<std::string, std::string> data_heads_before;
    for (const auto& [key, head] : before.heads) {
      if (!identity::is_protected_head_key(key)) data_heads_before[key] = head;
    }
    std::map<std::string, std::string> data_heads;
    for (const auto& [key, head] : all_heads(node)) {
      if (!identity::is_protected_head_key(key)) data_heads[key] = head;
    }
    EXPECT_EQ(data_heads, data_heads_before);
    EXPECT_TRUE(node.staged_addresses().empty());
  }

  std::unique_ptr<TestNode> alice, bob, carol;
  std::unique_ptr<TimelineBuilder> notes;
};

// --- 1. A sender trusts unsigned replies -----------------------------------

TEST_F(IdentityAttackTest, AManInTheMiddleCannotRewriteAReply) {
  const Snapshot before(*alice);
  // The Ack is rewritten to say Bob is ahead at Alice's own genesis frame.
  InterceptingConnection mitm(connect(*alice, *bob), nullptr, [&](const std::string& request,
                                                                std::string response) -> Result<std::string> {
    if (leg_of(request) != "init") return response;
    json::Value message = *json::parse(response);
    message.as_object()["context"] = reseal(message.as_object()["context"], [&](IbGib& context) {
      context.data->as_object()["timelines"] =
          json::Object{{notes->tjp(), json::Object{{"head", notes->tjp()}, {"relation", "ahead"}}}};
    });
    return json::stringify(message);
  });
  auto report = alice_syncs(mitm);
  EXPECT_EQ(report.status().code(), StatusCode::kPermissionDenied) << report.status().to_string();
  expect_unmoved(*alice, before);
  EXPECT_EQ(alice->head(notes->tjp()), notes->head());
}

TEST_F(IdentityAttackTest, AStrangerCannotAnswerForThePeer) {
  auto mallory = make_node("mallory-x");
  ASSERT_TRUE(mallory);
  const Snapshot before(*alice);
  WireReceiver fake(*mallory, claims_to_be_ahead(notes->tjp(), notes->tjp()));
  // Unknown to Alice.
  auto report = alice_syncs(fake);
  EXPECT_EQ(report.status().code(), StatusCode::kPermissionDenied) << report.status().to_string();
  EXPECT_NE(report.status().message().find("unknown identity"), std::string::npos) << report.status().to_string();
  // Known to Alice, but not the domain she expects at this peer.
  ASSERT_TRUE(alice->service->trust_peer(mallory->domain_genesis_json).ok());
  report = alice_syncs(fake);
  EXPECT_EQ(report.status().code(), StatusCode::kPermissionDenied) << report.status().to_string();
  EXPECT_NE(report.status().message().find("expected " + bob->domain_tjp), std::string::npos)
      << report.status().to_string();
  expect_unmoved(*alice, before);
}

// Bob's real keys, but Bob lies: his Ack says he is ahead at Alice's own
// genesis frame. The signature is genuine; the local commit's rules refuse.
TEST_F(IdentityAttackTest, ATrustedReceiverCannotMoveTheSendersHeadBack) {
  const Snapshot before(*alice);
  WireReceiver lying_bob(*bob, claims_to_be_ahead(notes->tjp(), notes->tjp()));
  auto report = alice_syncs(lying_bob);
  EXPECT_EQ(report.status().code(), StatusCode::kAborted) << report.status().to_string();
  expect_unmoved(*alice, before);
  EXPECT_EQ(alice->head(notes->tjp()), notes->head());
}

// Bob hands Alice a frame he built on her timeline that does not descend
// from her head (a sibling of her first edit), claiming to be ahead.
TEST_F(IdentityAttackTest, ATrustedReceiverCannotMakeTheSenderAdoptAFrameOffHerTimeline) {
  Mut8Options options;
  options.n_counter = true;
  options.data_to_add_or_patch = json::Object{{"text", "Bob's rewrite"}};
  const IbGib genesis = *IbGib::parse(**alice->durable->get(notes->tjp()));
  const IbGib sibling = mut8(genesis, options)->frame;
  const Snapshot before(*alice);
  WireReceiver lying_bob(*bob, claims_to_be_ahead(notes->tjp(), sibling.address(), {Payload::of(sibling)}));
  auto report = alice_syncs(lying_bob);
  EXPECT_EQ(report.status().code(), StatusCode::kAborted) << report.status().to_string();
  expect_unmoved(*alice, before);
  EXPECT_FALSE(alice->holds(sibling.address()));
}

// A genuine fast-forward from Bob, with one record Alice never asked for.
TEST_F(IdentityAttackTest, ATrustedReceiverCannotSlipInARecordNobodyAskedFor) {
  ASSERT_TRUE(alice_syncs_with_bob().ok());
  TimelineBuilder bobs = notes->on(*bob);
  bobs.patch({{"text", "Bob's edit"}});
  const IbGib frame = *IbGib::parse(**bob->durable->get(bobs.head()));
  const IbGib dna = *IbGib::parse(**bob->durable->get(frame.rel8d(kRel8nDna).back()));
  const IbGib smuggled = make_stone("smuggled", {{"evil", true}}, {});
  const Snapshot before(*alice);
  WireReceiver lying_bob(*bob, claims_to_be_ahead(notes->tjp(), bobs.head(),
                                                {Payload::of(dna), Payload::of(frame), Payload::of(smuggled)}));
  auto report = alice_syncs(lying_bob);
  EXPECT_EQ(report.status().code(), StatusCode::kPermissionDenied) << report.status().to_string();
  EXPECT_NE(report.status().message().find(smuggled.address()), std::string::npos) << report.status().to_string();
  expect_unmoved(*alice, before);
  EXPECT_FALSE(alice->holds(smuggled.address()));
}

// --- 2. A trusted peer rewriting another identity's timeline ---------------

TEST_F(IdentityAttackTest, ATrustedPeerCannotWriteAnotherIdentitysTimeline) {
  // Carol learns Alice's domain frames the ordinary way: Alice syncs to her.
  enroll(*alice, *carol);
  ASSERT_TRUE(alice->service->sync(*connect(*alice, *carol), carol->domain_tjp, {notes->head()}).ok());
  ASSERT_TRUE(alice_syncs_with_bob().ok());
  identity::IdentityRegistry carols_registry(*carol->durable);
  const std::string alice_head_at_carol = **carols_registry.latest(alice->domain_tjp);
  const IbGib alice_frame = *IbGib::parse(**carol->durable->get(alice_head_at_carol));
  Mut8Options options;
  options.n_counter = true;
  options.data_to_add_or_patch = json::Object{{"note", "Carol was here"}};
  const IbGib forged = mut8(alice_frame, options)->frame;
  ASSERT_EQ(forged.tjp_address(), alice->domain_tjp);

  // Carol's own node refuses to sync an identity timeline as data.
  WriteBatch batch;
  batch.puts.push_back({forged.address(), forged.to_json_text()});
  ASSERT_TRUE(carol->durable->write(batch).ok());
  auto stock = carol->service->sync(*connect(*carol, *bob), bob->domain_tjp, {forged.address()});
  EXPECT_EQ(stock.status().code(), StatusCode::kPermissionDenied) << stock.status().to_string();
  EXPECT_NE(stock.status().message().find("protected"), std::string::npos) << stock.status().to_string();

  // A modified Carol speaking the wire protocol: Bob refuses the commit.
  identity::IdentityRegistry bobs_registry(*bob->durable);
  const std::string alice_head_at_bob = **bobs_registry.latest(alice->domain_tjp);
  const Snapshot before(*bob);
  WireSender modified_carol(*carol, *bob);
  auto ack = modified_carol.init(json::Object{{alice->domain_tjp, alice_head_at_carol}});
  ASSERT_TRUE(ack.ok() && ack->leg == Leg::kAck) << (ack.ok() ? ack->error.to_string() : ack.status().to_string());
  auto delta = modified_carol.delta({Payload::of(forged)});
  ASSERT_TRUE(delta.ok() && delta->leg == Leg::kDeltaReply);
  auto commit = modified_carol.commit(json::Object{{alice->domain_tjp, forged.address()}});
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(commit->leg, Leg::kError);
  EXPECT_EQ(commit->error.code(), StatusCode::kPermissionDenied) << commit->error.to_string();
  EXPECT_NE(commit->error.message().find("protected"), std::string::npos) << commit->error.to_string();
  EXPECT_EQ(**bobs_registry.latest(alice->domain_tjp), alice_head_at_bob);
  EXPECT_FALSE(bob->holds(forged.address()));
  expect_unmoved(*bob, before);

  // Alice is not locked out.
  notes->patch({{"text", "third"}});
  auto again = alice_syncs_with_bob();
  EXPECT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(bob->head(notes->tjp()), notes->head());
}

// Even a data head written under an identity's address (as a v1 Commit
// could) does not move the registry: identity heads live elsewhere.
TEST_F(IdentityAttackTest, IdentityHeadsLiveApartFromDataHeads) {
  ASSERT_TRUE(alice_syncs_with_bob().ok());
  identity::IdentityRegistry bobs_registry(*bob->durable);
  const std::string alice_head_at_bob = **bobs_registry.latest(alice->domain_tjp);
  WriteBatch batch;
  batch.heads.push_back({alice->domain_tjp, notes->head(), std::nullopt});
  ASSERT_TRUE(bob->durable->write(batch).ok());
  EXPECT_EQ(**bobs_registry.latest(alice->domain_tjp), alice_head_at_bob);
  notes->patch({{"text", "third"}});
  EXPECT_TRUE(alice_syncs_with_bob().ok());
}

// --- 3. Primitive gib bypass ------------------------------------------------

// Someone who saw Alice's Init delivers a copy of her endorsing frame with
// gib "gib" first; first-seen-wins must not lock the real identity out.
TEST_F(IdentityAttackTest, APrimitiveGibCopyOfAFrameLocksNobodyOut) {
  std::string init;
  InterceptingConnection dropping(connect(*alice, *bob), [&](std::string request) -> Result<std::string> {
    if (leg_of(request) == "init") init = request;
    return unavailable("dropped by the attacker");
  });
  EXPECT_FALSE(alice_syncs(dropping).ok());
  ASSERT_FALSE(init.empty());
  for (const char* which : {"endorsement", "genesis"}) {
    json::Value message = *json::parse(init);
    json::Object& session = message.as_object()["session"].as_object();
    json::Value& frame = std::string(which) == "genesis" ? session["genesis"] : session["endorsement"].as_object()["frame"];
    frame.as_object()["gib"] = "gib";
    auto answer = connect(*alice, *bob)->request(json::stringify(message), std::chrono::seconds(5));
    ASSERT_TRUE(answer.ok());
    auto response = decode_response(*answer);
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->leg, Leg::kError);
    EXPECT_EQ(response->error.code(), StatusCode::kInvalidArgument) << response->error.to_string();
  }
  identity::IdentityRegistry bobs_registry(*bob->durable);
  EXPECT_EQ(**bobs_registry.latest(alice->domain_tjp), alice->domain_tjp);
  auto retry = alice_syncs_with_bob();
  EXPECT_TRUE(retry.ok()) << retry.status().to_string();
}

// --- 4. Replay to another receiver, or later -------------------------------

TEST_F(IdentityAttackTest, AnInitReplayedToAnotherNodeIsRefused) {
  auto dave = make_node("dave-x");
  ASSERT_TRUE(dave);
  enroll(*alice, *dave);
  std::string init;
  InterceptingConnection recording(connect(*alice, *bob), [&](std::string request) -> Result<std::string> {
    if (leg_of(request) == "init") init = request;
    return request;
  });
  ASSERT_TRUE(alice_syncs(recording).ok());
  // Bob (or anyone who saw it) replays Alice's Init to Dave, who trusts her
  // and has not seen that endorsement yet.
  identity::IdentityRegistry daves_registry(*dave->durable);
  const Snapshot before(*dave);
  auto answer = connect(*bob, *dave)->request(init, std::chrono::seconds(5));
  ASSERT_TRUE(answer.ok());
  auto response = decode_response(*answer);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->leg, Leg::kError);
  EXPECT_EQ(response->error.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(response->error.message().find("audience"), std::string::npos) << response->error.to_string();
  EXPECT_EQ(**daves_registry.latest(alice->domain_tjp), alice->domain_tjp);
  expect_unmoved(*dave, before);
  EXPECT_TRUE(alice->service->sync(*connect(*alice, *dave), dave->domain_tjp, {notes->head()}).ok());
}

TEST_F(IdentityAttackTest, AnInitDeliveredAfterItsValidityWindowIsRefused) {
  std::string init;
  InterceptingConnection holding(connect(*alice, *bob), [&](std::string request) -> Result<std::string> {
    if (leg_of(request) == "init") init = request;
    return unavailable("held back by the attacker");
  });
  EXPECT_FALSE(alice_syncs(holding).ok());
  *bob->clock_ms += SyncOptions{}.init_validity.count() + 1;
  auto answer = connect(*alice, *bob)->request(init, std::chrono::seconds(5));
  auto response = decode_response(*answer);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->leg, Leg::kError);
  EXPECT_NE(response->error.message().find("freshness"), std::string::npos) << response->error.to_string();
  identity::IdentityRegistry bobs_registry(*bob->durable);
  EXPECT_EQ(**bobs_registry.latest(alice->domain_tjp), alice->domain_tjp);
}

// --- 5. Only a saga's own signed turns control it ---------------------------

TEST_F(IdentityAttackTest, NobodyButTheSagasOwnSessionCanEndIt) {
  WireSender genuine(*alice, *bob);
  ASSERT_TRUE(genuine.init(json::Object{{notes->tjp(), notes->head()}}).ok());
  const std::vector<Payload> payloads = closure_payloads(*alice, notes->head());
  auto staged = genuine.delta(payloads);
  ASSERT_TRUE(staged.ok() && staged->leg == Leg::kDeltaReply);

  // Junk naming the saga, a forged abort, and an abort signed by another
  // (trusted) peer's session: none may touch the saga.
  auto raw = connect(*carol, *bob);
  const std::string junk = R"({"protocol":"gibkit-sync/2","leg":"abort","sagaId":")" + genuine.saga_id() + R"("})";
  EXPECT_TRUE(raw->request(junk, std::chrono::seconds(5)).ok());
  WireSender other(*carol, *bob);
  ASSERT_TRUE(other.init(json::Object{}).ok());
  auto forged_abort = other.encode_turn(Leg::kAbort, json::Object{{"reason", "not yours"}});
  ASSERT_TRUE(forged_abort.ok());
  json::Value message = *json::parse(*forged_abort);
  message.as_object()["sagaId"] = genuine.saga_id();
  auto refused = other.send(json::stringify(message));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->leg, Leg::kError);

  auto committed = genuine.commit(json::Object{{notes->tjp(), notes->head()}});
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(committed->leg, Leg::kCommitReply) << committed->error.to_string();
  EXPECT_EQ(bob->head(notes->tjp()), notes->head());
}

// --- 6. Cross-saga splice ---------------------------------------------------

TEST_F(IdentityAttackTest, ASagaCannotCommitAHeadAnotherSagaStaged) {
  WireSender first(*alice, *bob);
  ASSERT_TRUE(first.init(json::Object{{notes->tjp(), notes->head()}}).ok());
  const std::vector<Payload> payloads = closure_payloads(*alice, notes->head());
  ASSERT_TRUE(first.delta(payloads).ok());

  const Snapshot before(*bob);
  WireSender second(*carol, *bob);
  ASSERT_TRUE(second.init(json::Object{{notes->tjp(), notes->tjp()}}).ok());
  auto commit = second.commit(json::Object{{notes->tjp(), notes->head()}});
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(commit->leg, Leg::kError);
  EXPECT_EQ(commit->error.code(), StatusCode::kNotFound) << commit->error.to_string();
  EXPECT_FALSE(bob->head(notes->tjp()).has_value());

  ASSERT_TRUE(first.abort().ok());
  EXPECT_EQ(domain_records(*bob), before.records);
  EXPECT_FALSE(bob->holds(notes->head()));
  EXPECT_TRUE(bob->staged_addresses().empty());
}

// --- Duplicity (KERI) --------------------------------------------------------

// A node restored from a backup signs again from a frame it had already
// evolved: two valid frames at one position. The receiver keeps both as
// evidence and refuses the identity until an operator decides.
TEST_F(IdentityAttackTest, TwoValidFramesAtOnePositionAreKeptAsEvidenceAndRefused) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("gibkit-duplicity-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "secrets");
  fs::permissions(dir / "secrets", fs::perms::owner_all);
  auto plugin = load_plugin("signer-keystone");
  auto signer = *plugin->create_signer(json::Object{{"secrets_dir", (dir / "secrets").string()}});
  auto space = *load_plugin("space-memory")->create_space(json::Object{});
  identity::IdentityRegistry own(*space);
  const std::string domain = *own.create_identity(*signer, json::Object{{"preset", "domain"}});
  fs::copy(dir / "secrets", dir / "backup", fs::copy_options::recursive);

  identity::IdentityRegistry bobs(*bob->durable);
  ASSERT_TRUE(bobs.trust(**space->get(domain)).ok());
  const std::string target_one = make_stone("one", {{"n", 1}}, {}).address();
  const std::string target_two = make_stone("two", {{"n", 2}}, {}).address();
  auto first = own.sign(*signer, domain, Claim{"endorse", target_one});
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  ASSERT_TRUE(bobs.accept(*bob->signer, domain, *first, Claim{"endorse", target_one}).ok());

  // The restored copy: genesis head, secrets from the backup.
  auto restored_signer = *plugin->create_signer(json::Object{{"secrets_dir", (dir / "backup").string()}});
  auto second = restored_signer->sign(**space->get(domain), Claim{"endorse", target_two});
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  const std::string second_json = second->records_json.back();

  Status refused = bobs.accept(*bob->signer, domain, second_json, Claim{"endorse", target_two});
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("duplicity"), std::string::npos) << refused.to_string();
  auto evidence = bobs.duplicity(domain);
  ASSERT_TRUE(evidence.ok() && evidence->has_value());
  EXPECT_EQ((*evidence)->held_frame, IbGib::parse(*first)->address());
  EXPECT_EQ((*evidence)->other_frame, second->latest_address);
  EXPECT_TRUE(bob->holds(second->latest_address));

  // Refused from now on, even a genuine next frame.
  auto third = own.sign(*signer, domain, Claim{"endorse", target_two});
  ASSERT_TRUE(third.ok());
  EXPECT_NE(bobs.accept(*bob->signer, domain, *third, Claim{"endorse", target_two}).message().find("duplicity"),
            std::string::npos);
  // The operator decides to keep the branch Bob holds.
  ASSERT_TRUE(bobs.clear_duplicity(domain).ok());
  EXPECT_TRUE(bobs.accept(*bob->signer, domain, *third, Claim{"endorse", target_two}).ok());
  fs::remove_all(dir);
}

// A frame that does not verify from the frame before it is a forgery, not
// evidence: nothing is recorded (else anyone could get an identity refused).
TEST_F(IdentityAttackTest, AForgedFrameIsNotEvidence) {
  ASSERT_TRUE(alice_syncs_with_bob().ok());
  identity::IdentityRegistry bobs(*bob->durable);
  // A sibling of Bob's latest frame of Alice's domain: same position,
  // different content, not signed by Alice's secret.
  const IbGib head = *IbGib::parse(**bob->durable->get(**bobs.latest(alice->domain_tjp)));
  const IbGib before_head = *IbGib::parse(**bob->durable->get(head.rel8d(kRel8nPast).back()));
  Mut8Options options;
  options.n_counter = true;
  options.data_to_add_or_patch = json::Object{{"forged", true}};
  const IbGib forged = mut8(before_head, options)->frame;
  ASSERT_EQ(forged.n(), head.n());
  EXPECT_FALSE(bobs.accept(*bob->signer, alice->domain_tjp, forged.to_json_text(), Claim{"endorse", "x^gib"}).ok());
  EXPECT_FALSE(bobs.duplicity(alice->domain_tjp)->has_value());
  notes->patch({{"text", "third"}});
  EXPECT_TRUE(alice_syncs_with_bob().ok());
}

}  // namespace
}  // namespace gibkit::saga::testing
