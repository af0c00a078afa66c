// Ed25519 identities: round trips, every verify rejection category, and a
// third-party check of the signatures with OpenSSL's command-line tool.
#include "ed25519_identity/ed25519_signer.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <botan/hex.h>
#include <botan/x509_key.h>
#include <gtest/gtest.h>

#include "ed25519_identity/identity_frame.h"
#include "ed25519_identity/key_chain.h"
#include "gibkit/gib_hash.h"
#include "signer_testing.h"

namespace gibkit::ed25519_identity {
namespace {

namespace fs = std::filesystem;
using signer_testing::category;
using signer_testing::data_of;
using signer_testing::parse;
using signer_testing::tampered;
using signer_testing::target;
using signer_testing::TempDir;
using signer_testing::TestEnvironment;

class Ed25519Test : public signer_testing::SignerTest<Ed25519Signer> {
 protected:
  std::vector<std::string> chain(int turns, const json::Value& options = json::Value()) {
    auto made = signer_.create_identity(options);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    std::vector<std::string> frames{made->records_json.back()};
    for (int i = 0; i < turns; ++i) {
      auto next = signer_.sign(frames.back(), {"sync", target(i)});
      EXPECT_TRUE(next.ok()) << next.status().to_string();
      frames.push_back(next->records_json.back());
    }
    return frames;
  }
};

TEST_F(Ed25519Test, SignsAndVerifiesManyTurnsWithPreRotation) {
  const auto f = chain(8);
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(signer_.verify(f[i], f[i + 1], {"sync", target(i)}).ok()) << i;
    const IbGib prev = parse(f[i]), next = parse(f[i + 1]);
    // Frame k+1 reveals the key frame k committed to, and a new key each time.
    const auto p = IdentityFrame::from_record(prev), n = IdentityFrame::from_record(next);
    EXPECT_EQ(key_digest(n->public_key), p->next_key_digest);
    EXPECT_NE(n->public_key, p->public_key);
    EXPECT_EQ(*next.n(), i + 1);
    EXPECT_EQ(next.rel8d("tjp"), std::vector<std::string>{parse(f[0]).address()});
    EXPECT_EQ(next.rel8d("past"), std::vector<std::string>{prev.address()});  // linked past
  }
  const IbGib genesis = parse(f[0]);
  EXPECT_EQ(genesis.ib, "ed25519-identity");
  EXPECT_EQ(json::stringify(json::Value(*genesis.rel8ns)), R"({"ancestor":["ed25519-identity^gib"]})");
  EXPECT_TRUE(genesis.data->find("isTjp")->as_bool());
}

TEST_F(Ed25519Test, RejectsWrongSecret) {
  const auto f = chain(1);
  // A forger with another master secret signs a frame for the same timeline.
  TestEnvironment other_env(3);
  Ed25519Signer forger(std::make_unique<signer_support::SecretStore>(), other_env.env());
  auto forger_identity = forger.create_identity(json::Value());
  ASSERT_TRUE(forger_identity.ok());
  const signer_support::Secret wrong(32, 0x42);
  const std::string forged = tampered(f[1], [&](IbGib& r) {
    auto frame = *IdentityFrame::from_record(r);
    const auto key = derive_key(wrong, frame.n);
    frame.public_key = public_key_of(*key);
    frame.signature = sign_message(*key, signing_message(frame, *r.tjp_address(), parse(f[0]).address()));
    r.data = frame.to_data();
  });
  EXPECT_EQ(category(signer_.verify(f[0], forged, {"sync", target(0)})), "crypto");
}

TEST_F(Ed25519Test, RejectsTamperedSignatureAndSignedFields) {
  const auto f = chain(1);
  const Claim claim{"sync", target(0)};
  const std::string flipped = tampered(f[1], [](IbGib& r) {
    std::string sig = data_of(r).find("signature")->as_string();
    sig[10] = sig[10] == '0' ? '1' : '0';
    data_of(r).set("signature", sig);
  });
  EXPECT_EQ(category(signer_.verify(f[0], flipped, claim)), "crypto");
  const std::string retimed = tampered(f[1], [](IbGib& r) { data_of(r).set("timestampMs", 1); });
  EXPECT_EQ(category(signer_.verify(f[0], retimed, claim)), "crypto");
  const std::string recommitted = tampered(f[1], [](IbGib& r) { data_of(r).set("nextKeyDigest", std::string(64, 'a')); });
  EXPECT_EQ(category(signer_.verify(f[0], recommitted, claim)), "crypto");
}

TEST_F(Ed25519Test, RejectsReplayedAndSkippedFrames) {
  const auto f = chain(2);
  EXPECT_EQ(category(signer_.verify(f[1], f[1], {"sync", target(0)})), "counter");
  EXPECT_EQ(category(signer_.verify(f[2], f[1], {"sync", target(0)})), "counter");
  EXPECT_EQ(category(signer_.verify(f[0], f[2], {"sync", target(1)})), "counter");
  // f[0] was evolved already; f[1], before the latest, would adopt f[2] (below).
  EXPECT_EQ(signer_.sign(f[0], {"sync", target(7)}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(Ed25519Test, RejectsWrongTargetAndVerb) {
  const auto f = chain(1, json::Object{{"preset", "session"}});
  EXPECT_EQ(category(signer_.verify(f[0], f[1], {"sync", target(1)})), "target");
  EXPECT_EQ(category(signer_.verify(f[0], f[1], {"endorse", target(0)})), "verb");
  EXPECT_EQ(signer_.sign(f[1], {"endorse", target(0)}).status().code(), StatusCode::kPermissionDenied);
  const std::string forbidden = tampered(f[1], [](IbGib& r) {
    data_of(r).find("claim")->as_object().set("verb", "endorse");
  });
  EXPECT_EQ(category(signer_.verify(f[0], forbidden, {"endorse", target(0)})), "verb");
  const std::string widened = tampered(f[1], [](IbGib& r) {
    data_of(r).set("allowedVerbs", json::Array{json::Value("sync"), json::Value("endorse")});
  });
  EXPECT_EQ(category(signer_.verify(f[0], widened, {"sync", target(0)})), "policy");
}

TEST_F(Ed25519Test, RevokedIdentitySignsNothing) {
  const auto f = chain(1);
  auto revoked = signer_.revoke(f[1], "key compromise");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  const std::string& r = revoked->records_json.back();
  EXPECT_TRUE(signer_.verify(f[1], r, {"revoke", parse(f[1]).address()}).ok());
  EXPECT_EQ(signer_.sign(r, {"sync", target(5)}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(category(signer_.verify(r, f[1], {"sync", target(0)})), "revoked");
  EXPECT_EQ(category(signer_.verify(f[1], r, {"revoke", parse(f[0]).address()})), "target");
}

TEST_F(Ed25519Test, RejectsBrokenLinksAndTamperedGib) {
  const auto f = chain(2);
  const Claim claim{"sync", target(1)};
  // past is exactly [prev]: neither the full history nor anything else.
  const std::string full_history = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("past", json::Array{json::Value(parse(f[0]).address()), json::Value(parse(f[1]).address())});
  });
  EXPECT_EQ(category(signer_.verify(f[1], full_history, claim)), "link");
  const std::string wrong_prev = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("past", json::Array{json::Value(parse(f[0]).address())});
  });
  EXPECT_EQ(category(signer_.verify(f[1], wrong_prev, claim)), "link");
  // Another timeline's genesis as tjp (gib recomputed, so the suffix agrees).
  const std::string other_tjp = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("tjp", json::Array{json::Value("ed25519-identity^" + sha256_hex_upper("another genesis"))});
  });
  EXPECT_EQ(category(signer_.verify(f[1], other_tjp, claim)), "link");
  // A non-genesis frame as tjp cannot even be hashed into a valid gib (its
  // gib would carry two tjp suffixes): intrinsic validation refuses it.
  const std::string frame_as_tjp = tampered(f[2], [&](IbGib& r) {
    r.rel8ns->set("tjp", json::Array{json::Value(parse(f[1]).address())});
  });
  EXPECT_EQ(category(signer_.verify(f[1], frame_as_tjp, claim)), "gib");
  IbGib bad = parse(f[2]);
  bad.gib[0] = bad.gib[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(category(signer_.verify(f[1], bad.to_json_text(), claim)), "gib");
}

// Linked past: a frame names only the frame before it, so its size does not
// depend on the length of its timeline (with the full history in past, frames
// grew from 12.9 KiB to 577 KiB after a few hundred syncs).
TEST_F(Ed25519Test, FrameSizeDoesNotGrowWithTheTimeline) {
  const auto f = chain(200);
  ASSERT_EQ(f.size(), 201u);
  const IbGib last = parse(f.back());
  ASSERT_EQ(*last.n(), 200);
  signer_testing::expect_linked_frames_of_constant_size(f);
}

// gib "gib" makes a copy of a real frame look like a primitive, whose gib
// compute_gib does not recompute; only intrinsic validation catches it, as it
// catches a gib whose tjp suffix names another timeline.
TEST_F(Ed25519Test, RejectsFramesThatAreNotIntrinsicallyValid) {
  const auto f = chain(1);
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
  const auto made = signer_.sign(primitive.to_json_text(), {"sync", target(1)});
  EXPECT_EQ(made.status().code(), StatusCode::kPermissionDenied) << made.status().to_string();
  EXPECT_NE(made.status().message().find("gib: latest frame"), std::string::npos) << made.status().to_string();
  EXPECT_TRUE(signer_.sign(f[1], {"sync", target(1)}).ok());
}

// Each key signs one frame: a second evolution of a frame is refused.
TEST_F(Ed25519Test, RefusesToEvolveTheSameFrameTwice) {
  const auto f = chain(1);
  // Asked to evolve f[0] again (a caller that lost f[1], issue #10), the
  // signer hands out f[1] itself, then f[1] evolved: key 0 signs nothing else.
  const std::string third =
      signer_testing::expect_the_frame_made_last_is_adopted(signer_, f[0], f[1], {"sync", target(1)});
  ASSERT_FALSE(third.empty());
  for (const auto& again : {signer_.sign(f[0], {"sync", target(0)}), signer_.revoke(f[0], "again")}) {
    EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition) << again.status().to_string();
    EXPECT_NE(again.status().message().find("not the latest frame this signer made"), std::string::npos);
  }
  EXPECT_TRUE(signer_.sign(third, {"sync", target(2)}).ok());
}

