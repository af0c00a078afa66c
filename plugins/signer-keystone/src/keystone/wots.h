// File: keystone/wots.h
//
// The one-time signature of the "wots-w16-sha256" keystone scheme: Winternitz
// chains (W-OTS, w = 16) over SHA-256, in the WOTS+ manner (every chain step
// is hashed with its own address, so no two steps anywhere share a function).
// Exact bytes in docs/security.md ("Winternitz chains (scheme wots)").
//
// One-time key n of an identity:
//   seed      = SHA-256(str("gibkit/keystone/wots-w16-sha256/seed") str(uuid))
//               (public: the timeline's uuid, fixed at genesis)
//   s[n,i]    = HMAC-SHA256(master, str("gibkit/keystone/wots-w16-sha256/sk")
//                                   u64be(n) u32be(i))           i = 0..66
//   F(n,i,j,x)= SHA-256(seed u64be(n) u32be(i) u8(j) x)          step j -> j+1
//   p[n,i]    = chain(s[n,i], 0, 15)
//   C_n       = SHA-256(str("gibkit/keystone/wots-w16-sha256/pk") seed
//                       u64be(n) p[n,0] ... p[n,66])
// where chain(x, a, k) applies F with j = a, a+1, ..., a+k-1.
//
// Signing a 32-byte digest D: its 64 hex digits d[0..63] (high nibble first),
// then the checksum c = sum(15 - d[i]) as 3 base-16 digits d[64..66] (most
// significant first); sigma[i] = chain(s[n,i], 0, d[i]). Verifying:
// p[i] = chain(sigma[i], d[i], 15 - d[i]), then C_n from p. Raising any
// message digit lowers the checksum, so a signature for D gives nothing for
// another digest without inverting F.
//
// A key must sign one digest only: two signatures of one key reveal, per
// chain, the lower of two positions, which makes forgeries cheap.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "signer_support/secret_store.h"

namespace gibkit::keystone::wots {

inline constexpr std::string_view kScheme = "wots-w16-sha256";
inline constexpr int kW = 16;
inline constexpr int kChainSteps = kW - 1;               // 15
inline constexpr std::size_t kMessageDigits = 64;        // 256 bits / 4
inline constexpr std::size_t kChecksumDigits = 3;        // 64 * 15 = 960 < 16^3
inline constexpr std::size_t kChains = kMessageDigits + kChecksumDigits;  // 67

using Hash = std::array<std::uint8_t, 32>;
using Chains = std::array<Hash, kChains>;  // chain starts, a signature or a public key
using Digits = std::array<std::uint8_t, kChains>;

// Which identity (seed) and which one-time key (n) a chain belongs to.
struct KeyAddress {
  Hash seed{};
  std::uint64_t n = 0;
};

// The public seed of an identity, from its timeline uuid.
[[nodiscard]] Hash public_seed(std::string_view uuid);

// The 64 digits of `digest` followed by its 3 checksum digits.
[[nodiscard]] Digits digits(const Hash& digest);

// chain(x, start, steps): F applied `steps` times from position `start` of
// chain i of key `key`. start + steps <= 15.
[[nodiscard]] Hash chain(const KeyAddress& key, std::uint32_t i, int start, int steps, const Hash& x);

// The 67 secret chain starts s[n,i] of one-time key n, derived from the
// master secret; zeroed when destroyed.
class SecretKey {
 public:
  SecretKey(const signer_support::Secret& master, std::uint64_t n);
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();
  [[nodiscard]] const Chains& starts() const noexcept { return starts_; }

 private:
  Chains starts_{};
};

// The public key (chain ends) of a secret key.
[[nodiscard]] Chains public_key(const KeyAddress& key, const SecretKey& secret);

// C_n: what the frame before the key's frame publishes.
[[nodiscard]] Hash commitment(const KeyAddress& key, const Chains& public_key);

// sigma for `digest`. With `public_key_out`, the chains are walked to their
// ends as well, so the caller can check the key against its commitment at no
// extra cost (15 steps per chain in all).
[[nodiscard]] Chains sign(const KeyAddress& key, const SecretKey& secret, const Hash& digest,
                          Chains* public_key_out = nullptr);

// The public key a signature of `digest` implies (p[i] = chain(sigma[i],
// d[i], 15 - d[i])), and the commitment it hashes to. A valid signature gives
// the C_n the previous frame published.
[[nodiscard]] Chains public_key_from_signature(const KeyAddress& key, const Chains& signature, const Hash& digest);
[[nodiscard]] Hash commitment_from_signature(const KeyAddress& key, const Chains& signature, const Hash& digest);

// Lower-case hex, and back (exactly 64 lower-case hex chars, else false).
[[nodiscard]] std::string to_hex(const Hash& h);
[[nodiscard]] bool from_hex(std::string_view text, Hash& out) noexcept;

}  // namespace gibkit::keystone::wots
