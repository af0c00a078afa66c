// End-to-end tests of keystone identities through KeystoneSigner: round
// trips with every replenish rule and both binding modes, and one test per
// rejection category of verify (see keystone/verify.h).
#include "keystone/keystone_signer.h"

#include <sys/stat.h>

#include <cstdio>
#include <set>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"
#include "keystone/challenge_pool.h"
#include "keystone/evolve.h"
#include "keystone/hash_reveal.h"
#include "keystone/presets.h"
#include "signer_testing.h"

namespace gibkit::keystone {
namespace {

using signer_testing::category;
using signer_testing::data_of;
using signer_testing::parse;
using signer_testing::tampered;
using signer_testing::target;
using signer_testing::TempDir;
using signer_testing::TestEnvironment;

json::Object& pool_of(IbGib& frame, std::size_t i) {
  return data_of(frame).find("challengePools")->as_array().at(i).as_object();
}
json::Object& challenges_of(IbGib& frame, std::size_t i) { return pool_of(frame, i).find("challenges")->as_object(); }
json::Object& claim_of(IbGib& frame) {
  return data_of(frame).find("proofs")->as_array().at(0).as_object().find("claim")->as_object();
}

class KeystoneTest : public signer_testing::SignerTest<KeystoneSigner> {
 protected:
  std::string create(const json::Value& options) {
    auto made = signer_.create_identity(options);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    EXPECT_EQ(made->records_json.size(), 1u);
    return made->records_json.back();
  }
  std::string sign(const std::string& latest, const Claim& claim) {
    auto made = signer_.sign(latest, claim);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    return made.ok() ? made->records_json.back() : std::string();
  }
  // A session of the positional-pool preset (the pool tests look into its pools).
  std::string session_chain(std::vector<std::string>& frames, int turns) {
    frames = {create(json::Object{{"preset", "session-pools"}})};
    for (int i = 0; i < turns; ++i) frames.push_back(sign(frames.back(), {"sync", target(i)}));
    return frames.back();
  }
};

TEST_F(KeystoneTest, GenesisHasReferenceShape) {
  const IbGib genesis = parse(create(json::Object{{"preset", "domain-pools"}}));
  EXPECT_EQ(genesis.ib, "keystone");
  EXPECT_EQ(genesis.gib, *compute_gib(genesis));
  EXPECT_EQ(genesis.gib.find('.'), std::string::npos);  // a tjp's gib is a plain hash
  EXPECT_EQ(json::stringify(json::Value(*genesis.rel8ns)), R"({"ancestor":["keystone^gib"]})");
  const json::Object& data = genesis.data->as_object();
  EXPECT_EQ(*genesis.n(), 0);
  EXPECT_TRUE(data.find("isTjp")->as_bool());
  EXPECT_EQ(data.find("timestamp")->as_string(), "Wed, 29 Apr 2026 12:52:39 GMT");
  EXPECT_EQ(data.find("timestampMs")->as_number(), 623);
  EXPECT_EQ(data.find("uuid")->as_string().size(), 64u);
  EXPECT_EQ(data.find("proofs")->as_array().size(), 0u);
  const json::Array& pools = data.find("challengePools")->as_array();
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].find("id")->as_string(), "endorse");
  EXPECT_EQ(pools[0].find("challenges")->as_object().size(), 16u + 32 * 16);
  EXPECT_EQ(pools[1].find("id")->as_string(), "revoke");
  EXPECT_EQ(pools[1].find("challenges")->as_object().size(), 64u);
}

TEST_F(KeystoneTest, SignedFramesFollowMut8WithCounter) {
  std::vector<std::string> frames;
  session_chain(frames, 3);
  const IbGib g = parse(frames[0]), f1 = parse(frames[1]), f3 = parse(frames[3]);
  EXPECT_EQ(*f3.n(), 3);
  EXPECT_EQ(f3.rel8d("tjp"), std::vector<std::string>{g.address()});
  // Linked past: only the previous frame.
  EXPECT_EQ(f3.rel8d("past"), std::vector<std::string>{parse(frames[2]).address()});
  EXPECT_EQ(f1.rel8d("past"), std::vector<std::string>{g.address()});
  EXPECT_EQ(f3.rel8d("ancestor"), std::vector<std::string>{"keystone^gib"});
  EXPECT_EQ(f1.gib.substr(f1.gib.find('.') + 1), g.gib);  // punctiliar.tjpGib
  EXPECT_FALSE(f1.data->as_object().contains("isTjp"));
  EXPECT_EQ(f1.data->find("uuid")->as_string(), g.data->find("uuid")->as_string());
}

struct Mode {
  Replenish replenish;
  BindingMode binding;
};

