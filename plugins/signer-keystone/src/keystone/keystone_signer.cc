#include "keystone/keystone_signer.h"

#include <botan/hex.h>

#include "gibkit/ibgib.h"
#include "keystone/evolve.h"
#include "keystone/keystone_frame.h"
#include "keystone/presets.h"
#include "keystone/verify.h"
#include "signer_support/guarded.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

constexpr std::size_t kMasterSecretBytes = 32;

}  // namespace

KeystoneSigner::KeystoneSigner(std::unique_ptr<signer_support::SecretStore> secrets, signer_support::Environment env)
    : secrets_(std::move(secrets)), env_(std::move(env)) {}

Result<IdentityFrames> KeystoneSigner::create_identity(const json::Value& options) {
  return signer_support::guarded("keystone signer", [&]() -> Result<IdentityFrames> {
    GIBKIT_ASSIGN_OR_RETURN(const std::vector<PoolConfig> pools, pools_from_options(options));
    std::lock_guard lock(mutex_);
    const signer_support::Secret master = env_.rng->random_vec(kMasterSecretBytes);
    GIBKIT_ASSIGN_OR_RETURN(const IbGib genesis, create_genesis(pools, master, env_));
    GIBKIT_RETURN_IF_ERROR(secrets_->put(genesis.gib, master));
    return IdentityFrames{{genesis.to_json_text()}, genesis.address()};
  });
}

Result<IdentityFrames> KeystoneSigner::evolve_latest(std::string_view latest_frame_json, const Claim* claim,
                                                     const std::string* revocation_reason) {
  return signer_support::guarded("keystone signer", [&]() -> Result<IdentityFrames> {
    GIBKIT_ASSIGN_OR_RETURN(const IbGib latest, IbGib::parse(latest_frame_json));
    if (latest.ib != kKeystoneIb) return invalid_argument("keystone signer: not a keystone frame");
    GIBKIT_ASSIGN_OR_RETURN(const std::string identity, signer_support::identity_of(latest));
    const std::optional<double> n = latest.n();
    if (!n) return invalid_argument("keystone signer: frame has no counter n");
    GIBKIT_ASSIGN_OR_RETURN(const signer_support::Secret master, secrets_->get(identity));

    std::lock_guard lock(mutex_);
    const auto seen = evolved_.find(identity);
    if (seen != evolved_.end() && static_cast<double>(seen->second) >= *n) {
      return failed_precondition("keystone signer: frame " + json::number_to_string(*n) +
                                 " is not the latest this signer made; refusing to evolve it again");
    }
    Claim revoke_claim{std::string(kRevokeVerb), latest.address()};
    std::optional<std::string> reason;
    if (revocation_reason) reason = *revocation_reason;
    GIBKIT_ASSIGN_OR_RETURN(const IbGib next, evolve(latest, claim ? *claim : revoke_claim, master, env_, reason));
    evolved_[identity] = static_cast<std::int64_t>(*n);
    return IdentityFrames{{next.to_json_text()}, next.address()};
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
  return signer_support::guarded("keystone signer", [&]() -> Status {
    GIBKIT_ASSIGN_OR_RETURN(const signer_support::FramePair frames,
                            signer_support::parse_frame_pair("keystone verify", prev_frame_json, next_frame_json));
    return verify_evolution(frames.prev, frames.next, expected);
  });
}

}  // namespace gibkit::keystone
