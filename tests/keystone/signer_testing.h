// File: signer_testing.h (library gibkit_signer_testing)
//
// Test helpers shared by the signer suites (tests/keystone, tests/ed25519):
// a pinned clock and RNG, a fixture holding a signer over an in-memory
// SecretStore, and the frame surgery the verify-rejection tests need. It
// lives here, beside the tests of gibkit_signer_support, because that is
// what both suites have in common.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <botan/chacha_rng.h>
#include <gtest/gtest.h>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/signer.h"
#include "gibkit/status.h"
#include "signer_support/environment.h"
#include "signer_support/secret_store.h"

namespace gibkit::signer_testing {

// A pinned environment: ChaCha RNG from a fixed seed, a clock that advances
// 1.5 s per reading from 2026-04-29.
class TestEnvironment {
 public:
  explicit TestEnvironment(std::uint8_t seed = 7)
      : rng_(Botan::secure_vector<std::uint8_t>(32, seed)) {
    env_.rng = &rng_;
    env_.now_ms = [this] { return now_ += 1500; };
  }
  signer_support::Environment& env() { return env_; }

 private:
  Botan::ChaCha_RNG rng_;
  std::int64_t now_ = 1777467158123;
  signer_support::Environment env_;
};

// Fixture: signer_ is a SignerT over an in-memory SecretStore and env_, so
// every test starts from the same pinned clock and RNG.
template <typename SignerT>
class SignerTest : public ::testing::Test {
 protected:
  SignerTest() : signer_(std::make_unique<signer_support::SecretStore>(), env_.env()) {}

  TestEnvironment env_;  // declared before signer_, which keeps a reference into it
  SignerT signer_;
};

// A fresh directory under the system temp dir, named <prefix>-XXXXXX,
// removed with everything in it when this goes out of scope (also when an
// ASSERT ends the test early).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The category a verify failure names: the message up to the first ':'.
[[nodiscard]] std::string category(const Status& s);

// A distinct claim target per turn i ("context^<upper-case SHA-256 hex>").
[[nodiscard]] std::string target(int i);

// Parses a frame; a frame that does not parse fails the test (EXPECT).
[[nodiscard]] IbGib parse(const std::string& text);

// Applies `change` to a frame and recomputes its gib, as an attacker would,
// so that the check under test (not the gib check) must catch it.
[[nodiscard]] std::string tampered(const std::string& frame_json, const std::function<void(IbGib&)>& change);

// The frame's data object, for tampering.
[[nodiscard]] json::Object& data_of(IbGib& frame);

// Expects signer.verify to refuse a malformed prev, then next, frame with
// kInvalidArgument under the context "<who> verify: prev frame" (or "next
// frame"), so a caller can tell which of the two it sent. prev and next are
// a valid pair signed for `claim`.
void expect_verify_names_malformed_frame(Signer& signer, std::string_view who, const std::string& prev,
                                         const std::string& next, const Claim& claim);

// Frames f[0..] of one identity (genesis first, at least 3, the last at n
// 200 or more) link only the frame before them and keep one size: the last
// differs from frame 2 only in the digits of n, and frame 1 is 65 bytes
// shorter because its past names the genesis, whose gib has no tjp suffix.
void expect_linked_frames_of_constant_size(const std::vector<std::string>& f);

// A signer restarted over the secrets of an identity whose frames `frames`
// (genesis first, at least 3) an earlier instance made: every frame older
// than the one before the last is refused (kFailedPrecondition, "not the
// latest frame this signer made"), the last signs once and only once, and
// afterwards every frame of `frames` but the last is refused. `target(i)` names a claim
// target. Returns the frame it signed (empty if signing failed).
std::string expect_only_the_latest_frame_signs(Signer& restarted, const std::vector<std::string>& frames,
                                        const std::function<std::string(int)>& target);

// Catch-up (signer_support/own_frames.h): asked to evolve `before` while the
// frame it made last is `latest` (whose past is `before`), the signer hands
// out `latest` byte for byte -- never a second evolution of `before` -- and
// then `latest` evolved with `claim`, which verifies. Afterwards `before`
// is refused. Returns the new frame ("" on failure).
std::string expect_the_frame_made_last_is_adopted(Signer& signer, const std::string& before,
                                                  const std::string& latest, const Claim& claim);

// Signer::forget and session lifetimes (signer_support/secret_store.h),
// for a signer `signer` over the secrets directory `dir`: a {"preset":
// "session", "lifetime": "saga"} identity writes nothing to `dir` and signs
// `session_claim`; once forgotten it signs nothing (kNotFound) and a second
// forget is OK; any other lifetime is refused; {"preset": "session"} alone
// and {"preset": "domain"} are kept in `dir` and forget leaves them there
// (a signer restarted over `dir`, `restarted`, still signs with them).
void expect_sessions_live_in_memory_until_forgotten(Signer& signer, Signer& restarted,
                                                    const std::filesystem::path& dir, const Claim& session_claim,
                                                    const Claim& domain_claim);

}  // namespace gibkit::signer_testing