class KeystoneRoundTripTest : public KeystoneTest, public ::testing::WithParamInterface<Mode> {};

TEST_P(KeystoneRoundTripTest, SignsAndVerifiesEveryTurnUntilThePoolIsSpent) {
  PoolConfig work;
  work.salt = "work";
  work.allowed_verbs = {"sync"};
  work.behavior = {.size = GetParam().binding == BindingMode::kBucket ? 256 : 48,
                   .replenish = GetParam().replenish,
                   .select_sequentially = 1,
                   .select_randomly = 1,
                   .target_binding_chars = GetParam().binding == BindingMode::kPositional ? 8 : 2,
                   .binding_mode = GetParam().binding};
  json::Array pools{work.to_json(), session_pools_preset()[1].to_json()};
  std::string latest = create(json::Object{{"pools", pools}});
  const bool unlimited = GetParam().replenish == Replenish::kTopUp || GetParam().replenish == Replenish::kReplaceAll;
  int signed_turns = 0;
  for (int i = 0; i < 6; ++i) {
    const Claim claim{"sync", target(i)};
    auto next = signer_.sign(latest, claim);
    if (!next.ok()) {
      // consume / scorched-earth pools run dry: a clean refusal, never a bad frame.
      EXPECT_FALSE(unlimited) << next.status().to_string();
      EXPECT_EQ(next.status().code(), StatusCode::kResourceExhausted) << next.status().to_string();
      break;
    }
    const std::string& frame = next->records_json.back();
    ASSERT_TRUE(signer_.verify(latest, frame, claim).ok()) << signer_.verify(latest, frame, claim).to_string();
    latest = frame;
    ++signed_turns;
  }
  EXPECT_GE(signed_turns, 1);
  if (unlimited) {
    EXPECT_EQ(signed_turns, 6);
  }
  if (GetParam().replenish == Replenish::kScorchedEarth) {
    EXPECT_EQ(signed_turns, 1);
  }
  // Finally revoke, which verifies too.
  auto revoked = signer_.revoke(latest, "rotating");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  EXPECT_TRUE(signer_.verify(latest, revoked->records_json.back(), {"revoke", parse(latest).address()}).ok());
}

INSTANTIATE_TEST_SUITE_P(AllRules, KeystoneRoundTripTest,
                         ::testing::Values(Mode{Replenish::kTopUp, BindingMode::kBucket},
                                           Mode{Replenish::kTopUp, BindingMode::kPositional},
                                           Mode{Replenish::kReplaceAll, BindingMode::kBucket},
                                           Mode{Replenish::kReplaceAll, BindingMode::kPositional},
                                           Mode{Replenish::kConsume, BindingMode::kBucket},
                                           Mode{Replenish::kConsume, BindingMode::kPositional},
                                           Mode{Replenish::kScorchedEarth, BindingMode::kBucket},
                                           Mode{Replenish::kScorchedEarth, BindingMode::kPositional}));

