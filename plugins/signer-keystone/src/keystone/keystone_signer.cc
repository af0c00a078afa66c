#include "keystone/keystone_signer.h"

#include <botan/hex.h>

#include "gibkit/ibgib.h"
#include "keystone/evolve.h"
#include "keystone/keystone_frame.h"
#include "keystone/presets.h"
#include "keystone/verify.h"
#include "keystone/wots_identity.h"
#include "signer_support/guarded.h"
#include "signer_support/own_frames.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

constexpr std::size_t kMasterSecretBytes = 32;
constexpr std::string_view kWho = "keystone signer";

}  // namespace

KeystoneSigner::KeystoneSigner(std::unique_ptr<signer_support::SecretStore> secrets, signer_support::Environment env)
    : secrets_(std::move(secrets)), env_(std::move(env)) {}

Result<IdentityFrames> KeystoneSigner::create_identity(const json::Value& options) {
  return signer_support::guarded(kWho, [&]() -> Result<IdentityFrames> {
    GIBKIT_ASSIGN_OR_RETURN(const IdentityOptions made, identity_options(options));
    std::lock_guard lock(mutex_);
    const signer_support::Secret master = env_.rng->random_vec(kMasterSecretBytes);
    GIBKIT_ASSIGN_OR_RETURN(const IbGib genesis, made.scheme == KeystoneScheme::kWots
                                                     ? create_wots_genesis(made.allowed_verbs, master, env_)
                                                     : create_genesis(made.pools, master, env_));
    GIBKIT_RETURN_IF_ERROR(signer_support::record_new_identity(*secrets_, genesis, master, made.lifetime));
    return IdentityFrames{{genesis.to_json_text()}, genesis.address()};
  });
}

Status KeystoneSigner::forget(std::string_view identity_tjp) {
  return signer_support::guarded(kWho, [&]() -> Status {
    // The same lock as sign: forget never lands between a sign's read of the
    // latest frame and its record of the next (secret_store.h).
    std::lock_guard lock(mutex_);
    return signer_support::forget_identity(*secrets_, identity_tjp);
  });
}

Result<IdentityFrames> KeystoneSigner::evolve_latest(std::string_view latest_frame_json, const Claim* claim,
                                                     const std::string* revocation_reason) {
  return signer_support::guarded(kWho, [&]() -> Result<IdentityFrames> {
    // Held from the check that latest is this signer's own head to the
    // record of the new one, so one frame is never evolved twice. own.frame
    // may be the frame after latest, adopted by catch-up: the revocation
    // claim names the frame actually evolved.
    std::lock_guard lock(mutex_);
    GIBKIT_ASSIGN_OR_RETURN(const signer_support::OwnFrame own,
                            signer_support::own_latest_frame(*secrets_, kWho, latest_frame_json));
    if (own.frame.ib != kKeystoneIb) return invalid_argument("keystone signer: not a keystone frame");
    Claim revoke_claim{std::string(kRevokeVerb), own.frame.address()};
    std::optional<std::string> reason;
    if (revocation_reason) reason = *revocation_reason;
    // The frame's scheme decides how it evolves (fixed at genesis).
    GIBKIT_ASSIGN_OR_RETURN(const KeystoneScheme scheme, keystone_scheme(own.frame));
    const Claim& signed_claim = claim ? *claim : revoke_claim;
    GIBKIT_ASSIGN_OR_RETURN(const IbGib next, scheme == KeystoneScheme::kWots
                                                  ? evolve_wots(own.frame, signed_claim, own.master, env_, reason)
                                                  : evolve(own.frame, signed_claim, own.master, env_, reason));
    GIBKIT_RETURN_IF_ERROR(signer_support::record_own_frame(*secrets_, own, next));
    // With the frame adopted by catch-up first, if any (own_frames.h).
    return IdentityFrames{signer_support::frames_made(own, next), next.address()};
  });
}

Result<IdentityFrames> KeystoneSigner::sign(std::string_view latest_frame_json, const Claim& claim) {
  return evolve_latest(latest_frame_json, &claim, nullptr);
}

Result<IdentityFrames> KeystoneSigner::revoke(std::string_view latest_frame_json, std::string_view reason) {
  const std::string reason_text(reason);
  return evolve_latest(latest_frame_json, nullptr, &reason_text);
}

Status KeystoneSigner::verify(std::string_view prev_frame_json, std::string_view next_frame_json,
                              const Claim& expected) {
  return signer_support::guarded(kWho, [&]() -> Status {
    GIBKIT_ASSIGN_OR_RETURN(const signer_support::FramePair frames,
                            signer_support::parse_frame_pair("keystone verify", prev_frame_json, next_frame_json));
    return verify_evolution(frames.prev, frames.next, expected);
  });
}

}  // namespace gibkit::keystone