// A revocation asked of the frame before the latest revokes the latest (the
// frame it evolves), and its claim names that frame.
TEST_F(Ed25519Test, CatchUpRevocationNamesTheFrameItEvolves) {
  const auto f = chain(1);
  auto revoked = signer_.revoke(f[0], "lost");
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  ASSERT_EQ(revoked->records_json.size(), 2u);
  EXPECT_EQ(revoked->records_json[0], f[1]);
  EXPECT_TRUE(signer_.verify(f[1], revoked->records_json[1], {"revoke", parse(f[1]).address()}).ok());
}

// A frame on the signer's own timeline that it did not make (same n as its
// real latest frame, other content, gib recomputed): evolving it would have
// the next key sign a second frame, a fork only the signer could make.
TEST_F(Ed25519Test, RefusesACraftedFrameOnItsOwnTimeline) {
  const auto f = chain(1);
  const std::string crafted = tampered(f[1], [](IbGib& r) { data_of(r).set("timestampMs", 1); });
  ASSERT_EQ(*parse(crafted).n(), 1);
  ASSERT_NE(parse(crafted).gib, parse(f[1]).gib);
  for (const auto& refused : {signer_.sign(crafted, {"sync", target(1)}), signer_.revoke(crafted, "stolen")}) {
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find("not the latest frame this signer made"), std::string::npos);
  }
  EXPECT_TRUE(signer_.sign(f[1], {"sync", target(1)}).ok());
}

