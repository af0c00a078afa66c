// Tests of the "wots-w16-sha256" keystone scheme (Winternitz one-time keys,
// plugins/signer-keystone/src/keystone/wots*.h), the scheme of the "domain"
// and "session" presets: known answers computed independently (Botan used
// directly here, and literals from a separate Python implementation of
// docs/security.md), the checksum against raised digits, round trips through
// KeystoneSigner, one test per refusal of verify, and schemes not mixing.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <botan/hash.h>
#include <botan/hex.h>
#include <botan/mac.h>
#include <gtest/gtest.h>

#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"
#include "keystone/keystone_signer.h"
#include "keystone/presets.h"
#include "keystone/verify.h"
#include "keystone/wots.h"
#include "keystone/wots_frame.h"
#include "keystone/wots_identity.h"
#include "signer_testing.h"

namespace gibkit::keystone {
namespace {

using signer_testing::category;
using signer_testing::data_of;
using signer_testing::parse;
using signer_testing::tampered;
using signer_testing::target;
using signer_testing::TestEnvironment;
using wots::Chains;
using wots::Hash;

// --- An independent computation of the derivations, with Botan directly ---

using Bytes = std::vector<std::uint8_t>;

void append_be(Bytes& out, std::uint64_t value, int width) {
  for (int k = width - 1; k >= 0; --k) out.push_back(static_cast<std::uint8_t>(value >> (8 * k)));
}
void append_str(Bytes& out, std::string_view text) {
  append_be(out, text.size(), 4);
  out.insert(out.end(), text.begin(), text.end());
}
Hash sha256(const Bytes& in) {
  const auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(in);
  Hash out;
  h->final(out.data());
  return out;
}
Hash reference_seed(std::string_view uuid) {
  Bytes in;
  append_str(in, "gibkit/keystone/wots-w16-sha256/seed");
  append_str(in, uuid);
  return sha256(in);
}
Hash reference_secret(const signer_support::Secret& master, std::uint64_t n, std::uint32_t i) {
  const auto hmac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
  hmac->set_key(master);
  Bytes in;
  append_str(in, "gibkit/keystone/wots-w16-sha256/sk");
  append_be(in, n, 8);
  append_be(in, i, 4);
  hmac->update(in);
  Hash out;
  hmac->final(out.data());
  return out;
}
Hash reference_chain(const Hash& seed, std::uint64_t n, std::uint32_t i, int start, int steps, Hash x) {
  for (int j = start; j < start + steps; ++j) {
    Bytes in(seed.begin(), seed.end());
    append_be(in, n, 8);
    append_be(in, i, 4);
    append_be(in, static_cast<std::uint64_t>(j), 1);
    in.insert(in.end(), x.begin(), x.end());
    x = sha256(in);
  }
  return x;
}
Hash reference_commitment(const Hash& seed, std::uint64_t n, const signer_support::Secret& master) {
  Bytes in;
  append_str(in, "gibkit/keystone/wots-w16-sha256/pk");
  in.insert(in.end(), seed.begin(), seed.end());
  append_be(in, n, 8);
  for (std::uint32_t i = 0; i < wots::kChains; ++i) {
    const Hash p = reference_chain(seed, n, i, 0, 15, reference_secret(master, n, i));
    in.insert(in.end(), p.begin(), p.end());
  }
  return sha256(in);
}

std::string hex(const Hash& h) { return Botan::hex_encode(h.data(), h.size(), false); }

signer_support::Secret counting_master() {
  signer_support::Secret master(32);
  for (std::size_t k = 0; k < master.size(); ++k) master[k] = static_cast<std::uint8_t>(k);
  return master;
}

constexpr std::string_view kUuid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Master 00 01 .. 1f, uuid kUuid, key n = 1. The literals come from a
// separate Python (hashlib, hmac) implementation of docs/security.md; the
// Botan computation above checks every chain, the literals pin the bytes.
TEST(WotsTest, KnownAnswers) {
  const signer_support::Secret master = counting_master();
  const Hash seed = reference_seed(kUuid);
  EXPECT_EQ(hex(seed), "8cb0f5e1f57cf84a60c3a14d1b8d00c42181c7ab2fccafb70e2bc5c0b38e269b");
  EXPECT_EQ(wots::public_seed(kUuid), seed);
  const wots::KeyAddress key = wots_key(kUuid, 1);
  EXPECT_EQ(key.seed, seed);
  EXPECT_EQ(key.n, 1u);

  const wots::SecretKey secret(master, 1);
  EXPECT_EQ(hex(secret.starts()[0]), "67a2f1f113b89846ab52f78491f51b700acf15dea23178a61a6bbaa6e564cc0b");
  EXPECT_EQ(hex(secret.starts()[66]), "dbe13973af395e5d6ff4839ca0a7c52fa2bfb8420a640a34b85a739ad66e196b");
  const Chains pk = wots::public_key(key, secret);
  for (std::uint32_t i = 0; i < wots::kChains; ++i) {
    ASSERT_EQ(secret.starts()[i], reference_secret(master, 1, i)) << i;
    ASSERT_EQ(pk[i], reference_chain(seed, 1, i, 0, 15, secret.starts()[i])) << i;
  }
  EXPECT_EQ(hex(pk[0]), "2fdef8bf18542f424bc524a2302011292d811fed51fd91a8b789adbb022e1972");
  const Hash c1 = wots::commitment(key, pk);
  EXPECT_EQ(c1, reference_commitment(seed, 1, master));
  EXPECT_EQ(hex(c1), "9a017b7d3b699b3f65d36f70bda70dc779056b6ec87ca698d47a5e101bf9ccbb");
  const Hash c2 = reference_commitment(seed, 2, master);
  EXPECT_EQ(hex(c2), "b86200ae56920a925dea23c8dbef7c006ba536f19888face3e8253c890298ea2");

  // The binding digest of a turn, and its signature.
  const std::string next_hex = hex(c2);
  const Hash d = wots_binding_digest({.n = 1,
                                      .prev_address = "keystone^ABC",
                                      .verb = "sync",
                                      .target = "context^DEF",
                                      .revocation_reason = nullptr,
                                      .next_hex = next_hex,
                                      .timestamp = "Wed, 29 Apr 2026 12:52:39 GMT",
                                      .timestamp_ms = 623});
  EXPECT_EQ(hex(d), "35d1c72f1e2ca093d97b6b5b91bc4ad2a0ecfd7c8bb050b73e08f4b72549c6f1");
  const wots::Digits digits = wots::digits(d);
  EXPECT_EQ((std::vector<int>{digits[0], digits[1], digits[2], digits[3]}), (std::vector<int>{3, 5, 13, 1}));
  EXPECT_EQ((std::vector<int>{digits[64], digits[65], digits[66]}), (std::vector<int>{1, 13, 0}));
  Chains walked;
  const Chains sigma = wots::sign(key, secret, d, &walked);
  EXPECT_EQ(walked, pk);
  for (std::uint32_t i = 0; i < wots::kChains; ++i) {
    ASSERT_EQ(sigma[i], reference_chain(seed, 1, i, 0, digits[i], reference_secret(master, 1, i))) << i;
  }
  EXPECT_EQ(hex(sigma[0]), "9ce526c91add6dbc776b9e6344293efcbe3fddb6670aeffe0db2a90d2cfc5f89");
  EXPECT_EQ(hex(sigma[2]), "66310ee6a51cf16e35ceec8e377c753c095309133ba7cfe8c30815dbd72774a9");
  EXPECT_EQ(hex(sigma[64]), "ebb75664d2561e9bb6a4ed243d8d6d722e22822b1699f0226e6772eef1ec4e6c");
  EXPECT_EQ(hex(sigma[65]), "3b8fd6316370222962b40a8cc71e582b68b44cc16327c81af38b0e68342688c2");
  EXPECT_EQ(wots::commitment_from_signature(key, sigma, d), c1);

  // A revocation's digest: flag 1, the reason (UTF-8), no next.
  const std::string reason = "lost \u2713";
  const Hash revoke = wots_binding_digest({.n = 7,
                                           .prev_address = "keystone^ABC",
                                           .verb = "revoke",
                                           .target = "keystone^ABC",
                                           .revocation_reason = &reason,
                                           .next_hex = "",
                                           .timestamp = "Wed, 29 Apr 2026 12:52:39 GMT",
                                           .timestamp_ms = 5});
  EXPECT_EQ(hex(revoke), "01a0bbc8ac9d4d37bb39e4e0a8f1b13c2614c8998fc80fe02643283bca7430d7");
}

TEST(WotsTest, ChecksumDigits) {
  Hash zero{};
  wots::Digits d = wots::digits(zero);
  EXPECT_TRUE(std::all_of(d.begin(), d.begin() + 64, [](int x) { return x == 0; }));
  EXPECT_EQ((std::vector<int>{d[64], d[65], d[66]}), (std::vector<int>{3, 12, 0}));  // 960 = 0x3c0
  Hash ones;
  ones.fill(0xff);
  d = wots::digits(ones);
  EXPECT_TRUE(std::all_of(d.begin(), d.begin() + 64, [](int x) { return x == 15; }));
  EXPECT_EQ((std::vector<int>{d[64], d[65], d[66]}), (std::vector<int>{0, 0, 0}));
  Hash mixed{};
  mixed[0] = 0xa5;  // digits 10, 5; the checksum is 960 - 15 = 945 = 0x3b1
  d = wots::digits(mixed);
  EXPECT_EQ(d[0], 10);
  EXPECT_EQ(d[1], 5);
  EXPECT_EQ((std::vector<int>{d[64], d[65], d[66]}), (std::vector<int>{3, 11, 1}));
  EXPECT_TRUE(wots::from_hex(hex(mixed), zero));
  EXPECT_EQ(zero, mixed);
  EXPECT_FALSE(wots::from_hex(std::string(63, 'a'), zero));
  EXPECT_FALSE(wots::from_hex("A5" + std::string(62, '0'), zero));  // upper case is not the frame's hex
}

// The forgery the checksum exists for: from a genuine signature of D, an
// attacker can walk every chain forward, so he can sign any D' whose message
// digits are all >= D's -- but then the checksum of D' is lower, and its
// chains cannot be walked back. D' is built artificially from D.
TEST(WotsTest, ChecksumCatchesRaisedDigits) {
  const signer_support::Secret master = counting_master();
  const wots::KeyAddress key = wots_key(kUuid, 3);
  const wots::SecretKey secret(master, 3);
  const Hash d = sha256(Bytes{'g', 'e', 'n', 'u', 'i', 'n', 'e'});
  Chains pk;
  const Chains sigma = wots::sign(key, secret, d, &pk);
  const Hash c = wots::commitment(key, pk);
  ASSERT_EQ(wots::commitment_from_signature(key, sigma, d), c);

  const wots::Digits genuine = wots::digits(d);
  for (int raised_digits : {1, 2, 64}) {
    SCOPED_TRACE(raised_digits);
    // D': the first `raised_digits` digits below 15 raised by one.
    Hash forged_digest = d;
    int raised = 0;
    for (std::size_t p = 0; p < 64 && raised < raised_digits; ++p) {
      const int shift = p % 2 == 0 ? 4 : 0;
      const int digit = (forged_digest[p / 2] >> shift) & 0x0f;
      if (digit == 15) continue;
      forged_digest[p / 2] = static_cast<std::uint8_t>(forged_digest[p / 2] + (1 << shift));
      ++raised;
    }
    ASSERT_GT(raised, 0);
    const wots::Digits forged = wots::digits(forged_digest);
    for (std::size_t i = 0; i < wots::kMessageDigits; ++i) ASSERT_GE(forged[i], genuine[i]) << i;
    // Walk every chain forward where the digit allows it.
    Chains attempt = sigma;
    bool checksum_lower = false;
    for (std::uint32_t i = 0; i < wots::kChains; ++i) {
      if (forged[i] >= genuine[i]) {
        attempt[i] = wots::chain(key, i, genuine[i], forged[i] - genuine[i], sigma[i]);
      } else {
        checksum_lower = true;
        EXPECT_GE(i, wots::kMessageDigits);  // only a checksum digit can be lower
      }
    }
    EXPECT_TRUE(checksum_lower);
    // Every message chain ends where the genuine key does; the checksum
    // chains do not, so the forgery fails.
    const Chains implied = wots::public_key_from_signature(key, attempt, forged_digest);
    EXPECT_TRUE(std::equal(implied.begin(), implied.begin() + wots::kMessageDigits, pk.begin()));
    EXPECT_FALSE(std::equal(implied.begin() + wots::kMessageDigits, implied.end(), pk.begin() + wots::kMessageDigits));
    EXPECT_NE(wots::commitment_from_signature(key, attempt, forged_digest), c);
  }
}

// --- Frames through KeystoneSigner ------------------------------------------

json::Object& proof_of(IbGib& frame) { return data_of(frame).find("proofs")->as_array().at(0).as_object(); }
json::Object& claim_of(IbGib& frame) { return proof_of(frame).find("claim")->as_object(); }
json::Array& signature_of(IbGib& frame) { return proof_of(frame).find("signature")->as_array(); }

std::vector<std::string> keys_of(const json::Object& o) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : o) keys.push_back(key);
  return keys;
}

