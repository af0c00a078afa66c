#include "keystone/wots_frame.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include <botan/hash.h>

#include "keystone/keystone_frame.h"

namespace gibkit::keystone {

namespace {

constexpr std::string_view kFrameTag = "gibkit/keystone/wots-w16-sha256/frame/v1";

Status only_keys(const json::Object& o, std::initializer_list<std::string_view> keys, std::string_view where) {
  for (const auto& [key, value] : o) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return invalid_argument(std::string(where) + ": unknown key \"" + key + "\"");
    }
  }
  return {};
}

// A JSON number that is an integer in [min, max].
Result<std::int64_t> integer_member(const json::Object& o, std::string_view key, double min, double max) {
  GIBKIT_ASSIGN_OR_RETURN(const double value, json::get_number(o, key));
  if (!(value >= min && value <= max) || std::floor(value) != value) {
    return invalid_argument("keystone frame: " + std::string(key) + " must be an integer from " +
                            json::number_to_string(min) + " to " + json::number_to_string(max));
  }
  return static_cast<std::int64_t>(value);
}

Result<wots::Hash> hex_member(const json::Value& value, std::string_view what) {
  wots::Hash h;
  if (!value.is_string() || !wots::from_hex(value.as_string(), h)) {
    return invalid_argument("keystone frame: " + std::string(what) + " must be 64 lower-case hex characters");
  }
  return h;
}

Status parse_proof(const json::Value& value, WotsFrame& frame) {
  if (!value.is_object()) return invalid_argument("keystone frame: proof must be an object");
  const json::Object& o = value.as_object();
  GIBKIT_RETURN_IF_ERROR(only_keys(o, {"claim", "signature"}, "keystone frame: proof"));
  GIBKIT_ASSIGN_OR_RETURN(const json::Object* claim, json::get_object(o, "claim"));
  GIBKIT_RETURN_IF_ERROR(only_keys(*claim, {"verb", "target"}, "keystone frame: proof claim"));
  Claim c;
  GIBKIT_ASSIGN_OR_RETURN(c.verb, json::get_string(*claim, "verb"));
  GIBKIT_ASSIGN_OR_RETURN(c.target, json::get_string(*claim, "target"));
  GIBKIT_ASSIGN_OR_RETURN(const json::Array* signature, json::get_array(o, "signature"));
  if (signature->size() != wots::kChains) {
    return invalid_argument("keystone frame: proof signature must hold " + std::to_string(wots::kChains) +
                            " elements, not " + std::to_string(signature->size()));
  }
  for (std::size_t i = 0; i < wots::kChains; ++i) {
    GIBKIT_ASSIGN_OR_RETURN(frame.signature[i], hex_member((*signature)[i], "a signature element"));
  }
  frame.claim = std::move(c);
  return {};
}

class Framer {
 public:
  Framer() : h_(Botan::HashFunction::create_or_throw("SHA-256")) {}
  void u8(std::uint8_t v) { h_->update(&v, 1); }
  void u32(std::uint32_t v) {
    std::uint8_t b[4];
    for (int k = 0; k < 4; ++k) b[k] = static_cast<std::uint8_t>(v >> (24 - 8 * k));
    h_->update(b, sizeof b);
  }
  void u64(std::uint64_t v) {
    std::uint8_t b[8];
    for (int k = 0; k < 8; ++k) b[k] = static_cast<std::uint8_t>(v >> (56 - 8 * k));
    h_->update(b, sizeof b);
  }
  void str(std::string_view text) {
    u32(static_cast<std::uint32_t>(text.size()));
    h_->update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  }
  wots::Hash digest() {
    wots::Hash out;
    h_->final(out.data());
    return out;
  }

 private:
  std::unique_ptr<Botan::HashFunction> h_;
};

}  // namespace

bool WotsFrame::allows(std::string_view verb) const {
  return std::find(allowed_verbs.begin(), allowed_verbs.end(), verb) != allowed_verbs.end();
}

