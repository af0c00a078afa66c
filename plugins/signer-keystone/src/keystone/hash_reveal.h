// File: keystone/hash_reveal.h
//
// The "hash-reveal-v1" derivations (core-gib-notes 2.3), byte-compatible with
// the reference: every step hashes a UTF-8 string and renders the digest as
// lower-case hex, iterated `rounds` times.
//
//   pool secret   = iterate h(salt ‖ cur ‖ salt)  from the master secret (hex)
//   solution(c)   = iterate h(c ‖ cur ‖ c)        from the pool secret
//   challenge(c)  = iterate h(c ‖ cur ‖ c)        from solution(c)
//
// A challenge is public; revealing its solution proves knowledge of the pool
// secret without revealing it (one-wayness of h), and each solution is used
// once because the challenge is consumed.
#pragma once

#include <string>
#include <string_view>

#include "gibkit/status.h"

namespace gibkit::keystone {

enum class HashAlgo { kSha256, kSha512 };

[[nodiscard]] std::string_view hash_algo_name(HashAlgo algo) noexcept;  // "SHA-256" / "SHA-512"
[[nodiscard]] Result<HashAlgo> parse_hash_algo(std::string_view name);
// Hex length of a digest: 64 or 128.
[[nodiscard]] std::size_t hex_digest_size(HashAlgo algo) noexcept;

// Lower-case hex digest of `text`.
[[nodiscard]] std::string hex_hash(HashAlgo algo, std::string_view text);

[[nodiscard]] std::string derive_pool_secret(HashAlgo algo, int rounds, std::string_view master_secret_hex,
                                             std::string_view salt);
[[nodiscard]] std::string derive_solution(HashAlgo algo, int rounds, std::string_view pool_secret,
                                          std::string_view challenge_id);
[[nodiscard]] std::string derive_challenge_hash(HashAlgo algo, int rounds, std::string_view solution,
                                                std::string_view challenge_id);

}  // namespace gibkit::keystone
