// File: keystone/keystone_signer.h
//
// gibkit::Signer over hash-reveal keystones. create_identity() takes the
// options of keystone/presets.h; the identity's master secret (32 bytes from
// the environment's RNG) goes to the SecretStore under the genesis gib and
// never anywhere else.
//
// Each frame may be evolved once: signing again from a frame this signer
// already evolved would reveal a second set of that frame's solutions, which
// an attacker could combine into a forgery, so it is refused
// (kFailedPrecondition). The guard is in memory (see docs/security.md).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gibkit/signer.h"
#include "signer_support/environment.h"
#include "signer_support/secret_store.h"

namespace gibkit::keystone {

class KeystoneSigner final : public Signer {
 public:
  KeystoneSigner(std::unique_ptr<signer_support::SecretStore> secrets, signer_support::Environment env);

  Result<IdentityFrames> create_identity(const json::Value& options) override;
  Result<IdentityFrames> sign(std::string_view latest_frame_json, const Claim& claim) override;
  Result<IdentityFrames> revoke(std::string_view latest_frame_json, std::string_view reason) override;
  Status verify(std::string_view prev_frame_json, std::string_view next_frame_json, const Claim& expected) override;

 private:
  Result<IdentityFrames> evolve_latest(std::string_view latest_frame_json, const Claim* claim,
                                       const std::string* revocation_reason);

  std::unique_ptr<signer_support::SecretStore> secrets_;
  std::mutex mutex_;  // guards env_ (the RNG is not thread safe) and evolved_
  signer_support::Environment env_;
  std::map<std::string, std::int64_t> evolved_;  // identity -> highest n evolved from
};

}  // namespace gibkit::keystone
