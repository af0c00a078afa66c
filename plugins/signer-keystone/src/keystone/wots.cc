#include "keystone/wots.h"

#include <memory>

#include <botan/hash.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>

namespace gibkit::keystone::wots {

namespace {

constexpr std::string_view kSeedTag = "gibkit/keystone/wots-w16-sha256/seed";
constexpr std::string_view kSecretTag = "gibkit/keystone/wots-w16-sha256/sk";
constexpr std::string_view kPublicKeyTag = "gibkit/keystone/wots-w16-sha256/pk";

// One hash object per thread: creating one costs more than a chain step.
Botan::HashFunction& sha256() {
  thread_local std::unique_ptr<Botan::HashFunction> h = Botan::HashFunction::create_or_throw("SHA-256");
  return *h;
}

void put_u32(std::uint8_t* out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out[k] = static_cast<std::uint8_t>(v >> (24 - 8 * k));
}
void put_u64(std::uint8_t* out, std::uint64_t v) {
  for (int k = 0; k < 8; ++k) out[k] = static_cast<std::uint8_t>(v >> (56 - 8 * k));
}

// str(x): u32be(byte length) then the bytes.
void update_str(Botan::HashFunction& h, std::string_view text) {
  std::uint8_t length[4];
  put_u32(length, static_cast<std::uint32_t>(text.size()));
  h.update(length, sizeof length);
  h.update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

Hash final_hash(Botan::HashFunction& h) {
  Hash out;
  h.final(out.data());
  return out;
}

}  // namespace

Hash public_seed(std::string_view uuid) {
  Botan::HashFunction& h = sha256();
  update_str(h, kSeedTag);
  update_str(h, uuid);
  return final_hash(h);
}

Digits digits(const Hash& digest) {
  Digits d{};
  unsigned checksum = 0;
  for (std::size_t k = 0; k < digest.size(); ++k) {
    d[2 * k] = static_cast<std::uint8_t>(digest[k] >> 4);
    d[2 * k + 1] = static_cast<std::uint8_t>(digest[k] & 0x0f);
  }
  for (std::size_t i = 0; i < kMessageDigits; ++i) checksum += static_cast<unsigned>(kChainSteps - d[i]);
  d[kMessageDigits] = static_cast<std::uint8_t>((checksum >> 8) & 0x0f);
  d[kMessageDigits + 1] = static_cast<std::uint8_t>((checksum >> 4) & 0x0f);
  d[kMessageDigits + 2] = static_cast<std::uint8_t>(checksum & 0x0f);
  return d;
}

Hash chain(const KeyAddress& key, std::uint32_t i, int start, int steps, const Hash& x) {
  // seed(32) u64be(n) u32be(i) u8(j) x(32): 77 bytes per step.
  std::array<std::uint8_t, 32 + 8 + 4 + 1 + 32> input{};
  std::copy(key.seed.begin(), key.seed.end(), input.begin());
  put_u64(&input[32], key.n);
  put_u32(&input[40], i);
  std::copy(x.begin(), x.end(), input.begin() + 45);
  Botan::HashFunction& h = sha256();
  for (int j = start; j < start + steps; ++j) {
    input[44] = static_cast<std::uint8_t>(j);
    h.update(input.data(), input.size());
    h.final(&input[45]);
  }
  Hash out;
  std::copy(input.begin() + 45, input.end(), out.begin());
  Botan::secure_scrub_memory(input.data(), input.size());
  return out;
}

SecretKey::~SecretKey() { Botan::secure_scrub_memory(starts_.data(), sizeof starts_); }

SecretKey::SecretKey(const signer_support::Secret& master, std::uint64_t n) {
  const std::unique_ptr<Botan::MessageAuthenticationCode> hmac =
      Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
  hmac->set_key(master);
  std::uint8_t position[12];
  put_u64(position, n);
  for (std::uint32_t i = 0; i < kChains; ++i) {
    std::uint8_t length[4];
    put_u32(length, static_cast<std::uint32_t>(kSecretTag.size()));
    hmac->update(length, sizeof length);
    hmac->update(reinterpret_cast<const std::uint8_t*>(kSecretTag.data()), kSecretTag.size());
    put_u32(&position[8], i);
    hmac->update(position, sizeof position);
    hmac->final(starts_[i].data());
  }
}

Chains public_key(const KeyAddress& key, const SecretKey& secret) {
  Chains pk;
  for (std::uint32_t i = 0; i < kChains; ++i) pk[i] = chain(key, i, 0, kChainSteps, secret.starts()[i]);
  return pk;
}

Hash commitment(const KeyAddress& key, const Chains& public_key) {
  Botan::HashFunction& h = sha256();
  update_str(h, kPublicKeyTag);
  h.update(key.seed.data(), key.seed.size());
  std::uint8_t n[8];
  put_u64(n, key.n);
  h.update(n, sizeof n);
  for (const Hash& p : public_key) h.update(p.data(), p.size());
  return final_hash(h);
}

Chains sign(const KeyAddress& key, const SecretKey& secret, const Hash& digest, Chains* public_key_out) {
  const Digits d = digits(digest);
  Chains sigma;
  for (std::uint32_t i = 0; i < kChains; ++i) {
    sigma[i] = chain(key, i, 0, d[i], secret.starts()[i]);
    if (public_key_out != nullptr) (*public_key_out)[i] = chain(key, i, d[i], kChainSteps - d[i], sigma[i]);
  }
  return sigma;
}

Chains public_key_from_signature(const KeyAddress& key, const Chains& signature, const Hash& digest) {
  const Digits d = digits(digest);
  Chains pk;
  for (std::uint32_t i = 0; i < kChains; ++i) pk[i] = chain(key, i, d[i], kChainSteps - d[i], signature[i]);
  return pk;
}

Hash commitment_from_signature(const KeyAddress& key, const Chains& signature, const Hash& digest) {
  return commitment(key, public_key_from_signature(key, signature, digest));
}

std::string to_hex(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t k = 0; k < h.size(); ++k) {
    out[2 * k] = kDigits[h[k] >> 4];
    out[2 * k + 1] = kDigits[h[k] & 0x0f];
  }
  return out;
}

bool from_hex(std::string_view text, Hash& out) noexcept {
  if (text.size() != 64) return false;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t k = 0; k < out.size(); ++k) {
    const int hi = value(text[2 * k]);
    const int lo = value(text[2 * k + 1]);
    if (hi < 0 || lo < 0) return false;
    out[k] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace gibkit::keystone::wots