// A session's secret lives in memory, never in secrets_dir, and goes when
// the kernel forgets it at the end of its saga (SDK 1.5); a domain stays.
TEST(Ed25519OwnFramesTest, SessionsLiveInMemoryUntilForgotten) {
  const TempDir dir("gibkit-forget");
  TestEnvironment env;
  auto store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  Ed25519Signer signer(std::move(*store), env.env());
  TestEnvironment other_env(5);
  auto other_store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(other_store.ok());
  Ed25519Signer restarted(std::move(*other_store), other_env.env());
  signer_testing::expect_sessions_live_in_memory_until_forgotten(signer, restarted, dir.path(), {"sync", target(0)},
                                                                 {"endorse", target(1)});
}

// The record of the latest frame lives beside the secret, so a restart (a new
// signer over the same secrets_dir) keeps the guard.
TEST(Ed25519OwnFramesTest, GuardSurvivesARestart) {
  const TempDir dir("gibkit-ed25519");
  std::vector<std::string> f;
  {
    TestEnvironment env;
    auto store = signer_support::SecretStore::open_directory(dir.path());
    ASSERT_TRUE(store.ok());
    Ed25519Signer before(std::move(*store), env.env());
    f.push_back(before.create_identity(json::Value())->records_json.back());
    for (int i = 0; i < 2; ++i) f.push_back(before.sign(f.back(), {"sync", target(i)})->records_json.back());
  }
  std::string recorded;
  std::getline(std::ifstream(dir.path() / (parse(f[0]).gib + ".head")), recorded);
  EXPECT_EQ(recorded, parse(f[2]).address());

  TestEnvironment env(9);
  auto store = signer_support::SecretStore::open_directory(dir.path());
  ASSERT_TRUE(store.ok());
  Ed25519Signer after(std::move(*store), env.env());
  EXPECT_FALSE(
      signer_testing::expect_only_the_latest_frame_signs(after, {f[0], f[1], f[2]}, [&](int i) { return target(i); })
          .empty());
}

