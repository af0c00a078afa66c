#include "keystone/challenge_pool.h"

#include <cstdio>

#include <botan/hex.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keystone/requirements.h"

namespace gibkit::keystone {
namespace {

using ::testing::ElementsAre;

// Fresh challenges with predictable ids: the 16-hex-digit rendering of a
// counter, prefixed so tests can tell batches apart.
class CountingSource final : public ChallengeSource {
 public:
  explicit CountingSource(char prefix = 'a') : prefix_(prefix) {}
  Result<Challenge> next() override {
    char id[17];
    std::snprintf(id, sizeof id, "%c%015x", prefix_, count_++);
    return Challenge{id, std::string(64, 'e')};
  }

 private:
  char prefix_;
  unsigned count_ = 0;
};

PoolConfig config(int size, Replenish replenish, BindingMode mode, int binding_chars, int fifo = 0) {
  PoolConfig c;
  c.salt = "p";
  c.behavior = {.size = size,
                .replenish = replenish,
                .select_sequentially = fifo,
                .select_randomly = 0,
                .target_binding_chars = binding_chars,
                .binding_mode = mode};
  return c;
}

std::string pool_json_with_ids(const std::vector<std::string>& ids) {
  std::string challenges;
  json::Object bucket_map;
  for (const std::string& id : ids) {
    challenges += (challenges.empty() ? "" : ",") + std::string("\"") + id + R"(":{"type":"hash-reveal-v1","hash":")" +
                  std::string(64, '0') + "\"}";
    json::Value& bucket = bucket_map[id.substr(0, 1)];
    if (!bucket.is_array()) bucket = json::Array{};
    bucket.as_array().emplace_back(id);
  }
  const std::string buckets = json::stringify(bucket_map);
  return R"({"id":"p","config":)" + json::stringify(config(3, Replenish::kTopUp, BindingMode::kBucket, 0, 3).to_json()) +
         R"(,"challenges":{)" + challenges + R"(},"bindingMap":)" + buckets + "}";
}

// Challenge ids are 16 hex chars, so one made only of decimal digits can
// occur. JavaScript moves array-index keys (canonical integers up to
// 2^32 - 2) to the front of an object, but a 16-digit decimal is either
// >= 10^15 or has a leading zero, so it is never an array index and keeps its
// insertion place (checked with node: {"abcdef0123456789":1,
// "1234567890123456":2,"0000000000000001":3} stringifies in that order). The
// pool takes its FIFO order from the JS-ordered object either way.
TEST(ChallengePoolTest, DecimalLookingIdsKeepJavaScriptInsertionOrder) {
  const std::vector<std::string> ids = {"abcdef0123456789", "1234567890123456", "0000000000000001"};
  for (const std::string& id : ids) EXPECT_FALSE(json::is_array_index_key(id)) << id;
  auto value = json::parse(pool_json_with_ids(ids));
  ASSERT_TRUE(value.ok());
  auto pool = ChallengePool::from_json(*value);
  ASSERT_TRUE(pool.ok()) << pool.status().to_string();
  EXPECT_EQ(pool->challenge_ids(), ids);
  auto req = select_requirements(*pool, {}, binding_chars(pool->config(), {.target = "x^gib"}));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->mandatory, ids);  // FIFO 3 = insertion order
  // The bucket keys "1" and "0" ARE array indices: JS puts them first,
  // ascending, as node does for {"a":..,"1":..,"0":..} -> {"0","1","a"}.
  const std::string text = json::stringify(pool->to_json());
  EXPECT_LT(text.find(R"("0":["0000000000000001"])"), text.find(R"("1":["1234567890123456"])"));
  EXPECT_LT(text.find(R"("1":["1234567890123456"])"), text.find(R"("a":["abcdef0123456789"])"));
  // Round trip is byte exact.
  EXPECT_EQ(json::stringify(ChallengePool::from_json(pool->to_json())->to_json()), text);
}

TEST(ChallengePoolTest, RejectsMalformedPools) {
  auto short_id = json::parse(pool_json_with_ids({"7"}));
  EXPECT_EQ(ChallengePool::from_json(*short_id).status().code(), StatusCode::kInvalidArgument);
  auto upper = json::parse(pool_json_with_ids({"ABCDEF0123456789"}));
  EXPECT_EQ(ChallengePool::from_json(*upper).status().code(), StatusCode::kInvalidArgument);
  json::Value v = *json::parse(pool_json_with_ids({"abcdef0123456789"}));
  v.as_object().find("bindingMap")->as_object() = json::Object{};  // unbucketed id
  EXPECT_EQ(ChallengePool::from_json(v).status().code(), StatusCode::kInvalidArgument);
}

TEST(ChallengePoolTest, BucketBindingTakesFirstAvailableIdPerTargetChar) {
  auto v = json::parse(pool_json_with_ids({"a000000000000001", "b000000000000001", "a000000000000002"}));
  auto parsed = ChallengePool::from_json(*v);
  ASSERT_TRUE(parsed.ok());
  PoolConfig c = parsed->config();
  c.behavior.select_sequentially = 0;
  c.behavior.target_binding_chars = 2;
  json::Value with_binding = parsed->to_json();
  with_binding.as_object().set("config", c.to_json());
  auto bound = ChallengePool::from_json(with_binding);
  ASSERT_TRUE(bound.ok());
  // Target gib "AA..." binds bucket a twice: both a-ids, in order.
  const PoolConfig& bc = bound->config();
  auto req = select_requirements(*bound, {}, binding_chars(bc, {.target = "x^AAB0"}));
  ASSERT_TRUE(req.ok()) << req.status().to_string();
  EXPECT_THAT(req->mandatory, ElementsAre("a000000000000001", "a000000000000002"));
  EXPECT_THAT(req->available, ElementsAre("b000000000000001"));
  // A gib starting with 'c' finds an empty bucket: entropy exhaustion.
  EXPECT_EQ(select_requirements(*bound, {}, binding_chars(bc, {.target = "x^C0"})).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(ChallengePoolTest, PositionalBindingRevealsOneSlotPerPosition) {
  ChallengePool pool(config(4, Replenish::kTopUp, BindingMode::kPositional, 8, 1));
  CountingSource source;
  ASSERT_TRUE(pool.fill(source).ok());
  EXPECT_EQ(pool.challenge_count(), 4u + 8 * 16);
  const std::string digest = binding_chars(pool.config(), {.prev_address = "keystone^A", .verb = "sync", .target = "sync^0123"});
  ASSERT_EQ(digest.size(), 8u);
  auto req = select_requirements(pool, {}, digest);
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->mandatory.size(), 9u);  // 8 slots + 1 FIFO
  for (int p = 0; p < 8; ++p) {
    EXPECT_THAT(pool.bound_ids(ChallengePool::slot_key(p, digest[p])), ElementsAre(req->mandatory[p]));
  }
  // FIFO and random picks come from general challenges only.
  EXPECT_EQ(req->mandatory[8], pool.challenge_ids()[0]);
  EXPECT_EQ(req->available.size(), 3u);
  for (const std::string& id : req->available) EXPECT_FALSE(pool.slot_bound_ids().contains(id));
}

// The exact bytes of docs/security.md ("Positional binding: exact bytes"),
// checked against an independent computation (Python hashlib):
//   str(x) = struct.pack('>I', len(x)) + x
//   P = sha256(str("sync") + pack('>I', 1) + str("0123456789abcdef") + str("e"*64)
//              + str("revoke") + pack('>I', 0))
//   D = sha256(str("gibkit/keystone/positional-binding/v2") + str("keystone^A.B")
//              + str(verb) + str(target) + u8(revoking) + str(reason) + P)
TEST(ChallengePoolTest, BindingDigestBytes) {
  const std::vector<Challenge> added = {{"0123456789abcdef", std::string(64, 'e')}};
  const std::vector<Challenge> none;
  const std::string p = pools_commitment({{"sync", &added}, {"revoke", &none}});
  EXPECT_EQ(Botan::hex_encode(reinterpret_cast<const std::uint8_t*>(p.data()), p.size(), false),
            "cdefc9f487862825a0a1b4853ddf0bd9609297ef33307df256e6496883c7aa05");
  EXPECT_EQ(binding_digest({.prev_address = "keystone^A.B", .verb = "sync", .target = "context^C", .pools_commitment = p}),
            "0674c109233bf66ce25729f7a59b157d9bff88014ed33d443df1129b7fc48e0f");
  const std::string reason = "lost";
  EXPECT_EQ(binding_digest({.prev_address = "keystone^A.B",
                            .verb = "revoke",
                            .target = "keystone^A.B",
                            .revocation_reason = &reason,
                            .pools_commitment = p}),
            "5350a50d5219cd94296849a1f49a6dae9e51fdd19bcd1623199f721549dcd386");
  // Any other fresh challenge, or the same ones in another pool, is another P.
  const std::vector<Challenge> other = {{"0123456789abcdef", std::string(64, 'f')}};
  EXPECT_NE(pools_commitment({{"sync", &other}, {"revoke", &none}}), p);
  EXPECT_NE(pools_commitment({{"sync", &none}, {"revoke", &added}}), p);
}

TEST(ChallengePoolTest, ReplenishRules) {
  const std::vector<std::string> consumed = {"a000000000000000", "a000000000000002"};
  {
    ChallengePool pool(config(4, Replenish::kTopUp, BindingMode::kBucket, 0));
    CountingSource a, b('b');
    ASSERT_TRUE(pool.fill(a).ok());
    ASSERT_TRUE(pool.consume(consumed, b).ok());
    EXPECT_THAT(pool.challenge_ids(),
                ElementsAre("a000000000000001", "a000000000000003", "b000000000000000", "b000000000000001"));
    EXPECT_THAT(pool.bound_ids("b"), ElementsAre("b000000000000000", "b000000000000001"));
    EXPECT_THAT(pool.bound_ids("a"), ElementsAre("a000000000000001", "a000000000000003"));
  }
  {
    ChallengePool pool(config(4, Replenish::kReplaceAll, BindingMode::kBucket, 0));
    CountingSource a, b('b');
    ASSERT_TRUE(pool.fill(a).ok());
    ASSERT_TRUE(pool.consume(consumed, b).ok());
    EXPECT_EQ(pool.challenge_count(), 4u);
    EXPECT_TRUE(pool.bound_ids("a").empty());
    EXPECT_EQ(pool.bound_ids("b").size(), 4u);
  }
  {
    ChallengePool pool(config(4, Replenish::kConsume, BindingMode::kBucket, 0));
    CountingSource a, b('b');
    ASSERT_TRUE(pool.fill(a).ok());
    ASSERT_TRUE(pool.consume(consumed, b).ok());
    EXPECT_THAT(pool.challenge_ids(), ElementsAre("a000000000000001", "a000000000000003"));
  }
  {
    ChallengePool pool(config(4, Replenish::kScorchedEarth, BindingMode::kBucket, 0));
    CountingSource a, b('b');
    ASSERT_TRUE(pool.fill(a).ok());
    ASSERT_TRUE(pool.consume(consumed, b).ok());
    EXPECT_EQ(pool.challenge_count(), 0u);
    EXPECT_EQ(json::stringify(*pool.to_json().find("bindingMap")), "{}");
  }
  {
    // Positional top-up refills the consumed slot with a fresh id.
    ChallengePool pool(config(1, Replenish::kTopUp, BindingMode::kPositional, 1));
    CountingSource a, b('b');
    ASSERT_TRUE(pool.fill(a).ok());
    const std::string slot_id = pool.bound_ids("0:3").at(0);
    ASSERT_TRUE(pool.consume({slot_id}, b).ok());
    EXPECT_THAT(pool.bound_ids("0:3"), ElementsAre("b000000000000000"));
    EXPECT_EQ(pool.challenge_count(), 17u);
  }
}

}  // namespace
}  // namespace gibkit::keystone
