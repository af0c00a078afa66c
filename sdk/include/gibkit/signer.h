// File: gibkit/signer.h
//
// A signer owns identities: timelines of identity frames (ibgib records) in
// which each new frame proves control of the previous one and carries a
// claim {verb, target}. "Signing" an address = evolving the identity with a
// frame whose claim targets that address.
//
// Secrets never leave the signer. Verification needs no secret: it takes the
// previous frame (which the verifier already holds) and the next frame.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/status.h"

namespace gibkit {

struct Claim {
  std::string verb;    // e.g. "sync", "endorse", "revoke"
  std::string target;  // the address being signed
  friend bool operator==(const Claim&, const Claim&) = default;
};

// Records made by an identity operation, in dependency order; the last one is
// the identity's new latest frame.
struct IdentityFrames {
  std::vector<std::string> records_json;
  std::string latest_address;
};

class Signer {
 public:
  virtual ~Signer() = default;

  // Creates a new identity. `options` is signer specific (see the plugin's
  // docs); the signer keeps the secret. Since SDK 1.5 the kernel adds
  // "lifetime": "saga" for each saga's session ({"preset": "session",
  // "lifetime": "saga"}): the identity signs for one saga and is then
  // forgotten (forget below), so the signer may hold it in memory only.
  virtual Result<IdentityFrames> create_identity(const json::Value& options) = 0;

  // Evolves the identity whose latest frame is `latest_frame_json` with a frame
  // carrying `claim`. kFailedPrecondition if revoked, kNotFound if the secret
  // for this identity is not held, kPermissionDenied if the verb is not allowed.
  virtual Result<IdentityFrames> sign(std::string_view latest_frame_json, const Claim& claim) = 0;

  // Revokes the identity: the returned frame signs nothing ever again.
  virtual Result<IdentityFrames> revoke(std::string_view latest_frame_json, std::string_view reason) = 0;

  // Checks that `next` is a valid evolution of `prev` carrying exactly
  // `expected`. kPermissionDenied with a message naming the failed category
  // ("crypto", "policy", "counter", "link", "target", "revoked", "gib").
  virtual Status verify(std::string_view prev_frame_json, std::string_view next_frame_json,
                        const Claim& expected) = 0;

  // The identity whose genesis address is `identity_tjp` will never sign
  // again (a session whose saga is over): drop its secret and latest frame,
  // so that a later sign() fails with kNotFound. OK when it is not held.
  // The default keeps everything (a signer that keeps nothing per session).
  // Since SDK 1.5 (plugin_abi.h: gibkit_signer_vtable.forget).
  virtual Status forget(std::string_view identity_tjp) {
    (void)identity_tjp;
    return {};
  }
};

}  // namespace gibkit
