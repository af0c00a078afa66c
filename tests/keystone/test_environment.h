// Deterministic clock and RNG for keystone tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <botan/chacha_rng.h>

#include "gibkit/status.h"
#include "signer_support/environment.h"

namespace gibkit::keystone::testing {

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

// The category a verify failure names: the message up to the first ':'.
inline std::string category(const Status& s) {
  if (s.ok()) return "ok";
  if (s.code() != StatusCode::kPermissionDenied) return "code:" + std::string(status_code_name(s.code()));
  return s.message().substr(0, s.message().find(':'));
}

}  // namespace gibkit::keystone::testing
