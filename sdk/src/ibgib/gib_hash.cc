// gib hashing, sha256v1 current and legacy (core-gib-notes 1.3).
#include "gibkit/gib_hash.h"

#include <algorithm>
#include <botan/hash.h>
#include <botan/hex.h>

#include "text/utf8.h"

namespace gibkit {
namespace {

// H(s) of the reference: TextEncoder bytes (lone surrogates become U+FFFD),
// SHA-256, uppercase hex; the empty string hashes to the empty string.
std::string field_hash(std::string_view s) {
  if (s.empty()) return "";
  if (text::has_surrogate(s)) return sha256_hex_upper(text::to_well_formed_utf8(s));
  return sha256_hex_upper(s);
}

bool has_rel8ns(const IbGib& record) {
  if (!record.rel8ns) return false;
  return std::any_of(record.rel8ns->begin(), record.rel8ns->end(), [](const json::Object::Member& m) {
    return m.second.is_array() && !m.second.as_array().empty();
  });
}

// Current: `Object.keys(data).length > 0` for objects and arrays, truthiness
// for everything else (a non-empty string, a non-zero number, true).
// Legacy: `Object.keys(data || {}).length > 0`, which is false for numbers
// and booleans and counts a string's characters.
bool has_data(const IbGib& record, GibAlgorithm algorithm) {
  if (!record.data) return false;
  const json::Value& data = *record.data;
  switch (data.type()) {
    case json::Type::kObject: return !data.as_object().empty();
    case json::Type::kArray: return !data.as_array().empty();
    case json::Type::kString: return !data.as_string().empty();
    case json::Type::kNull: return false;
    case json::Type::kBool:
    case json::Type::kNumber: return algorithm == GibAlgorithm::kSha256V1 && data.truthy();
  }
  return false;
}

std::string canonical_json(const json::Value& value, GibAlgorithm algorithm) {
  return algorithm == GibAlgorithm::kSha256V1 ? json::stringify(normalize_keys(value)) : json::stringify(value);
}

// The tjp suffix of a non-tjp frame: the gib of its last rel8ns.tjp address.
Result<std::string> tjp_suffix(const IbGib& record) {
  const std::vector<std::string> tjps = record.rel8d(kRel8nTjp);
  if (tjps.empty()) return invalid_argument("data.isTjp is set but rel8ns.tjp is an empty array");
  const std::string& tjp = tjps.back();
  if (tjp.empty()) return invalid_argument("the last rel8ns.tjp address is empty");
  const std::size_t caret = tjp.rfind('^');
  if (caret == std::string::npos || caret + 1 == tjp.size()) {
    return invalid_argument("the last rel8ns.tjp address \"" + tjp + "\" has no gib");
  }
  return tjp.substr(caret + 1);
}

}  // namespace

std::string sha256_hex_upper(std::string_view bytes) {
  // One hasher per thread: creating one costs more than hashing a record.
  thread_local const std::unique_ptr<Botan::HashFunction> sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  sha256->update(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  std::uint8_t digest[32];
  sha256->final(digest);
  return Botan::hex_encode(digest, sizeof digest, /*uppercase=*/true);
}

json::Value normalize_keys(const json::Value& value) {
  if (!value.is_object()) return value;
  const json::Object& object = value.as_object();
  std::vector<const json::Object::Member*> sorted;
  sorted.reserve(object.size());
  for (const auto& member : object) sorted.push_back(&member);
  std::sort(sorted.begin(), sorted.end(), [](const json::Object::Member* a, const json::Object::Member* b) {
    return text::compare_utf16(a->first, b->first) < 0;
  });
  std::vector<json::Object::Member> members;
  members.reserve(sorted.size());
  for (const json::Object::Member* member : sorted) members.emplace_back(member->first, normalize_keys(member->second));
  return json::Object::from_members(std::move(members));
}

Result<std::string> compute_gib(const IbGib& record, GibAlgorithm algorithm) {
  if (record.gib == kPrimitiveGib) return std::string(kPrimitiveGib);

  const bool with_rel8ns = has_rel8ns(record);
  const bool with_data = has_data(record, algorithm);
  const std::string ib_hash = field_hash(record.ib);
  const std::string rel8ns_hash = with_rel8ns ? field_hash(canonical_json(json::Value(*record.rel8ns), algorithm)) : "";
  const std::string data_hash = with_data ? field_hash(canonical_json(*record.data, algorithm)) : "";
  std::string hash = (with_rel8ns || with_data) ? field_hash(ib_hash + rel8ns_hash + data_hash) : field_hash(ib_hash);

  const json::Value* is_tjp = record.data ? record.data->find("isTjp") : nullptr;
  const bool self_is_tjp = is_tjp != nullptr && is_tjp->truthy();
  const bool has_tjp_rel8n = record.rel8ns && record.rel8ns->contains(kRel8nTjp);
  if (!self_is_tjp && record.rel8d(kRel8nTjp).empty()) return hash;
  if (self_is_tjp && !has_tjp_rel8n) return hash;
  // The reference validates rel8ns.tjp even for the tjp itself.
  GIBKIT_ASSIGN_OR_RETURN(std::string suffix, tjp_suffix(record));
  if (self_is_tjp) return hash;
  return hash + "." + suffix;
}

}  // namespace gibkit
