// Address parsing and validation (core-gib-notes 1.2).
#include <string>

#include "gibkit/ibgib.h"

namespace gibkit {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

// Checks one hash piece of a gib: 32 or 64 hex characters.
Status check_hash(std::string_view hash, std::string_view what) {
  if (hash.size() != 32 && hash.size() != 64) {
    return invalid_argument(std::string(what) + " must be 32 or 64 hex characters, got " +
                            std::to_string(hash.size()));
  }
  for (char c : hash) {
    if (!is_hex(c)) return invalid_argument(std::string(what) + " contains non-hex character '" + c + "'");
  }
  return {};
}

}  // namespace

Result<Address> Address::parse(std::string_view text) {
  auto fail = [&](const Status& s) {
    return s.with_context("malformed address \"" + std::string(text) + "\"");
  };
  const std::size_t caret = text.rfind('^');
  if (caret == std::string_view::npos) return fail(invalid_argument("missing '^'"));
  if (caret == 0) return fail(invalid_argument("ib is empty (address starts with '^')"));
  const std::string_view ib = text.substr(0, caret);
  const std::string_view gib = text.substr(caret + 1);
  if (ib.find('^') != std::string_view::npos) return fail(invalid_argument("more than one '^'"));
  if (gib.empty()) return fail(invalid_argument("gib is empty"));
  if (gib != kPrimitiveGib) {
    const std::size_t dot = gib.find('.');
    Status s = check_hash(gib.substr(0, dot), "punctiliar hash");
    if (s.ok() && dot != std::string_view::npos) s = check_hash(gib.substr(dot + 1), "tjp gib");
    if (!s.ok()) return fail(s);
  }
  return Address(std::string(ib), std::string(gib));
}

Address Address::from_parts(std::string ib, std::string gib) { return Address(std::move(ib), std::move(gib)); }

std::string Address::str() const { return ib_ + "^" + gib_; }

std::string_view Address::punctiliar_hash() const noexcept {
  const std::string_view gib = gib_;
  return gib.substr(0, gib.find('.'));
}

std::string_view Address::tjp_gib() const noexcept {
  const std::string_view gib = gib_;
  const std::size_t dot = gib.find('.');
  return dot == std::string_view::npos ? std::string_view() : gib.substr(dot + 1);
}

}  // namespace gibkit
