#include "text/utf8.h"

#include <array>

namespace gibkit::text {
namespace {

bool is_continuation(unsigned char byte) noexcept { return (byte & 0xC0) == 0x80; }

// Decodes with or without accepting encoded surrogates.
Decoded decode(std::string_view text, bool allow_surrogates) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char lead = bytes[0];
  if (lead < 0x80) return {lead, 1, nullptr};
  if (is_continuation(lead)) return {0, 0, "invalid UTF-8: unexpected continuation byte"};
  std::size_t length;
  char32_t cp;
  char32_t min;
  if (lead >= 0xC0 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF7) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return {0, 0, "invalid UTF-8: byte 0xF8-0xFF never appears in UTF-8"};
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= text.size()) return {0, 0, "invalid UTF-8: truncated sequence"};
    if (!is_continuation(bytes[i])) return {0, 0, "invalid UTF-8: truncated sequence"};
    cp = (cp << 6) | (bytes[i] & 0x3F);
  }
  if (cp < min) return {0, 0, "invalid UTF-8: overlong encoding"};
  if (cp > 0x10FFFF) return {0, 0, "invalid UTF-8: code point above U+10FFFF"};
  if (cp >= 0xD800 && cp <= 0xDFFF && !allow_surrogates) {
    return {0, 0, "invalid UTF-8: encoded surrogate (U+D800-U+DFFF)"};
  }
  return {cp, length, nullptr};
}

// UTF-16 code units of one code point; returns how many (1 or 2).
int utf16_units(char32_t cp, std::array<char16_t, 2>& units) noexcept {
  if (cp < 0x10000) {
    units[0] = static_cast<char16_t>(cp);
    return 1;
  }
  cp -= 0x10000;
  units[0] = static_cast<char16_t>(0xD800 + (cp >> 10));
  units[1] = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
  return 2;
}

}  // namespace

Decoded decode_utf8(std::string_view text) noexcept { return decode(text, false); }

Decoded decode_wtf8_lenient(std::string_view text) noexcept {
  Decoded d = decode(text, true);
  if (d.error != nullptr) return {static_cast<unsigned char>(text[0]), 1, nullptr};
  return d;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool has_surrogate(std::string_view text) noexcept {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xED && static_cast<unsigned char>(text[i + 1]) >= 0xA0) {
      return true;
    }
  }
  return false;
}

std::string to_well_formed_utf8(std::string_view text) {
  if (!has_surrogate(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const Decoded d = decode_wtf8_lenient(text);
    if (d.code_point >= 0xD800 && d.code_point <= 0xDFFF && d.length == 3) {
      append_utf8(0xFFFD, out);
    } else {
      out.append(text.substr(0, d.length));
    }
    text.remove_prefix(d.length);
  }
  return out;
}

int compare_utf16(std::string_view a, std::string_view b) noexcept {
  while (!a.empty() && !b.empty()) {
    // Identical bytes are identical code units; only decode where they differ.
    const auto ca = static_cast<unsigned char>(a[0]);
    const auto cb = static_cast<unsigned char>(b[0]);
    if (ca == cb && ca < 0x80) {
      a.remove_prefix(1);
      b.remove_prefix(1);
      continue;
    }
    // An ASCII character is one code unit below any other character's first.
    if (ca != cb && (ca < 0x80 || cb < 0x80)) return ca < cb ? -1 : 1;
    const Decoded da = decode_wtf8_lenient(a);
    const Decoded db = decode_wtf8_lenient(b);
    if (da.code_point != db.code_point) {
      std::array<char16_t, 2> ua{};
      std::array<char16_t, 2> ub{};
      const int na = utf16_units(da.code_point, ua);
      const int nb = utf16_units(db.code_point, ub);
      for (int i = 0; i < na && i < nb; ++i) {
        if (ua[i] != ub[i]) return ua[i] < ub[i] ? -1 : 1;
      }
      return na < nb ? -1 : 1;
    }
    a.remove_prefix(da.length);
    b.remove_prefix(db.length);
  }
  if (a.empty() && b.empty()) return 0;
  return a.empty() ? -1 : 1;
}

}  // namespace gibkit::text
