// File: keystone/keystone_frame.h
//
// A keystone frame of the hash-reveal challenge pools (core-gib-notes 2.2;
// frames of scheme "wots-w16-sha256" are keystone/wots_frame.h): an ibgib
// record with
//   ib     "keystone"
//   data   {challengePools: [pool...], proofs: [proof...],
//           revocationInfo?: {reason, proof}, frameDetails?: any,
//           n, timestamp, timestampMs, uuid, isTjp (genesis only)}
//   rel8ns {ancestor: ["keystone^gib"], past: [prev], tjp: [genesis]}
//          (genesis: ancestor only; never dna)
// This is the parsed, structure-checked view used by signing and verifying.
// It does not keep the record: the caller holds it, so that parsing never
// copies a frame of many KiB.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/status.h"
#include "keystone/challenge_pool.h"
#include "keystone/proof.h"

namespace gibkit::keystone {

inline constexpr std::string_view kKeystoneIb = "keystone";
inline constexpr std::string_view kKeystoneAncestor = "keystone^gib";
inline constexpr std::string_view kRevokeVerb = "revoke";

struct KeystoneFrame {
  std::string address;
  std::int64_t n = 0;
  std::vector<ChallengePool> pools;
  std::vector<Proof> proofs;
  // revocationInfo is exactly {reason: string, proof}.
  std::optional<std::string> revocation_reason;
  std::optional<json::Value> revocation_proof;

  [[nodiscard]] bool revoked() const noexcept { return revocation_reason.has_value(); }

  // Checks the shape above (not the gib, not the links). kInvalidArgument.
  [[nodiscard]] static Result<KeystoneFrame> parse(const IbGib& record);
};

// The two keystone schemes. A frame's scheme is data.scheme: absent for the
// hash-reveal challenge pools (the reference's frames, above), and
// "wots-w16-sha256" for Winternitz one-time keys (keystone/wots_frame.h).
// Fixed at genesis: a timeline never changes scheme.
enum class KeystoneScheme { kPools, kWots };

// kInvalidArgument for a data.scheme that is not a string or names no scheme.
[[nodiscard]] Result<KeystoneScheme> keystone_scheme(const IbGib& record);

// record.data.challengePools[i] as received (the record must be one that
// KeystoneFrame::parse accepted).
[[nodiscard]] const json::Value& pool_json(const IbGib& record, std::size_t i);
// record.data.proofs[0] as received (same precondition, and a proof present).
[[nodiscard]] const json::Value& first_proof_json(const IbGib& record);

// Shared by both schemes' evolution:
// `frame` with its gib computed.
[[nodiscard]] Result<IbGib> with_gib(IbGib frame);
// A genesis keystone frame (ib "keystone", ancestor keystone^gib) holding
// `data`, with its gib.
[[nodiscard]] Result<IbGib> keystone_genesis(json::Object data);
// The frame a signer is asked to evolve must be intrinsically valid (not only
// match compute_gib: a copy relabelled "gib" would), so that what it evolves
// is exactly what its address names. kInvalidArgument otherwise.
[[nodiscard]] Status check_frame_to_evolve(const IbGib& prev);

// The pool that signs `verb` (reference rule): the first pool listing the
// verb, else the first pool without a verb restriction; nullptr if none.
[[nodiscard]] const ChallengePool* pool_for_verb(const std::vector<ChallengePool>& pools, std::string_view verb);

}  // namespace gibkit::keystone