// Both families of presets: wots ("domain", "session") and positional pools
// ("domain-pools", "session-pools").
TEST_F(KeystoneTest, DomainEndorsesSession) {
  for (const std::string suffix : {"", "-pools"}) {
    SCOPED_TRACE("presets domain" + suffix + ", session" + suffix);
    const std::string domain = create(json::Object{{"preset", "domain" + suffix}});
    const std::string session = create(json::Object{{"preset", "session" + suffix}});
    const Claim endorse{"endorse", parse(session).address()};
    const std::string endorsement = sign(domain, endorse);
    EXPECT_TRUE(signer_.verify(domain, endorsement, endorse).ok());
    // The domain cannot sync and the session cannot endorse.
    EXPECT_EQ(signer_.sign(endorsement, {"sync", target(0)}).status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(signer_.sign(session, endorse).status().code(), StatusCode::kPermissionDenied);
  }
}

TEST_F(KeystoneTest, RejectsWrongSecret) {
  const std::string genesis = create(json::Object{{"preset", "session-pools"}});
  const signer_support::Secret wrong(32, 0x42);
  auto forged = evolve(parse(genesis), {"sync", target(0)}, wrong, env_.env());
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(category(signer_.verify(genesis, forged->to_json_text(), {"sync", target(0)})), "crypto");
}

TEST_F(KeystoneTest, RejectsReplayedAndSkippedFrames) {
  std::vector<std::string> f;
  session_chain(f, 2);
  EXPECT_EQ(category(signer_.verify(f[1], f[1], {"sync", target(0)})), "counter");  // replay of the same frame
  EXPECT_EQ(category(signer_.verify(f[2], f[1], {"sync", target(0)})), "counter");  // an older frame
  EXPECT_EQ(category(signer_.verify(f[0], f[2], {"sync", target(1)})), "counter");  // skipped n
  const std::string renumbered = tampered(f[1], [](IbGib& r) { data_of(r).set("n", 2); });
  EXPECT_EQ(category(signer_.verify(f[0], renumbered, {"sync", target(0)})), "counter");
  // The signer never evolves a frame twice (that would reveal more of its
  // solutions): f[0] and f[1] were evolved already. (f[1], the frame before
  // the latest, would adopt f[2]: KeystoneTest.RefusesToEvolveTheSameFrameTwice.)
  EXPECT_EQ(signer_.sign(f[0], {"sync", target(9)}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(KeystoneTest, RejectsWrongTargetAndWrongVerb) {
  std::vector<std::string> f;
  session_chain(f, 1);
  EXPECT_EQ(category(signer_.verify(f[0], f[1], {"sync", target(1)})), "target");
  EXPECT_EQ(category(signer_.verify(f[0], f[1], {"endorse", target(0)})), "verb");
  // A frame whose claim was rewritten to a verb no pool allows.
  const std::string forbidden = tampered(f[1], [](IbGib& r) { claim_of(r).set("verb", "endorse"); });
  EXPECT_EQ(category(signer_.verify(f[0], forbidden, {"endorse", target(0)})), "verb");
  EXPECT_EQ(signer_.sign(f[1], {"endorse", target(0)}).status().code(), StatusCode::kPermissionDenied);
}

// A man in the middle holds a signed turn for target T and rewrites its claim
// to T' reusing the revealed solutions. Positional binding (presets) rejects
// any T' that differs in the first 32 digest chars.
TEST_F(KeystoneTest, PositionalBindingRejectsForgedTarget) {
  std::vector<std::string> f;
  session_chain(f, 1);
  const std::string other = target(1);
  const std::string forged = tampered(f[1], [&](IbGib& r) { claim_of(r).set("target", other); });
  EXPECT_EQ(category(signer_.verify(f[0], forged, {"sync", other})), "policy");
}

// A man in the middle's fresh challenges: ids he picks, hashes from his own
// secret, so that he would know the next solutions.
class AttackerSource final : public ChallengeSource {
 public:
  Result<Challenge> next() override {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", 0xbad000u + count_++);
    const std::string solution = derive_solution(HashAlgo::kSha256, 1, "attacker secret", id);
    return Challenge{id, derive_challenge_hash(HashAlgo::kSha256, 1, solution, id)};
  }

 private:
  unsigned count_ = 0;
};

// The attack of docs/security.md ("MITM of revealed solutions"): frame n+1
// republished with the same claim and solutions, but with next pools that
// the pool's own rule builds from the attacker's fresh challenges, and the
// gib recomputed. Returns the forged frame.
std::string substitute_fresh_challenges(const std::string& prev_json, const std::string& next_json) {
  const IbGib prev = parse(prev_json);
  IbGib next = parse(next_json);
  auto pool = ChallengePool::from_json(prev.data->find("challengePools")->as_array()[0]);
  EXPECT_TRUE(pool.ok());
  std::set<std::string> revealed;
  for (const json::Value& s : next.data->find("proofs")->as_array()[0].find("solutions")->as_array()) {
    revealed.insert(s.find("challengeId")->as_string());
  }
  std::vector<std::string> consumed;
  for (const std::string& id : pool->challenge_ids()) {
    if (revealed.contains(id)) consumed.push_back(id);
  }
  AttackerSource attacker;
  EXPECT_TRUE(pool->consume(consumed, attacker).ok());
  return tampered(next_json, [&](IbGib& r) { data_of(r).find("challengePools")->as_array()[0] = pool->to_json(); });
}

// Positional binding covers the challenges the next frame adds: the
// substitution changes D, so the revealed slots no longer match (a match
// would take 2^128 tries). Both replenish rules of the presets.
TEST_F(KeystoneTest, PositionalBindingRejectsSubstitutedNextPools) {
  for (const char* preset : {"session-pools", "domain-pools"}) {
    SCOPED_TRACE(preset);
    const std::string genesis = create(json::Object{{"preset", preset}});
    const Claim claim{std::string(preset) == "session-pools" ? "sync" : "endorse", target(0)};
    const std::string turn = sign(genesis, claim);
    const std::string forged = substitute_fresh_challenges(genesis, turn);
    ASSERT_NE(parse(forged).gib, parse(turn).gib);
    const Status status = signer_.verify(genesis, forged, claim);
    EXPECT_EQ(category(status), "policy") << status.to_string();
    EXPECT_NE(status.message().find("binding"), std::string::npos) << status.to_string();
    EXPECT_TRUE(signer_.verify(genesis, turn, claim).ok());
  }
}

// The reference's bucket mode binds the target only: the same substitution
// is accepted. This is why docs/security.md says bucket mode does not
// protect the next pools.
TEST_F(KeystoneTest, BucketBindingDoesNotCoverNextPools) {
  PoolConfig bucket;
  bucket.salt = "sync";
  bucket.allowed_verbs = {"sync"};
  bucket.behavior = {.size = 64, .replenish = Replenish::kReplaceAll, .select_sequentially = 1, .select_randomly = 1,
                     .target_binding_chars = 4, .binding_mode = BindingMode::kBucket};
  const std::string genesis = create(json::Object{{"pools", json::Array{bucket.to_json()}}});
  const Claim claim{"sync", target(0)};
  const std::string forged = substitute_fresh_challenges(genesis, sign(genesis, claim));
  EXPECT_TRUE(signer_.verify(genesis, forged, claim).ok());
}

// The reference's bucket binding only fixes the *multiset* of the first N
// gib chars: a target whose chars are a permutation reuses exactly the same
// solutions. This documents the weakness (docs/security.md) that positional
// binding removes.
TEST_F(KeystoneTest, BucketBindingAcceptsPermutedTargetWhichIsWhyPositionalExists) {
  PoolConfig bucket;
  bucket.salt = "sync";
  bucket.allowed_verbs = {"sync"};
  bucket.behavior = {.size = 64, .replenish = Replenish::kTopUp, .select_sequentially = 0, .select_randomly = 1,
                     .target_binding_chars = 4, .binding_mode = BindingMode::kBucket};
  const std::string genesis = create(json::Object{{"pools", json::Array{bucket.to_json()}}});
  std::string gib = sha256_hex_upper("victim");
  const std::string real = "context^" + gib;
  std::size_t j = 1;
  while (gib[j] == gib[0]) ++j;
  std::swap(gib[0], gib[j]);
  ASSERT_LT(j, 4u);
  const std::string permuted = "context^" + gib;
  const std::string turn = sign(genesis, {"sync", real});
  const std::string forged = tampered(turn, [&](IbGib& r) { claim_of(r).set("target", permuted); });
  EXPECT_TRUE(signer_.verify(genesis, forged, {"sync", permuted}).ok());
  // A target with a different multiset fails.
  const std::string unrelated = tampered(turn, [&](IbGib& r) { claim_of(r).set("target", target(5)); });
  EXPECT_EQ(category(signer_.verify(genesis, unrelated, {"sync", target(5)})), "policy");
}

// The cheapest pools the suite signs with for as long as it likes (those of
// KeystoneRoundTripTest: 48 general challenges, positional binding of 8
// chars, topped up), for tests that need many turns.
json::Value cheap_pools() {
  PoolConfig work;
  work.salt = "sync";
  work.allowed_verbs = {"sync"};
  work.behavior = {.size = 48, .replenish = Replenish::kTopUp, .select_sequentially = 1, .select_randomly = 1,
                   .target_binding_chars = 8, .binding_mode = BindingMode::kPositional};
  return json::Object{{"pools", json::Array{work.to_json()}}};
}

// Linked past: a frame names only the frame before it, so its size does not
// depend on the length of its timeline. (With the full history in past, a
// frame grew by one address per turn: from 12.9 KiB to 577 KiB after a few
// hundred syncs.)
TEST_F(KeystoneTest, FrameSizeDoesNotGrowWithTheTimeline) {
  std::vector<std::string> f{create(cheap_pools())};
  for (int i = 0; i < 200; ++i) {
    f.push_back(sign(f.back(), {"sync", target(i)}));
    ASSERT_FALSE(f.back().empty()) << "turn " << i;
  }
  const IbGib last = parse(f.back());
  ASSERT_EQ(*last.n(), 200);
  signer_testing::expect_linked_frames_of_constant_size(f);
}

// A relabelled copy of a real frame: gib "gib" makes it look like a primitive,
// whose gib compute_gib does not recompute, so only intrinsic validation
// (validate_intrinsically) catches it. Likewise a gib whose tjp suffix names
// another timeline.
TEST_F(KeystoneTest, RejectsFramesThatAreNotIntrinsicallyValid) {
  std::vector<std::string> f;
  session_chain(f, 1);
  const Claim claim{"sync", target(0)};
  IbGib primitive = parse(f[1]);
  primitive.gib = "gib";
  Status status = signer_.verify(f[0], primitive.to_json_text(), claim);
  EXPECT_EQ(category(status), "gib") << status.to_string();
  IbGib resuffixed = parse(f[1]);
  const std::size_t dot = resuffixed.gib.find('.');
  ASSERT_NE(dot, std::string::npos);
  resuffixed.gib = resuffixed.gib.substr(0, dot + 1) + sha256_hex_upper("another timeline");
  status = signer_.verify(f[0], resuffixed.to_json_text(), claim);
  EXPECT_EQ(category(status), "gib") << status.to_string();
  // Nor is such a frame evolved: the copy of the signer's own latest frame is
  // refused for what it is, before anything else.
  IbGib latest_as_primitive = parse(f[1]);
  latest_as_primitive.gib = "gib";
  const auto made = signer_.sign(latest_as_primitive.to_json_text(), {"sync", target(1)});
  EXPECT_EQ(made.status().code(), StatusCode::kPermissionDenied) << made.status().to_string();
  EXPECT_NE(made.status().message().find("gib: latest frame"), std::string::npos) << made.status().to_string();
  EXPECT_TRUE(signer_.sign(f[1], {"sync", target(1)}).ok());
}

// Signing twice from one frame would reveal a second set of its solutions
// (pools), or a second signature of its one-time key (wots).
TEST_F(KeystoneTest, RefusesToEvolveTheSameFrameTwice) {
  for (const char* preset : {"session", "session-pools"}) {
    SCOPED_TRACE(preset);
    const std::string genesis = create(json::Object{{"preset", preset}});
    const std::string turn = sign(genesis, {"sync", target(0)});
    // Asked to evolve the genesis again (a caller that lost `turn`, issue
    // #10), the signer hands out `turn` itself, then `turn` evolved.
    const std::string third =
        signer_testing::expect_the_frame_made_last_is_adopted(signer_, genesis, turn, {"sync", target(1)});
    ASSERT_FALSE(third.empty());
    for (const auto& again : {signer_.sign(genesis, {"sync", target(0)}), signer_.revoke(genesis, "again")}) {
      EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition) << again.status().to_string();
      EXPECT_NE(again.status().message().find("not the latest frame this signer made"), std::string::npos);
    }
    EXPECT_TRUE(signer_.sign(third, {"sync", target(2)}).ok());
  }
}

// A revocation asked of the frame before the latest revokes the latest (the
// frame it evolves), and its claim names that frame.
TEST_F(KeystoneTest, CatchUpRevocationNamesTheFrameItEvolves) {
  const std::string genesis = create(json::Object{{"preset", "session"}});
  const std::string turn = sign(genesis, {"sync", target(0)});
  auto revoked = signer_.revoke(genesis, "lost");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  ASSERT_EQ(revoked->records_json.size(), 2u);
  EXPECT_EQ(revoked->records_json[0], turn);
  EXPECT_TRUE(signer_.verify(turn, revoked->records_json[1], {"revoke", parse(turn).address()}).ok());
}

// The master secret of the identity whose genesis is `genesis_json`, as the
// directory store keeps it.
std::string secret_hex(const std::filesystem::path& dir, const std::string& genesis_json) {
  std::ifstream in(dir / (parse(genesis_json).gib + ".secret"));
  std::string hex;
  std::getline(in, hex);
  EXPECT_EQ(hex.size(), 64u);
  return hex;
}

// Every solution the signer could reveal for the challenges `frame` holds.
std::vector<std::string> solutions_for(const std::string& frame_json, const std::string& master_hex) {
  std::vector<std::string> out;
  const IbGib frame = parse(frame_json);
  for (const json::Value& entry : frame.data->find("challengePools")->as_array()) {
    auto pool = ChallengePool::from_json(entry);
    EXPECT_TRUE(pool.ok()) << pool.status().to_string();
    if (!pool.ok()) continue;
    const PoolConfig& c = pool->config();
    const std::string pool_secret = derive_pool_secret(c.algo, c.rounds, master_hex, c.salt);
    for (const std::string& id : pool->challenge_ids()) out.push_back(derive_solution(c.algo, c.rounds, pool_secret, id));
  }
  return out;
}

// The signer's own timeline, with a frame it did not make: same n as its real
// latest frame, content chosen by someone else (their own fresh challenges in
// the pools, or just another frameDetails), gib recomputed. Evolving it would
// reveal solutions for challenges the attacker chose, or a second set of the
// real frame's; the signer evolves nothing but the latest frame it made.
TEST(KeystoneOwnFramesTest, RefusesACraftedFrameOnItsOwnTimeline) {
  const TempDir dir("gibkit-keystone");
  TestEnvironment env;
  auto store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  KeystoneSigner signer(std::move(*store), env.env());
  // The session-pools layout, named by its pools rather than the preset: a
  // session preset's secret stays in memory, and the test reads the file.
  json::Array pools;
  for (const PoolConfig& pool : session_pools_preset()) pools.push_back(pool.to_json());
  auto made = signer.create_identity(json::Object{{"pools", std::move(pools)}});
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  const std::string genesis = made->records_json.back();
  auto real = signer.sign(genesis, {"sync", target(0)});
  ASSERT_TRUE(real.ok()) << real.status().to_string();
  const std::string turn = real->records_json.back();
  const std::string master = secret_hex(dir.path(), genesis);

  const std::string attacker_pools = substitute_fresh_challenges(genesis, turn);
  const std::string other_details = tampered(turn, [](IbGib& r) { data_of(r).set("frameDetails", "crafted"); });
  for (const std::string& crafted : {attacker_pools, other_details}) {
    const IbGib frame = parse(crafted);
    ASSERT_EQ(*frame.n(), 1);
    ASSERT_EQ(frame.tjp_address(), parse(turn).tjp_address());
    ASSERT_NE(frame.gib, parse(turn).gib);
    const std::vector<std::string> solutions = solutions_for(crafted, master);
    ASSERT_FALSE(solutions.empty());
    for (const auto& refused : {signer.sign(crafted, {"sync", target(1)}), signer.revoke(crafted, "stolen")}) {
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().to_string();
      EXPECT_NE(refused.status().message().find("not the latest frame this signer made"), std::string::npos)
          << refused.status().to_string();
      for (const std::string& solution : solutions) {
        ASSERT_EQ(refused.status().message().find(solution), std::string::npos);
      }
    }
  }
  // The real latest frame still signs.
  auto next = signer.sign(turn, {"sync", target(1)});
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_TRUE(signer.verify(turn, next->records_json.back(), {"sync", target(1)}).ok());
}

// A session's secret lives in memory, never in secrets_dir, and goes when
// the kernel forgets it at the end of its saga (SDK 1.5); a domain stays.
TEST(KeystoneOwnFramesTest, SessionsLiveInMemoryUntilForgotten) {
  const TempDir dir("gibkit-forget");
  TestEnvironment env;
  auto store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  KeystoneSigner signer(std::move(*store), env.env());
  TestEnvironment other_env(5);
  auto other_store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(other_store.ok());
  KeystoneSigner restarted(std::move(*other_store), other_env.env());
  signer_testing::expect_sessions_live_in_memory_until_forgotten(signer, restarted, dir.path(), {"sync", target(0)},
                                                                 {"endorse", target(1)});
}

// The record of the latest frame lives beside the secret: a new signer over
// the same secrets_dir (a restart) signs from the real latest frame only, and
// an identity without such a record (a secret written by an older gibkit)
// signs nothing.
TEST(KeystoneOwnFramesTest, GuardSurvivesARestart) {
  const TempDir dir("gibkit-keystone");
  std::vector<std::string> f;
  {
    TestEnvironment env;
    auto store = signer_support::SecretStore::open_directory(dir.path());
    ASSERT_TRUE(store.ok());
    KeystoneSigner before(std::move(*store), env.env());
    f.push_back(before.create_identity(cheap_pools())->records_json.back());
    for (int i = 0; i < 2; ++i) f.push_back(before.sign(f.back(), {"sync", target(i)})->records_json.back());
  }
  const std::filesystem::path head = dir.path() / (parse(f[0]).gib + ".head");
  struct stat st {};
  ASSERT_EQ(::stat(head.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string recorded;
  std::getline(std::ifstream(head), recorded);
  EXPECT_EQ(recorded, parse(f[2]).address());

  TestEnvironment env(9);
  auto store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  KeystoneSigner after(std::move(*store), env.env());
  const std::string next =
      signer_testing::expect_only_the_latest_frame_signs(after, {f[0], f[1], f[2]}, [&](int i) { return target(i); });
  ASSERT_FALSE(next.empty());

  std::filesystem::remove(head);
  const auto unrecorded = after.sign(next, {"sync", target(3)});
  EXPECT_EQ(unrecorded.status().code(), StatusCode::kFailedPrecondition) << unrecorded.status().to_string();
  EXPECT_NE(unrecorded.status().message().find("none is recorded"), std::string::npos);
}

TEST_F(KeystoneTest, RevokedKeystoneSignsNothing) {
  std::vector<std::string> f;
  session_chain(f, 1);
  auto revoked = signer_.revoke(f[1], "device lost");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  const std::string& r = revoked->records_json.back();
  const Claim revoke_claim{"revoke", parse(f[1]).address()};
  EXPECT_TRUE(signer_.verify(f[1], r, revoke_claim).ok());
  const IbGib frame = parse(r);
  EXPECT_EQ(frame.data->find("revocationInfo")->find("reason")->as_string(), "device lost");
  EXPECT_EQ(frame.data->find("challengePools")->as_array()[1].find("challenges")->as_object().size(), 0u);
  EXPECT_EQ(signer_.sign(r, {"sync", target(3)}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(signer_.revoke(r, "again").status().code(), StatusCode::kFailedPrecondition);
  // Whatever follows a revoked frame is refused.
  EXPECT_EQ(category(signer_.verify(r, f[1], {"sync", target(0)})), "revoked");
  // A revocation must target the frame it revokes, and carry revocationInfo.
  EXPECT_EQ(category(signer_.verify(f[1], r, {"revoke", parse(f[0]).address()})), "target");
  const std::string stripped = tampered(r, [](IbGib& g) { data_of(g).erase("revocationInfo"); });
  EXPECT_EQ(category(signer_.verify(f[1], stripped, revoke_claim)), "revoked");
}

TEST_F(KeystoneTest, RejectsTamperedPools) {
  std::vector<std::string> f;
  session_chain(f, 1);
  const Claim claim{"sync", target(0)};
  // Take a general challenge (FIFO head) of the sync pool for the edits.
  const IbGib next = parse(f[1]);
  const std::string first = next.data->find("challengePools")->as_array()[0].find("challenges")->as_object().begin()->first;
  const std::string second = std::next(next.data->find("challengePools")->as_array()[0].find("challenges")->as_object().begin())->first;

  const std::string removed = tampered(f[1], [&](IbGib& r) { challenges_of(r, 0).erase(first); });
  EXPECT_EQ(category(signer_.verify(f[0], removed, claim)), "pools");

  const std::string added = tampered(f[1], [&](IbGib& r) {
    challenges_of(r, 0).set("00000000000000ff", json::Object{{"type", "hash-reveal-v1"}, {"hash", std::string(64, '1')}});
  });
  EXPECT_EQ(category(signer_.verify(f[0], added, claim)), "pools");

  const std::string reordered = tampered(f[1], [&](IbGib& r) {
    json::Object& c = challenges_of(r, 0);
    json::Value moved = *c.find(first);
    c.erase(first);
    c.set(first, moved);  // now last
  });
  EXPECT_EQ(category(signer_.verify(f[0], reordered, claim)), "pools");
  (void)second;

  const std::string untouched_pool_changed = tampered(f[1], [&](IbGib& r) {
    json::Object& c = challenges_of(r, 1);
    c.erase(c.begin()->first);
  });
  EXPECT_EQ(category(signer_.verify(f[0], untouched_pool_changed, claim)), "pools");

  const std::string config_changed = tampered(f[1], [&](IbGib& r) {
    pool_of(r, 1).find("config")->as_object().set("rounds", 1);
  });
  EXPECT_EQ(category(signer_.verify(f[0], config_changed, claim)), "pools");
}

TEST_F(KeystoneTest, RejectsWrongReplenish) {
  // Domain pool preset: the endorse pool tops up. Put a consumed challenge
  // back instead of the fresh one (a "consume"-like pool that kept its size).
  const std::string genesis = create(json::Object{{"preset", "domain-pools"}});
  const Claim claim{"endorse", target(0)};
  const std::string turn = sign(genesis, claim);
  const IbGib prev = parse(genesis);
  const IbGib next = parse(turn);
  const auto& solutions = next.data->find("proofs")->as_array()[0].find("solutions")->as_array();
  const std::string consumed = solutions.back().find("challengeId")->as_string();  // a random pick
  const json::Value consumed_challenge = *prev.data->find("challengePools")->as_array()[0].find("challenges")->find(consumed);

  const std::string not_removed = tampered(turn, [&](IbGib& r) { challenges_of(r, 0).set(consumed, consumed_challenge); });
  EXPECT_EQ(category(signer_.verify(genesis, not_removed, claim)), "pools");

  // Dropping the fresh top-up challenges (consume instead of top-up).
  const std::string no_top_up = tampered(turn, [&](IbGib& r) {
    json::Object& c = challenges_of(r, 0);
    const std::string last = std::prev(c.end())->first;
    c.erase(last);
  });
  EXPECT_EQ(category(signer_.verify(genesis, no_top_up, claim)), "pools");
}

TEST_F(KeystoneTest, RejectsBrokenLinks) {
  std::vector<std::string> f;
  session_chain(f, 2);
  const Claim claim{"sync", target(1)};
  const std::string g_address = parse(f[0]).address();
  const std::string f1_address = parse(f[1]).address();
  // past is exactly [prev]: neither the full history nor anything else.
  const std::string full_history = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("past", json::Array{json::Value(g_address), json::Value(f1_address)});
  });
  EXPECT_EQ(category(signer_.verify(f[1], full_history, claim)), "link");
  const std::string wrong_prev = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("past", json::Array{json::Value(g_address)});
  });
  EXPECT_EQ(category(signer_.verify(f[1], wrong_prev, claim)), "link");
  const std::string prev_twice = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("past", json::Array{json::Value(f1_address), json::Value(f1_address)});
  });
  EXPECT_EQ(category(signer_.verify(f[1], prev_twice, claim)), "link");
  const std::string no_past = tampered(f[2], [&](IbGib& r) { r.rel8ns->erase("past"); });
  EXPECT_EQ(category(signer_.verify(f[1], no_past, claim)), "link");
  // Another timeline's genesis as tjp (gib recomputed, so the suffix agrees).
  const std::string other_tjp = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("tjp", json::Array{json::Value("keystone^" + sha256_hex_upper("another genesis"))});
  });
  EXPECT_EQ(category(signer_.verify(f[1], other_tjp, claim)), "link");
  // A non-genesis frame as tjp cannot even be hashed into a valid gib (its
  // gib would carry two tjp suffixes): intrinsic validation refuses it.
  const std::string frame_as_tjp = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("tjp", json::Array{json::Value(parse(f[1]).address())});
  });
  EXPECT_EQ(category(signer_.verify(f[1], frame_as_tjp, claim)), "gib");
  const std::string with_dna = tampered(f[2], [&](IbGib& r) { r.rel8ns->set("dna", json::Array{json::Value("mut8^gib")}); });
  EXPECT_EQ(category(signer_.verify(f[1], with_dna, claim)), "link");
}

