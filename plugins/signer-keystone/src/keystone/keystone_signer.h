// File: keystone/keystone_signer.h
//
// gibkit::Signer over keystones of both schemes: Winternitz one-time keys
// ("wots-w16-sha256", the "domain" and "session" presets) and hash-reveal
// challenge pools. create_identity() takes the options of keystone/presets.h;
// the identity's master secret (32 bytes from the environment's RNG) goes to
// the SecretStore under the genesis gib and never anywhere else. sign,
// revoke and verify follow the scheme of the frame they are given.
//
// Only the latest frame this signer made for an identity may be evolved
// (signer_support/own_frames.h), else kFailedPrecondition: evolving a frame
// reveals solutions of the challenges its pools hold, or signs with the
// one-time key it commits to. So a frame with pools someone else chose, or a
// frame already evolved once (a second set of its solutions, or a second
// signature of its one-time key, which an attacker could combine into a
// forgery), must never be evolved. The record is kept beside the secret (see
// docs/security.md).
#pragma once

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
  Status forget(std::string_view identity_tjp) override;

 private:
  Result<IdentityFrames> evolve_latest(std::string_view latest_frame_json, const Claim* claim,
                                       const std::string* revocation_reason);

  std::unique_ptr<signer_support::SecretStore> secrets_;
  // Guards env_ (the RNG is not thread safe), and makes checking and
  // recording an identity's latest frame one step.
  std::mutex mutex_;
  signer_support::Environment env_;
};

}  // namespace gibkit::keystone
