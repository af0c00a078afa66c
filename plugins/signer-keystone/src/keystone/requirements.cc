#include "keystone/requirements.h"

#include <algorithm>
#include <cctype>

namespace gibkit::keystone {

std::string binding_chars(const PoolConfig& config, std::string_view target) {
  const auto n = static_cast<std::size_t>(config.behavior.target_binding_chars);
  if (config.behavior.binding_mode == BindingMode::kPositional) {
    return hex_hash(HashAlgo::kSha256, target).substr(0, n);
  }
  // Reference: the gib is what follows the last '^'.
  const std::size_t caret = target.rfind('^');
  std::string gib(caret == std::string_view::npos ? target : target.substr(caret + 1));
  std::transform(gib.begin(), gib.end(), gib.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return gib.substr(0, std::min(n, gib.size()));
}

Result<Requirements> select_requirements(const ChallengePool& pool, const std::vector<std::string>& demanded,
                                         std::string_view target) {
  const PoolConfig& config = pool.config();
  const bool positional = config.behavior.binding_mode == BindingMode::kPositional;
  const auto slot_ids = pool.slot_bound_ids();

  Requirements r;
  // Candidates for demands, FIFO and random picks, in pool order.
  for (std::string& id : pool.challenge_ids()) {
    if (!slot_ids.contains(id)) r.available.push_back(std::move(id));
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
    const std::string chars = binding_chars(config, target);
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
        return resource_exhausted("pool \"" + pool.id() + "\": entropy exhaustion: no challenge left to bind target char " +
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
