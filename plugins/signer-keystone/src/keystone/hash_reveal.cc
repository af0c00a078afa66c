#include "keystone/hash_reveal.h"

#include <memory>

#include <botan/hash.h>
#include <botan/hex.h>

namespace gibkit::keystone {

namespace {

// One hash object per algorithm and thread: creating them costs more than
// hashing the short strings we feed them.
Botan::HashFunction& hasher(HashAlgo algo) {
  thread_local std::unique_ptr<Botan::HashFunction> sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  thread_local std::unique_ptr<Botan::HashFunction> sha512 = Botan::HashFunction::create_or_throw("SHA-512");
  return algo == HashAlgo::kSha256 ? *sha256 : *sha512;
}

std::string iterate(HashAlgo algo, int rounds, std::string current, std::string_view wrap) {
  Botan::HashFunction& h = hasher(algo);
  for (int i = 0; i < rounds; ++i) {
    h.update(reinterpret_cast<const std::uint8_t*>(wrap.data()), wrap.size());
    h.update(reinterpret_cast<const std::uint8_t*>(current.data()), current.size());
    h.update(reinterpret_cast<const std::uint8_t*>(wrap.data()), wrap.size());
    current = Botan::hex_encode(h.final(), false);
  }
  return current;
}

}  // namespace

std::string_view hash_algo_name(HashAlgo algo) noexcept { return algo == HashAlgo::kSha256 ? "SHA-256" : "SHA-512"; }

Result<HashAlgo> parse_hash_algo(std::string_view name) {
  if (name == "SHA-256") return HashAlgo::kSha256;
  if (name == "SHA-512") return HashAlgo::kSha512;
  return invalid_argument("unknown hash algo \"" + std::string(name) + "\" (expected SHA-256 or SHA-512)");
}

std::size_t hex_digest_size(HashAlgo algo) noexcept { return algo == HashAlgo::kSha256 ? 64 : 128; }

std::string hex_hash(HashAlgo algo, std::string_view text) {
  Botan::HashFunction& h = hasher(algo);
  h.update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  return Botan::hex_encode(h.final(), false);
}

std::string derive_pool_secret(HashAlgo algo, int rounds, std::string_view master_secret_hex, std::string_view salt) {
  return iterate(algo, rounds, std::string(master_secret_hex), salt);
}

std::string derive_solution(HashAlgo algo, int rounds, std::string_view pool_secret, std::string_view challenge_id) {
  return iterate(algo, rounds, std::string(pool_secret), challenge_id);
}

std::string derive_challenge_hash(HashAlgo algo, int rounds, std::string_view solution,
                                  std::string_view challenge_id) {
  return iterate(algo, rounds, std::string(solution), challenge_id);
}

}  // namespace gibkit::keystone
