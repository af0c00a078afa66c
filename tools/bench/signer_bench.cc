// Sign and verify throughput of the two signers, one identity turn per
// iteration: keystone with the session preset (one frame per sync turn) and
// Ed25519 with pre-rotation. Run from a Release build:
//   build-release/bin/signer_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "ed25519_identity/ed25519_signer.h"
#include "gibkit/gib_hash.h"
#include "keystone/keystone_signer.h"
#include "signer_support/environment.h"
#include "signer_support/secret_store.h"

namespace {

using gibkit::Claim;
using gibkit::Signer;

template <typename SignerType>
std::unique_ptr<Signer> make_signer() {
  return std::make_unique<SignerType>(std::make_unique<gibkit::signer_support::SecretStore>(),
                                      gibkit::signer_support::system_environment());
}

Claim turn_claim(std::int64_t i) {
  return {"sync", "context^" + gibkit::sha256_hex_upper("turn " + std::to_string(i))};
}

gibkit::json::Value session_options() { return gibkit::json::Object{{"preset", "session"}}; }

// Frames link only the frame before (linked past), so their size no longer
// depends on the timeline's length; a fresh identity every kTurnsPerIdentity
// turns (not timed) keeps the runs comparable with the figures measured
// when frames still accumulated their past.
constexpr int kTurnsPerIdentity = 32;

template <typename SignerType>
void BM_Sign(benchmark::State& state) {
  auto signer = make_signer<SignerType>();
  std::string latest;
  std::int64_t i = 0;
  for (auto _ : state) {
    if (i % kTurnsPerIdentity == 0) {
      state.PauseTiming();
      latest = signer->create_identity(session_options())->records_json.back();
      state.ResumeTiming();
    }
    auto next = signer->sign(latest, turn_claim(i++));
    if (!next.ok()) {
      state.SkipWithError(next.status().to_string().c_str());
      break;
    }
    latest = std::move(next->records_json.back());
  }
  state.counters["frame_bytes"] = static_cast<double>(latest.size());
  state.SetItemsProcessed(state.iterations());
}

template <typename SignerType>
void BM_Verify(benchmark::State& state) {
  auto signer = make_signer<SignerType>();
  constexpr int kTurns = kTurnsPerIdentity;
  std::vector<std::string> frames{signer->create_identity(session_options())->records_json.back()};
  for (int i = 0; i < kTurns; ++i) frames.push_back(signer->sign(frames.back(), turn_claim(i))->records_json.back());
  std::int64_t i = 0;
  for (auto _ : state) {
    const int k = static_cast<int>(i++ % kTurns);
    const gibkit::Status s = signer->verify(frames[k], frames[k + 1], turn_claim(k));
    if (!s.ok()) {
      state.SkipWithError(s.to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Sign<gibkit::keystone::KeystoneSigner>)->Name("keystone_session/sign");
BENCHMARK(BM_Verify<gibkit::keystone::KeystoneSigner>)->Name("keystone_session/verify");
BENCHMARK(BM_Sign<gibkit::ed25519_identity::Ed25519Signer>)->Name("ed25519/sign");
BENCHMARK(BM_Verify<gibkit::ed25519_identity::Ed25519Signer>)->Name("ed25519/verify");

}  // namespace