TEST_F(KeystoneTest, RejectsTamperedGib) {
  std::vector<std::string> f;
  session_chain(f, 1);
  const Claim claim{"sync", target(0)};
  IbGib bad = parse(f[1]);
  bad.gib[0] = bad.gib[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(category(signer_.verify(f[0], bad.to_json_text(), claim)), "gib");
  IbGib edited = parse(f[1]);
  data_of(edited).set("frameDetails", "sneaky");  // content changed, gib kept
  EXPECT_EQ(category(signer_.verify(f[0], edited.to_json_text(), claim)), "gib");
  EXPECT_EQ(signer_.verify(f[0], "{not json", claim).code(), StatusCode::kInvalidArgument);
}

TEST_F(KeystoneTest, VerifyNamesTheMalformedFrame) {
  std::vector<std::string> f;
  session_chain(f, 1);
  signer_testing::expect_verify_names_malformed_frame(signer_, "keystone", f[0], f[1], {"sync", target(0)});
}

TEST_F(KeystoneTest, OptionsAreValidated) {
  EXPECT_EQ(signer_.create_identity(json::Object{{"preset", "admin"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer_.create_identity(json::Object{{"pools", json::Array{}}}).status().code(), StatusCode::kInvalidArgument);
  json::Value bad = session_pools_preset()[0].to_json();
  bad.as_object().find("behavior")->as_object().set("replenish", "sometimes");
  const auto made = signer_.create_identity(json::Object{{"pools", json::Array{bad}}});
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(made.status().message().find("sometimes"), std::string::npos);
}

TEST(KeystoneSecretsTest, SecretStaysInTheStoreAndIsNeededToSign) {
  const TempDir dir("gibkit-keystone");
  TestEnvironment env;
  auto store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  KeystoneSigner signer(std::move(*store), env.env());
  auto genesis = signer.create_identity(json::Value());
  ASSERT_TRUE(genesis.ok());
  auto turn = signer.sign(genesis->records_json[0], {"sync", target(0)});
  ASSERT_TRUE(turn.ok());
  const std::filesystem::path file = dir.path() / (parse(genesis->records_json[0]).gib + ".secret");
  std::ifstream in(file);
  std::string secret_hex;
  std::getline(in, secret_hex);
  ASSERT_EQ(secret_hex.size(), 64u);
  EXPECT_EQ(genesis->records_json[0].find(secret_hex), std::string::npos);
  EXPECT_EQ(turn->records_json[0].find(secret_hex), std::string::npos);

  // Another signer (without the secret) cannot sign for this identity.
  TestEnvironment other_env(9);
  KeystoneSigner other(std::make_unique<signer_support::SecretStore>(), other_env.env());
  EXPECT_EQ(other.sign(turn->records_json[0], {"sync", target(1)}).status().code(), StatusCode::kNotFound);
  // ...but it can verify.
  EXPECT_TRUE(other.verify(genesis->records_json[0], turn->records_json[0], {"sync", target(0)}).ok());
}

}  // namespace
}  // namespace gibkit::keystone