Result<WotsFrame> WotsFrame::parse(const IbGib& record) {
  if (record.ib != kKeystoneIb) return invalid_argument("not a keystone frame (ib \"" + record.ib + "\")");
  if (!record.data || !record.data->is_object()) return invalid_argument("keystone frame: data must be an object");
  const json::Object& data = record.data->as_object();
  GIBKIT_RETURN_IF_ERROR(only_keys(data,
                                   {"scheme", "allowedVerbs", "next", "proofs", "revocationInfo", "n", "timestamp",
                                    "timestampMs", "uuid", "isTjp"},
                                   "keystone frame: data"));
  GIBKIT_ASSIGN_OR_RETURN(const std::string scheme, json::get_string(data, "scheme"));
  if (scheme != wots::kScheme) return invalid_argument("keystone frame: scheme \"" + scheme + "\" is not " + std::string(wots::kScheme));

  WotsFrame frame;
  GIBKIT_ASSIGN_OR_RETURN(frame.n, integer_member(data, "n", 0, 9007199254740991.0));
  GIBKIT_ASSIGN_OR_RETURN(frame.uuid, json::get_string(data, "uuid"));
  if (frame.uuid.empty()) return invalid_argument("keystone frame: uuid must not be empty");
  GIBKIT_ASSIGN_OR_RETURN(frame.timestamp, json::get_string(data, "timestamp"));
  GIBKIT_ASSIGN_OR_RETURN(const std::int64_t ms, integer_member(data, "timestampMs", 0, 999));
  frame.timestamp_ms = static_cast<int>(ms);

  GIBKIT_ASSIGN_OR_RETURN(const json::Array* verbs, json::get_array(data, "allowedVerbs"));
  std::set<std::string> seen;
  for (const json::Value& verb : *verbs) {
    if (!verb.is_string() || verb.as_string().empty() || !seen.insert(verb.as_string()).second) {
      return invalid_argument("keystone frame: allowedVerbs must hold distinct non-empty strings");
    }
    frame.allowed_verbs.push_back(verb.as_string());
  }
  if (frame.allowed_verbs.empty()) return invalid_argument("keystone frame: allowedVerbs must not be empty");

  if (const json::Value* next = data.find("next")) {
    GIBKIT_ASSIGN_OR_RETURN(frame.next, hex_member(*next, "next"));
  }
  if (const json::Value* is_tjp = data.find("isTjp"); is_tjp != nullptr && !(is_tjp->is_bool() && is_tjp->as_bool())) {
    return invalid_argument("keystone frame: isTjp must be true when present");
  }

  GIBKIT_ASSIGN_OR_RETURN(const json::Array* proofs, json::get_array(data, "proofs"));
  if (frame.n == 0) {
    // Genesis: publishes C_1 and claims nothing.
    if (!data.contains("isTjp")) return invalid_argument("keystone frame: a frame with n 0 must be a genesis (isTjp)");
    if (!proofs->empty()) return invalid_argument("keystone frame: a genesis carries no proof");
    if (!frame.next) return invalid_argument("keystone frame: a genesis must publish next");
    if (data.contains("revocationInfo")) return invalid_argument("keystone frame: a genesis has no revocationInfo");
  } else {
    if (proofs->size() != 1) return invalid_argument("keystone frame: a signed frame carries exactly one proof");
    GIBKIT_RETURN_IF_ERROR(parse_proof(proofs->front(), frame));
  }

  if (const json::Value* info = data.find("revocationInfo")) {
    // Exactly {reason}: the signature covers the reason; nothing else may ride along.
    const json::Value* reason = info->is_object() ? info->find("reason") : nullptr;
    if (reason == nullptr || !reason->is_string() || info->as_object().size() != 1) {
      return invalid_argument("keystone frame: revocationInfo must be {reason: string}");
    }
    frame.revocation_reason = reason->as_string();
  }
  frame.address = record.address();
  return frame;
}

wots::Hash wots_binding_digest(const WotsBinding& b) {
  Framer f;
  f.str(kFrameTag);
  f.u64(b.n);
  f.str(b.prev_address);
  f.str(b.verb);
  f.str(b.target);
  f.u8(b.revocation_reason != nullptr ? 1 : 0);
  f.str(b.revocation_reason != nullptr ? std::string_view(*b.revocation_reason) : std::string_view());
  f.str(b.next_hex);
  f.str(b.timestamp);
  f.u32(static_cast<std::uint32_t>(b.timestamp_ms));
  return f.digest();
}

wots::KeyAddress wots_key(std::string_view uuid, std::uint64_t n) { return {wots::public_seed(uuid), n}; }

}  // namespace gibkit::keystone
