#include "keystone/requirements.h"

#include <algorithm>
#include <cctype>

#include <botan/hash.h>
#include <botan/hex.h>

namespace gibkit::keystone {

namespace {

constexpr std::string_view kBindingTag = "gibkit/keystone/positional-binding/v2";

// Length-prefixed fields, hashed with SHA-256 at the end, so that no two
// inputs share bytes. Buffered: one hash update per field cost more than the
// hashing itself for a pool of 520 short fields.
class Framer {
 public:
  void u32(std::size_t value) {
    const auto v = static_cast<std::uint32_t>(value);
    for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  void u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void raw(std::string_view bytes) { bytes_.append(bytes); }
  void str(std::string_view text) {
    u32(text.size());
    raw(text);
  }
  [[nodiscard]] std::string digest() const {
    const std::unique_ptr<Botan::HashFunction> sha256 = Botan::HashFunction::create_or_throw("SHA-256");
    sha256->update(reinterpret_cast<const std::uint8_t*>(bytes_.data()), bytes_.size());
    const Botan::secure_vector<std::uint8_t> d = sha256->final();
    return std::string(d.begin(), d.end());
  }

 private:
  std::string bytes_;
};

}  // namespace

std::string pools_commitment(const std::vector<PoolFresh>& pools) {
  Framer f;
  for (const PoolFresh& pool : pools) {
    f.str(pool.pool_id);
    f.u32(pool.fresh->size());
    for (const Challenge& c : *pool.fresh) {
      f.str(c.id);
      f.str(c.hash);
    }
  }
  return f.digest();
}

std::string binding_digest(const BindingInput& input) {
  Framer f;
  f.str(kBindingTag);
  f.str(input.prev_address);
  f.str(input.verb);
  f.str(input.target);
  f.u8(input.revocation_reason != nullptr ? 1 : 0);
  f.str(input.revocation_reason != nullptr ? *input.revocation_reason : std::string());
  f.raw(input.pools_commitment);
  const std::string d = f.digest();
  return Botan::hex_encode(reinterpret_cast<const std::uint8_t*>(d.data()), d.size(), false);
}

std::string binding_chars(const PoolConfig& config, const BindingInput& input) {
  const auto n = static_cast<std::size_t>(config.behavior.target_binding_chars);
  if (config.behavior.binding_mode == BindingMode::kPositional) return binding_digest(input).substr(0, n);
  // Reference: the gib is what follows the last '^'.
  const std::size_t caret = input.target.rfind('^');
  std::string gib(caret == std::string_view::npos ? input.target : input.target.substr(caret + 1));
  std::transform(gib.begin(), gib.end(), gib.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return gib.substr(0, std::min(n, gib.size()));
}

Result<Requirements> select_requirements(const ChallengePool& pool, const std::vector<std::string>& demanded,
                                         std::string_view chars) {
  const PoolConfig& config = pool.config();
  const bool positional = config.behavior.binding_mode == BindingMode::kPositional;
  const auto slot_ids = pool.slot_bound_ids();

  Requirements r;
  // Candidates for demands, FIFO and random picks, in pool order.
  for (const Challenge& c : pool.challenges()) {
    if (!slot_ids.contains(c.id)) r.available.push_back(c.id);
  }
  auto take = [&](const std::string& id) -> bool {
    const auto it = std::find(r.available.begin(), r.available.end(), id);
    if (it == r.available.end()) return false;
    r.available.erase(it);
    r.mandatory.push_back(id);
    return true;
  };

  for (const std::string& id : demanded) {
    if (!take(id)) {
      return invalid_argument("pool \"" + pool.id() + "\": demanded challenge " + id + " is unknown or repeated");
    }
  }

  if (config.behavior.target_binding_chars > 0) {
    for (std::size_t p = 0; p < chars.size(); ++p) {
      bool found = false;
      if (positional) {
        for (const std::string& id : pool.bound_ids(ChallengePool::slot_key(static_cast<int>(p), chars[p]))) {
          if (std::find(r.mandatory.begin(), r.mandatory.end(), id) == r.mandatory.end()) {
            r.mandatory.push_back(id);
            found = true;
            break;
          }
        }
      } else {
        for (const std::string& id : pool.bound_ids(std::string(1, chars[p]))) {
          if (take(id)) {
            found = true;
            break;
          }
        }
      }
      if (!found) {
        return resource_exhausted("pool \"" + pool.id() + "\": entropy exhaustion: no challenge left to bind char " +
                                  std::to_string(p));
      }
    }
  }

  const auto fifo = static_cast<std::size_t>(config.behavior.select_sequentially);
  if (r.available.size() < fifo) {
    return resource_exhausted("pool \"" + pool.id() + "\": entropy exhaustion: too few challenges for FIFO selection");
  }
  for (std::size_t i = 0; i < fifo; ++i) r.mandatory.push_back(r.available[i]);
  r.available.erase(r.available.begin(), r.available.begin() + static_cast<std::ptrdiff_t>(fifo));
  return r;
}

}  // namespace gibkit::keystone