bool is_lower_hex_64(const json::Value& v) {
  Hash h;
  return v.is_string() && wots::from_hex(v.as_string(), h);
}

class WotsSignerTest : public signer_testing::SignerTest<KeystoneSigner> {
 protected:
  std::string create(const char* preset) {
    auto made = signer_.create_identity(json::Object{{"preset", preset}});
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    return made.ok() ? made->records_json.back() : std::string();
  }
  std::string sign(const std::string& latest, const Claim& claim) {
    auto made = signer_.sign(latest, claim);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    return made.ok() ? made->records_json.back() : std::string();
  }
  std::vector<std::string> session_chain(int turns) {
    std::vector<std::string> frames{create("session")};
    for (int i = 0; i < turns; ++i) frames.push_back(sign(frames.back(), {"sync", target(i)}));
    return frames;
  }
};

TEST_F(WotsSignerTest, GenesisShape) {
  for (const char* preset : {"domain", "session"}) {
    SCOPED_TRACE(preset);
    const IbGib genesis = parse(create(preset));
    EXPECT_EQ(genesis.ib, "keystone");
    EXPECT_EQ(genesis.gib, *compute_gib(genesis));
    EXPECT_EQ(json::stringify(json::Value(*genesis.rel8ns)), R"({"ancestor":["keystone^gib"]})");
    const json::Object& data = genesis.data->as_object();
    EXPECT_EQ(keys_of(data), (std::vector<std::string>{"scheme", "allowedVerbs", "next", "proofs", "n", "timestamp",
                                                       "timestampMs", "uuid", "isTjp"}));
    EXPECT_EQ(data.find("scheme")->as_string(), "wots-w16-sha256");
    EXPECT_EQ(json::stringify(*data.find("allowedVerbs")),
              std::string(preset) == "domain" ? R"(["endorse","revoke"])" : R"(["sync","revoke"])");
    EXPECT_TRUE(is_lower_hex_64(*data.find("next")));
    EXPECT_TRUE(data.find("proofs")->as_array().empty());
    EXPECT_EQ(*genesis.n(), 0);
    EXPECT_TRUE(data.find("isTjp")->as_bool());
    EXPECT_EQ(data.find("uuid")->as_string().size(), 64u);
  }
  // No options: the session preset.
  auto made = signer_.create_identity(json::Value());
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(json::stringify(*parse(made->records_json.back()).data->find("allowedVerbs")), R"(["sync","revoke"])");
}

