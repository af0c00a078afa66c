// gib hashing, sha256v1 current and legacy (core-gib-notes 1.3).
#include "gibkit/gib_hash.h"

#include <algorithm>
#include <botan/hash.h>

#include "json/quote.h"
#include "text/utf8.h"

namespace gibkit {
namespace {

using MemberOrder = std::vector<const json::Object::Member*>;

// The one SHA-256 hasher of this thread: creating one costs more than
// hashing a record. Users finish one hash before starting the next.
Botan::HashFunction& thread_sha256() {
  thread_local const std::unique_ptr<Botan::HashFunction> sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  return *sha256;
}

std::string final_hex_upper(Botan::HashFunction& sha256) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::uint8_t digest[32];
  sha256.final(digest);
  std::string hex(2 * sizeof digest, '\0');
  for (std::size_t i = 0; i < sizeof digest; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0xF];
  }
  return hex;
}

// H(s) of the reference: TextEncoder bytes (lone surrogates become U+FFFD),
// SHA-256, uppercase hex; the empty string hashes to the empty string.
std::string field_hash(std::string_view s) {
  if (s.empty()) return "";
  if (text::has_surrogate(s)) return sha256_hex_upper(text::to_well_formed_utf8(s));
  return sha256_hex_upper(s);
}

// Appends pointers to `object`'s members in the order JSON.stringify writes
// the object ts-gib rebuilds from its sorted keys: array-index keys first, in
// ascending numeric order (the engine puts them there whatever the insertion
// order, and json::Object already keeps them so), then the other keys sorted
// by UTF-16 code units (Array.prototype.sort).
void append_normalized_order(const json::Object& object, MemberOrder& order) {
  const std::size_t first = order.size();
  for (const json::Object::Member& member : object) order.push_back(&member);
  const auto others = std::partition_point(order.begin() + static_cast<std::ptrdiff_t>(first), order.end(),
                                           [](const json::Object::Member* m) { return json::is_array_index_key(m->first); });
  const auto by_utf16 = [](const json::Object::Member* a, const json::Object::Member* b) {
    return text::compare_utf16(a->first, b->first) < 0;
  };
  // Records written by gibkit or ts-gib mostly have their keys sorted already.
  if (!std::is_sorted(others, order.end(), by_utf16)) std::sort(others, order.end(), by_utf16);
}

// SHA-256 of J(x), written straight from the record: J(x) is the text of
// JSON.stringify(normalize_keys(x)) (current) or JSON.stringify(x) (legacy),
// produced without building the normalized copy, and handed to the hasher in
// chunks so that a large record never exists as one string.
class JsonHasher {
 public:
  explicit JsonHasher(bool normalize) : normalize_(normalize) {
    text_.clear();
    text_.reserve(kChunk);
    order_.clear();
  }
  ~JsonHasher() {
    // A record with one huge string leaves a buffer of its size: not kept.
    if (text_.capacity() > kKeptCapacity) std::string().swap(text_);
  }
  JsonHasher(const JsonHasher&) = delete;
  JsonHasher& operator=(const JsonHasher&) = delete;

  void write(const json::Value& value) {
    if (value.is_object()) return write(value.as_object());
    if (value.is_array()) {
      // Normalization stops at arrays, as in ts-gib: elements, objects
      // included, are written as they are.
      text_ += '[';
      bool first = true;
      for (const json::Value& element : value.as_array()) {
        if (!first) text_ += ',';
        first = false;
        json::stringify_to(element, text_);
        drain_if_full();
      }
      text_ += ']';
      return;
    }
    json::stringify_to(value, text_);
    drain_if_full();
  }

  void write(const json::Object& object) {
    // order_ is a stack shared by the nested objects being written: this
    // object's members sit in [first, end) until it is done.
    const std::size_t first = order_.size();
    if (normalize_) {
      append_normalized_order(object, order_);
    } else {
      for (const json::Object::Member& member : object) order_.push_back(&member);
    }
    const std::size_t end = order_.size();
    text_ += '{';
    for (std::size_t i = first; i < end; ++i) {
      if (i != first) text_ += ',';
      json::append_quoted(order_[i]->first, text_);
      text_ += ':';
      write(order_[i]->second);
    }
    text_ += '}';
    order_.resize(first);
  }

  // H(J(x)). J(x) is never empty and never holds a WTF-8 surrogate
  // (stringify escapes lone surrogates), so field_hash's special cases
  // (empty string, TextEncoder's U+FFFD) cannot apply to it.
  std::string finish() {
    sha256_.update(reinterpret_cast<const std::uint8_t*>(text_.data()), text_.size());
    return final_hex_upper(sha256_);
  }

 private:
  static constexpr std::size_t kChunk = 8 * 1024;
  static constexpr std::size_t kKeptCapacity = 64 * 1024;

  // The text and member-order buffers of this thread, reused from hash to
  // hash (two hashes a record; a fresh 8 KiB buffer each was a malloc and,
  // on a receiver's decoding threads, fresh pages). One hasher per thread
  // at a time, as for the SHA-256 state.
  struct Buffers {
    std::string text;
    MemberOrder order;
  };
  static Buffers& thread_buffers() {
    thread_local Buffers buffers;
    return buffers;
  }

  void drain_if_full() {
    if (text_.size() < kChunk) return;
    sha256_.update(reinterpret_cast<const std::uint8_t*>(text_.data()), text_.size());
    text_.clear();
  }

  Botan::HashFunction& sha256_ = thread_sha256();
  bool normalize_;
  std::string& text_ = thread_buffers().text;
  MemberOrder& order_ = thread_buffers().order;
};

template <class Json>  // json::Value or json::Object
std::string json_hash(const Json& json, GibAlgorithm algorithm) {
  JsonHasher hasher(algorithm == GibAlgorithm::kSha256V1);
  hasher.write(json);
  return hasher.finish();
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
  Botan::HashFunction& sha256 = thread_sha256();
  sha256.update(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return final_hex_upper(sha256);
}

json::Value normalize_keys(const json::Value& value) {
  if (!value.is_object()) return value;
  MemberOrder order;
  append_normalized_order(value.as_object(), order);
  std::vector<json::Object::Member> members;
  members.reserve(order.size());
  for (const json::Object::Member* member : order) members.emplace_back(member->first, normalize_keys(member->second));
  return json::Object::from_members(std::move(members));
}

Result<std::string> compute_gib(const IbGib& record, GibAlgorithm algorithm) {
  if (record.gib == kPrimitiveGib) return std::string(kPrimitiveGib);

  const bool with_rel8ns = has_rel8ns(record);
  const bool with_data = has_data(record, algorithm);
  const std::string ib_hash = field_hash(record.ib);
  const std::string rel8ns_hash = with_rel8ns ? json_hash(*record.rel8ns, algorithm) : "";
  const std::string data_hash = with_data ? json_hash(*record.data, algorithm) : "";
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