TEST_F(Ed25519Test, VerifyNamesTheMalformedFrame) {
  const auto f = chain(1);
  signer_testing::expect_verify_names_malformed_frame(signer_, "ed25519", f[0], f[1], {"sync", target(0)});
}

// Exports the public key as PEM from Botan, writes the signed message and the
// signature, and lets OpenSSL check them (and refuse a flipped byte).
TEST_F(Ed25519Test, SignaturesVerifyWithOpenSsl) {
  const auto f = chain(1);
  const IbGib genesis = parse(f[0]);
  const IbGib next = parse(f[1]);
  const auto frame = *IdentityFrame::from_record(next);
  const std::vector<std::uint8_t> message = signing_message(frame, genesis.address(), genesis.address());

  const TempDir temp("gibkit-ed25519");
  const fs::path& dir = temp.path();
  const Botan::Ed25519_PublicKey public_key(std::vector<std::uint8_t>(frame.public_key.begin(), frame.public_key.end()));
  std::ofstream(dir / "pub.pem") << Botan::X509::PEM_encode(public_key);
  auto write = [](const fs::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  write(dir / "msg.bin", message);
  write(dir / "sig.bin", frame.signature);
  auto openssl_verify = [&](const fs::path& msg) {
    const std::string command = std::string(GIBKIT_OPENSSL) + " pkeyutl -verify -pubin -inkey " + (dir / "pub.pem").string() +
                                " -rawin -in " + msg.string() + " -sigfile " + (dir / "sig.bin").string() +
                                " > " + (dir / "out.txt").string() + " 2>&1";
    return std::system(command.c_str());
  };
  EXPECT_EQ(openssl_verify(dir / "msg.bin"), 0);
  std::vector<std::uint8_t> flipped = message;
  flipped[flipped.size() / 2] ^= 0x01;
  write(dir / "flipped.bin", flipped);
  EXPECT_NE(openssl_verify(dir / "flipped.bin"), 0);
}

TEST_F(Ed25519Test, SigningMessageLayoutIsStable) {
  IdentityFrame frame;
  frame.n = 1;
  frame.timestamp = "Wed, 29 Apr 2026 12:52:38 GMT";
  frame.timestamp_ms = 123;
  frame.uuid = "u";
  frame.allowed_verbs = {"sync"};
  frame.claim = Claim{"sync", "t^gib"};
  const std::vector<std::uint8_t> m = signing_message(frame, "tjp^A", "prev^B");
  // tag, n, timeline, prev, verb, target, pk, digest, timestamp, ms, uuid, verbs, revoked flag, reason
  const std::size_t expected = (4 + kSigningTag.size()) + 8 + (4 + 5) + (4 + 6) + (4 + 4) + (4 + 5) + (4 + 32) +
                               (4 + 32) + (4 + frame.timestamp.size()) + 4 + (4 + 1) + 4 + (4 + 4) + 1 + 4;
  EXPECT_EQ(m.size(), expected);
  EXPECT_EQ(Botan::hex_encode(std::vector<std::uint8_t>(m.begin(), m.begin() + 4)), "00000020");  // tag length 32
}

TEST_F(Ed25519Test, OptionsAndSecretsHandling) {
  EXPECT_EQ(signer_.create_identity(json::Object{{"preset", "root"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer_.create_identity(json::Object{{"allowedVerbs", json::Array{json::Value("revoke")}}}).status().code(),
            StatusCode::kInvalidArgument);
  const auto f = chain(1);
  TestEnvironment other_env(5);
  Ed25519Signer stranger(std::make_unique<signer_support::SecretStore>(), other_env.env());
  EXPECT_EQ(stranger.sign(f[1], {"sync", target(3)}).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(stranger.verify(f[0], f[1], {"sync", target(0)}).ok());
}

}  // namespace
}  // namespace gibkit::ed25519_identity
