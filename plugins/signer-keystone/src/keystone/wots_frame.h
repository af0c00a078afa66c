// File: keystone/wots_frame.h
//
// A keystone frame of scheme "wots-w16-sha256" (keystone/wots.h): an ibgib
// record with
//   ib     "keystone"
//   data   {scheme: "wots-w16-sha256",
//           allowedVerbs: [verb...],          fixed at genesis
//           next: <64 hex>,                   C_{n+1}; absent in a revocation
//           proofs: [] at genesis, else [{claim: {verb, target},
//                                         signature: [<64 hex> x 67]}],
//           revocationInfo?: {reason},        a revocation only
//           n, timestamp, timestampMs, uuid, isTjp (genesis only)}
//   rel8ns {ancestor: ["keystone^gib"], past: [prev], tjp: [genesis]}
//          (genesis: ancestor only)
// Hex is lower-case. No other member is allowed (every member is bound by the
// signature or pinned by verify), so a valid frame has exactly one form.
// Exact bytes in docs/security.md ("Winternitz chains (scheme wots)").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/signer.h"
#include "gibkit/status.h"
#include "keystone/wots.h"

namespace gibkit::keystone {

struct WotsFrame {
  std::string address;
  std::int64_t n = 0;
  std::string uuid;
  std::string timestamp;
  int timestamp_ms = 0;
  std::vector<std::string> allowed_verbs;
  std::optional<wots::Hash> next;             // C_{n+1}
  std::optional<Claim> claim;                 // absent at genesis
  wots::Chains signature{};                   // meaningful with a claim
  std::optional<std::string> revocation_reason;

  [[nodiscard]] bool revoked() const noexcept { return revocation_reason.has_value(); }
  [[nodiscard]] bool allows(std::string_view verb) const;

  // Checks the shape above (not the gib, not the links, not the signature).
  // kInvalidArgument; a defect of revocationInfo names it.
  [[nodiscard]] static Result<WotsFrame> parse(const IbGib& record);
};

// What the one-time signature of frame n covers.
struct WotsBinding {
  std::uint64_t n = 0;                             // the signed frame's n
  std::string_view prev_address = {};              // the frame it evolves
  std::string_view verb = {};
  std::string_view target = {};
  const std::string* revocation_reason = nullptr;  // set iff the frame revokes
  std::string_view next_hex = {};                  // "" in a revocation
  std::string_view timestamp = {};
  int timestamp_ms = 0;
};

// D = SHA-256(str("gibkit/keystone/wots-w16-sha256/frame/v1") u64be(n)
//             str(prev) str(verb) str(target) u8(revoking) str(reason or "")
//             str(next or "") str(timestamp) u32be(timestampMs))
[[nodiscard]] wots::Hash wots_binding_digest(const WotsBinding& binding);

// The key address of frame n's one-time key for the timeline `uuid`.
[[nodiscard]] wots::KeyAddress wots_key(std::string_view uuid, std::uint64_t n);

}  // namespace gibkit::keystone