// The genesis commits to K_1 of its master secret (here a fixed one), as
// computed independently above.
TEST(WotsFrameTest, GenesisCommitsToTheFirstKey) {
  TestEnvironment env;
  const signer_support::Secret master = counting_master();
  auto genesis = create_wots_genesis(session_verbs(), master, env.env());
  ASSERT_TRUE(genesis.ok()) << genesis.status().to_string();
  const std::string uuid = genesis->data->find("uuid")->as_string();
  EXPECT_EQ(genesis->data->find("next")->as_string(), hex(reference_commitment(reference_seed(uuid), 1, master)));
  auto first = evolve_wots(*genesis, {"sync", target(0)}, master, env.env());
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->data->find("next")->as_string(), hex(reference_commitment(reference_seed(uuid), 2, master)));
  EXPECT_TRUE(verify_evolution(*genesis, *first, {"sync", target(0)}).ok());
  EXPECT_EQ(create_wots_genesis({}, master, env.env()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(create_wots_genesis({"sync", "sync"}, master, env.env()).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(WotsSignerTest, SignedFrameShape) {
  const std::vector<std::string> f = session_chain(2);
  const IbGib g = parse(f[0]), f1 = parse(f[1]), f2 = parse(f[2]);
  const json::Object& data = f2.data->as_object();
  EXPECT_EQ(keys_of(data), (std::vector<std::string>{"scheme", "allowedVerbs", "next", "proofs", "n", "timestamp",
                                                     "timestampMs", "uuid"}));
  const json::Object& proof = data.find("proofs")->as_array().at(0).as_object();
  EXPECT_EQ(keys_of(proof), (std::vector<std::string>{"claim", "signature"}));
  EXPECT_EQ(json::stringify(*proof.find("claim")), R"({"verb":"sync","target":")" + target(1) + R"("})");
  const json::Array& signature = proof.find("signature")->as_array();
  ASSERT_EQ(signature.size(), 67u);
  EXPECT_TRUE(std::all_of(signature.begin(), signature.end(), is_lower_hex_64));
  EXPECT_EQ(f2.rel8d("past"), std::vector<std::string>{f1.address()});
  EXPECT_EQ(f2.rel8d("tjp"), std::vector<std::string>{g.address()});
  EXPECT_EQ(f2.rel8d("ancestor"), std::vector<std::string>{"keystone^gib"});
  EXPECT_EQ(f1.data->find("uuid")->as_string(), g.data->find("uuid")->as_string());
  // Pre-rotation: every frame commits to a new key.
  EXPECT_NE(f1.data->find("next")->as_string(), g.data->find("next")->as_string());
  EXPECT_NE(f2.data->find("next")->as_string(), f1.data->find("next")->as_string());
}

// 200 turns of the session preset, each verified; every frame is the same
// size but for the digits of n (and frame 1, whose past names the genesis,
// whose gib has no tjp suffix), and well under 8 KiB. Then a revocation.
TEST_F(WotsSignerTest, RoundTripOf200TurnsHasConstantFrameSize) {
  std::vector<std::string> f{create("session")};
  for (int i = 0; i < 200; ++i) {
    const Claim claim{"sync", target(i)};
    f.push_back(sign(f.back(), claim));
    ASSERT_FALSE(f.back().empty()) << "turn " << i;
    const Status verified = signer_.verify(f[f.size() - 2], f.back(), claim);
    ASSERT_TRUE(verified.ok()) << "turn " << i << ": " << verified.to_string();
  }
  ASSERT_EQ(*parse(f.back()).n(), 200);
  const std::size_t typical = f[2].size();
  RecordProperty("genesis_bytes", static_cast<int>(f[0].size()));
  RecordProperty("frame_bytes", static_cast<int>(typical));
  for (std::size_t k = 1; k < f.size(); ++k) {
    ASSERT_LE(f[k].size(), 8192u) << "frame " << k;
  }
  for (std::size_t k = 2; k < f.size(); ++k) {
    // n has 1 to 3 digits; timestampMs 1 to 3 (pinned here to 3).
    ASSERT_LE(f[k].size(), typical + 4) << "frame " << k;
    ASSERT_GE(f[k].size() + 4, typical) << "frame " << k;
  }
  EXPECT_EQ(f.back().size(), typical + 2);  // "n":200 against "n":2
  EXPECT_EQ(f[1].size() + 65, typical);    // past names the genesis: no ".<tjp gib>"
  EXPECT_LE(f[0].size(), 1024u);

  auto revoked = signer_.revoke(f.back(), "rotating");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  const std::string& r = revoked->records_json.back();
  EXPECT_TRUE(signer_.verify(f.back(), r, {"revoke", parse(f.back()).address()}).ok());
  EXPECT_LE(r.size(), 8192u);
  RecordProperty("revocation_bytes", static_cast<int>(r.size()));
}

TEST_F(WotsSignerTest, DomainEndorsesAndRevokes) {
  std::vector<std::string> f{create("domain")};
  for (int i = 0; i < 5; ++i) {
    const Claim endorse{"endorse", target(i)};
    f.push_back(sign(f.back(), endorse));
    ASSERT_TRUE(signer_.verify(f[f.size() - 2], f.back(), endorse).ok());
  }
  EXPECT_EQ(signer_.sign(f.back(), {"sync", target(9)}).status().code(), StatusCode::kPermissionDenied);
  auto revoked = signer_.revoke(f.back(), "key ceremony");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  EXPECT_TRUE(signer_.verify(f.back(), revoked->records_json.back(), {"revoke", parse(f.back()).address()}).ok());
}

TEST_F(WotsSignerTest, RejectsWrongTargetAndWrongVerb) {
  const std::vector<std::string> f = session_chain(1);
  EXPECT_EQ(category(signer_.verify(f[0], f[1], {"sync", target(1)})), "target");
  EXPECT_EQ(category(signer_.verify(f[0], f[1], {"endorse", target(0)})), "verb");
  // A man in the middle rewrites the target: the digest changes.
  const std::string other = tampered(f[1], [](IbGib& r) { claim_of(r).set("target", target(1)); });
  EXPECT_EQ(category(signer_.verify(f[0], other, {"sync", target(1)})), "crypto");
  const std::string other_ib = tampered(f[1], [](IbGib& r) {
    std::string t = target(0);
    t[0] = 'C';  // same gib, another ib
    claim_of(r).set("target", t);
  });
  EXPECT_EQ(category(signer_.verify(f[0], other_ib, {"sync", "Context" + target(0).substr(7)})), "crypto");
}

TEST_F(WotsSignerTest, RejectsVerbsTheIdentityDoesNotAllow) {
  const std::vector<std::string> f = session_chain(1);
  // The claim rewritten to a verb the session does not allow.
  const std::string endorse = tampered(f[1], [](IbGib& r) { claim_of(r).set("verb", "endorse"); });
  EXPECT_EQ(category(signer_.verify(f[0], endorse, {"endorse", target(0)})), "verb");
  EXPECT_EQ(signer_.sign(f[1], {"endorse", target(1)}).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(signer_.sign(f[1], {"revoke", parse(f[1]).address()}).status().code(), StatusCode::kPermissionDenied);
  // Or to revoke, without revocationInfo.
  const std::string address = parse(f[0]).address();
  const std::string revoke = tampered(f[1], [&](IbGib& r) {
    claim_of(r).set("verb", "revoke");
    claim_of(r).set("target", address);
  });
  EXPECT_EQ(category(signer_.verify(f[0], revoke, {"revoke", address})), "revoked");
  // Allowed verbs are fixed at genesis.
  const std::string widened = tampered(f[1], [](IbGib& r) {
    data_of(r).set("allowedVerbs", json::Array{json::Value("sync"), json::Value("revoke"), json::Value("endorse")});
  });
  EXPECT_EQ(category(signer_.verify(f[0], widened, {"sync", target(0)})), "link");
}

TEST_F(WotsSignerTest, RejectsAChangedSignatureElement) {
  const std::vector<std::string> f = session_chain(1);
  const Claim claim{"sync", target(0)};
  ASSERT_TRUE(signer_.verify(f[0], f[1], claim).ok());
  for (std::size_t i : {0u, 1u, 33u, 63u, 64u, 65u, 66u}) {
    SCOPED_TRACE(i);
    const std::string changed = tampered(f[1], [&](IbGib& r) {
      std::string& element = signature_of(r)[i].as_string();
      element[10] = element[10] == '0' ? '1' : '0';
    });
    EXPECT_EQ(category(signer_.verify(f[0], changed, claim)), "crypto");
  }
  const std::string swapped = tampered(f[1], [](IbGib& r) { std::swap(signature_of(r)[3], signature_of(r)[4]); });
  EXPECT_EQ(category(signer_.verify(f[0], swapped, claim)), "crypto");
}

// next (C_{n+1}) is in the digest: a man in the middle cannot put his own
// key's commitment there and take the identity over.
TEST_F(WotsSignerTest, RejectsAChangedCommitment) {
  const std::vector<std::string> f = session_chain(2);
  const Claim claim{"sync", target(0)};
  const std::string attacker = hex(sha256(Bytes{'m', 'i', 't', 'm'}));
  const std::string changed = tampered(f[1], [&](IbGib& r) { data_of(r).set("next", attacker); });
  EXPECT_EQ(category(signer_.verify(f[0], changed, claim)), "crypto");
  // Another genuine commitment of the same identity (frame 2's) does not do either.
  const std::string later = parse(f[2]).data->find("next")->as_string();
  const std::string replayed = tampered(f[1], [&](IbGib& r) { data_of(r).set("next", later); });
  EXPECT_EQ(category(signer_.verify(f[0], replayed, claim)), "crypto");
  // Nor any other bound member.
  const std::string retimed = tampered(f[1], [](IbGib& r) { data_of(r).set("timestamp", "Thu, 30 Apr 2026 12:52:39 GMT"); });
  EXPECT_EQ(category(signer_.verify(f[0], retimed, claim)), "crypto");
  const std::string re_ms = tampered(f[1], [](IbGib& r) { data_of(r).set("timestampMs", 7); });
  EXPECT_EQ(category(signer_.verify(f[0], re_ms, claim)), "crypto");
}

// `next_json` re-signed over its own digest with one-time key `key_n` of
// `master` (the genuine key is next's n): what a holder of another key
// could produce.
std::string resigned(const std::string& prev_json, const std::string& next_json, const signer_support::Secret& master,
                     std::uint64_t key_n) {
  const WotsFrame prev = *WotsFrame::parse(parse(prev_json));
  const WotsFrame next = *WotsFrame::parse(parse(next_json));
  const std::string next_hex = next.next ? hex(*next.next) : std::string();
  const Hash d = wots_binding_digest({.n = static_cast<std::uint64_t>(next.n),
                                      .prev_address = prev.address,
                                      .verb = next.claim->verb,
                                      .target = next.claim->target,
                                      .revocation_reason = next.revocation_reason ? &*next.revocation_reason : nullptr,
                                      .next_hex = next_hex,
                                      .timestamp = next.timestamp,
                                      .timestamp_ms = next.timestamp_ms});
  const Chains sigma = wots::sign(wots_key(prev.uuid, key_n), wots::SecretKey(master, key_n), d);
  return tampered(next_json, [&](IbGib& r) {
    json::Array& signature = signature_of(r);
    for (std::size_t i = 0; i < wots::kChains; ++i) signature[i] = json::Value(hex(sigma[i]));
  });
}

TEST(WotsFrameTest, RejectsAFrameSignedWithAnotherKey) {
  TestEnvironment env;
  const signer_support::Secret master = counting_master();
  std::vector<std::string> f{create_wots_genesis(session_verbs(), master, env.env())->to_json_text()};
  for (int i = 0; i < 2; ++i) {
    auto next = evolve_wots(parse(f.back()), {"sync", target(i)}, master, env.env());
    ASSERT_TRUE(next.ok()) << next.status().to_string();
    f.push_back(next->to_json_text());
  }
  const Claim claim{"sync", target(1)};
  auto verify = [&](const std::string& next) { return verify_evolution(parse(f[1]), parse(next), claim); };
  ASSERT_TRUE(verify(f[2]).ok());
  // Re-signing with the right key reproduces the frame: the digest above is
  // the one the signer signed.
  EXPECT_EQ(resigned(f[1], f[2], master, 2), f[2]);
  for (std::uint64_t wrong : {0u, 1u, 3u, 4u}) {
    SCOPED_TRACE(wrong);
    EXPECT_EQ(category(verify(resigned(f[1], f[2], master, wrong))), "crypto");
  }
  // Another master secret's key 2.
  const signer_support::Secret other(32, 0x42);
  EXPECT_EQ(category(verify(resigned(f[1], f[2], other, 2))), "crypto");
  // And the signer refuses to sign with a secret that does not derive the
  // committed key, rather than make a frame that fails.
  const auto refused = evolve_wots(parse(f[2]), {"sync", target(2)}, other, env.env());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().to_string();
}

TEST_F(WotsSignerTest, RejectsReplayedAndSkippedFrames) {
  const std::vector<std::string> f = session_chain(2);
  EXPECT_EQ(category(signer_.verify(f[1], f[1], {"sync", target(0)})), "counter");  // the same frame again
  EXPECT_EQ(category(signer_.verify(f[2], f[1], {"sync", target(0)})), "counter");  // an older frame
  EXPECT_EQ(category(signer_.verify(f[0], f[2], {"sync", target(1)})), "counter");  // skipped n
  const std::string renumbered = tampered(f[1], [](IbGib& r) { data_of(r).set("n", 2); });
  EXPECT_EQ(category(signer_.verify(f[0], renumbered, {"sync", target(0)})), "counter");
  // A frame of another timeline of the same signer after this one's frame.
  const std::vector<std::string> other = session_chain(1);
  EXPECT_EQ(category(signer_.verify(f[0], other[1], {"sync", target(0)})), "link");
  // The signer never evolves a frame twice: that would sign with its one-time
  // key twice. (Asked for f[1], the frame before its latest, it adopts f[2]:
  // WotsSignerTest.AFrameLostByItsCallerIsAdoptedNotRemade.)
  EXPECT_EQ(signer_.sign(f[0], {"sync", target(9)}).status().code(), StatusCode::kFailedPrecondition);
}

// The kill -9 window of issue #10: the caller lost frame f[2] (the process
// died before storing it) and asks again to evolve f[1]. Signing f[1]'s
// one-time key a second time, for another claim, would let anyone combine
// the two signatures; the signer hands out f[2] itself, then f[3].
TEST_F(WotsSignerTest, AFrameLostByItsCallerIsAdoptedNotRemade) {
  const std::vector<std::string> f = session_chain(2);
  const std::string next = signer_testing::expect_the_frame_made_last_is_adopted(signer_, f[1], f[2], {"sync", target(7)});
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(*parse(next).n(), 3);
}

TEST_F(WotsSignerTest, RevokedIdentitySignsNothing) {
  const std::vector<std::string> f = session_chain(1);
  auto revoked = signer_.revoke(f[1], "device lost");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  const std::string& r = revoked->records_json.back();
  const std::string f1_address = parse(f[1]).address();
  const Claim revoke_claim{"revoke", f1_address};
  ASSERT_TRUE(signer_.verify(f[1], r, revoke_claim).ok());
  const IbGib frame = parse(r);
  EXPECT_EQ(json::stringify(*frame.data->find("revocationInfo")), R"({"reason":"device lost"})");
  EXPECT_EQ(frame.data->find("next"), nullptr);
  EXPECT_EQ(keys_of(frame.data->as_object()), (std::vector<std::string>{"scheme", "allowedVerbs", "proofs",
                                                                        "revocationInfo", "n", "timestamp",
                                                                        "timestampMs", "uuid"}));
  // The signer refuses, and so does verify, whatever follows.
  EXPECT_EQ(signer_.sign(r, {"sync", target(3)}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(signer_.revoke(r, "again").status().code(), StatusCode::kFailedPrecondition);
  const std::string r_address = parse(r).address();
  const std::string after = tampered(r, [&](IbGib& g) {
    data_of(g).erase("revocationInfo");
    data_of(g).set("n", 3);
    claim_of(g).set("verb", "sync");
    g.rel8ns->set("past", json::Array{json::Value(r_address)});
  });
  EXPECT_EQ(category(signer_.verify(r, after, {"sync", target(3)})), "revoked");
  // A revocation targets the frame it revokes, binds its reason, carries
  // exactly {reason} and no next key.
  EXPECT_EQ(category(signer_.verify(f[1], r, {"revoke", parse(f[0]).address()})), "target");
  const std::string reason = tampered(r, [](IbGib& g) {
    data_of(g).set("revocationInfo", json::Object{{"reason", "nothing happened"}});
  });
  EXPECT_EQ(category(signer_.verify(f[1], reason, revoke_claim)), "crypto");
  const std::string extra = tampered(r, [](IbGib& g) {
    data_of(g).find("revocationInfo")->as_object().set("proof", json::Object{});
  });
  EXPECT_EQ(category(signer_.verify(f[1], extra, revoke_claim)), "revoked");
  const std::string stripped = tampered(r, [](IbGib& g) { data_of(g).erase("revocationInfo"); });
  EXPECT_EQ(category(signer_.verify(f[1], stripped, revoke_claim)), "revoked");
  const std::string with_next = tampered(r, [&](IbGib& g) { data_of(g).set("next", parse(f[1]).data->find("next")->as_string()); });
  EXPECT_EQ(category(signer_.verify(f[1], with_next, revoke_claim)), "revoked");
  // A sync turn that claims a revocation reason.
  const std::string sync_with_reason = tampered(f[1], [](IbGib& g) {
    data_of(g).set("revocationInfo", json::Object{{"reason", "x"}});
  });
  EXPECT_EQ(category(signer_.verify(f[0], sync_with_reason, {"sync", target(0)})), "revoked");
}

// A relabelled copy (gib "gib", a primitive) or a gib with another timeline's
// suffix fails intrinsic validation before anything else.
TEST_F(WotsSignerTest, RejectsFramesThatAreNotIntrinsicallyValid) {
  const std::vector<std::string> f = session_chain(1);
  const Claim claim{"sync", target(0)};
  IbGib primitive = parse(f[1]);
  primitive.gib = "gib";
  EXPECT_EQ(category(signer_.verify(f[0], primitive.to_json_text(), claim)), "gib");
  IbGib resuffixed = parse(f[1]);
  resuffixed.gib = resuffixed.gib.substr(0, resuffixed.gib.find('.') + 1) + sha256_hex_upper("another timeline");
  EXPECT_EQ(category(signer_.verify(f[0], resuffixed.to_json_text(), claim)), "gib");
  IbGib edited = parse(f[1]);
  data_of(edited).set("timestamp", "edited");  // content changed, gib kept
  EXPECT_EQ(category(signer_.verify(f[0], edited.to_json_text(), claim)), "gib");
  const auto made = signer_.sign(primitive.to_json_text(), {"sync", target(1)});
  EXPECT_EQ(made.status().code(), StatusCode::kPermissionDenied) << made.status().to_string();
  signer_testing::expect_verify_names_malformed_frame(signer_, "keystone", f[0], f[1], claim);
}

// Every member has exactly one form; anything else is refused with the
// category of the part it belongs to.
TEST_F(WotsSignerTest, RejectsMalformedFrames) {
  const std::vector<std::string> f = session_chain(1);
  const Claim claim{"sync", target(0)};
  struct Case {
    const char* name;
    std::function<void(IbGib&)> change;
    const char* category;
  };
  const std::vector<Case> cases{
      {"unknown data member", [](IbGib& r) { data_of(r).set("frameDetails", "x"); }, "policy"},
      {"challenge pools", [](IbGib& r) { data_of(r).set("challengePools", json::Array{}); }, "policy"},
      {"next missing", [](IbGib& r) { data_of(r).erase("next"); }, "policy"},
      {"next upper case", [](IbGib& r) {
         std::string next = data_of(r).find("next")->as_string();
         std::transform(next.begin(), next.end(), next.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
         data_of(r).set("next", next);
       }, "policy"},
      {"next short", [](IbGib& r) { data_of(r).set("next", std::string(62, 'a')); }, "policy"},
      {"proofs missing", [](IbGib& r) { data_of(r).erase("proofs"); }, "policy"},
      {"no proof", [](IbGib& r) { data_of(r).set("proofs", json::Array{}); }, "policy"},
      {"two proofs", [](IbGib& r) {
         json::Array& proofs = data_of(r).find("proofs")->as_array();
         proofs.push_back(proofs[0]);
       }, "policy"},
      {"proof member", [](IbGib& r) { proof_of(r).set("solutions", json::Array{}); }, "policy"},
      {"claim member", [](IbGib& r) { claim_of(r).set("note", "x"); }, "policy"},
      {"66 elements", [](IbGib& r) { signature_of(r).pop_back(); }, "policy"},
      {"68 elements", [](IbGib& r) { signature_of(r).push_back(signature_of(r)[0]); }, "policy"},
      {"upper-case element", [](IbGib& r) {
         std::string& e = signature_of(r)[5].as_string();
         std::transform(e.begin(), e.end(), e.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
       }, "policy"},
      {"numeric element", [](IbGib& r) { signature_of(r)[5] = json::Value(5); }, "policy"},
      {"timestampMs 1000", [](IbGib& r) { data_of(r).set("timestampMs", 1000); }, "policy"},
      {"timestampMs 1.5", [](IbGib& r) { data_of(r).set("timestampMs", 1.5); }, "policy"},
      {"timestamp a number", [](IbGib& r) { data_of(r).set("timestamp", 5); }, "policy"},
      {"isTjp", [](IbGib& r) { data_of(r).set("isTjp", true); }, "link"},
      {"uuid", [](IbGib& r) { data_of(r).set("uuid", std::string(64, 'a')); }, "link"},
      {"scheme", [](IbGib& r) { data_of(r).set("scheme", "wots-w16-sha512"); }, "link"},
      {"no scheme", [](IbGib& r) { data_of(r).erase("scheme"); }, "link"},
      {"verbs reordered", [](IbGib& r) {
         data_of(r).set("allowedVerbs", json::Array{json::Value("revoke"), json::Value("sync")});
       }, "link"},
      {"revocationInfo not an object", [](IbGib& r) { data_of(r).set("revocationInfo", "x"); }, "revoked"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Status status = signer_.verify(f[0], tampered(f[1], c.change), claim);
    EXPECT_EQ(category(status), c.category) << status.to_string();
  }
  // A prev of an unknown scheme is the caller's own data gone wrong.
  const std::string unknown = tampered(f[0], [](IbGib& r) { data_of(r).set("scheme", "xmss"); });
  EXPECT_EQ(signer_.verify(unknown, f[1], claim).code(), StatusCode::kInvalidArgument);
}

// A timeline never changes scheme: a pools frame is not followed by a wots
// frame, nor the reverse, even when the links and uuid are made to match.
TEST_F(WotsSignerTest, SchemesDoNotMix) {
  const std::string pools = create("session-pools");
  const std::string wots = create("session");
  const Claim claim{"sync", target(0)};
  const std::string pools_turn = sign(pools, claim);
  const std::string wots_turn = sign(wots, claim);
  ASSERT_TRUE(signer_.verify(pools, pools_turn, claim).ok());
  ASSERT_TRUE(signer_.verify(wots, wots_turn, claim).ok());
  auto relinked = [](const std::string& frame, const std::string& to) {
    const IbGib genesis = parse(to);
    return tampered(frame, [&](IbGib& r) {
      r.rel8ns->set("past", json::Array{json::Value(genesis.address())});
      r.rel8ns->set("tjp", json::Array{json::Value(genesis.address())});
      data_of(r).set("uuid", genesis.data->find("uuid")->as_string());
    });
  };
  for (const auto& [prev, next] : {std::pair{pools, relinked(wots_turn, pools)}, std::pair{wots, relinked(pools_turn, wots)}}) {
    const Status status = signer_.verify(prev, next, claim);
    EXPECT_EQ(category(status), "link") << status.to_string();
    EXPECT_NE(status.message().find("scheme"), std::string::npos) << status.to_string();
  }
}

// A rough measurement for docs: sign and verify of one session turn, wots
// against the positional pools it replaces as the default.
TEST_F(WotsSignerTest, SignAndVerifyCost) {
  using Clock = std::chrono::steady_clock;
  for (const auto& [preset, turns] : {std::pair{"session", 100}, std::pair{"session-pools", 20}}) {
    std::vector<std::string> f{create(preset)};
    Clock::duration signing{}, verifying{};
    std::size_t bytes = 0;
    for (int i = 0; i < turns; ++i) {
      const Claim claim{"sync", target(i)};
      const auto t0 = Clock::now();
      f.push_back(sign(f.back(), claim));
      const auto t1 = Clock::now();
      ASSERT_TRUE(signer_.verify(f[f.size() - 2], f.back(), claim).ok());
      const auto t2 = Clock::now();
      signing += t1 - t0;
      verifying += t2 - t1;
      bytes += f.back().size();
    }
    const auto us = [&](Clock::duration d) {
      return static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(d).count() / turns);
    };
    std::printf("%s turn: %zu B, sign %lld us, verify %lld us (mean of %d)\n", preset, bytes / turns, us(signing),
                us(verifying), turns);
  }
}

}  // namespace
}  // namespace gibkit::keystone
