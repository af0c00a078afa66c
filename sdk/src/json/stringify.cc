// JSON.stringify and Number.prototype.toString, byte for byte.
#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "gibkit/json.h"
#include "json/quote.h"
#include "text/plain_ascii.h"
#include "text/utf8.h"

namespace gibkit::json {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_unicode_escape(unsigned value, std::string& out) {
  out += "\\u";
  out += kHexDigits[(value >> 12) & 0xF];
  out += kHexDigits[(value >> 8) & 0xF];
  out += kHexDigits[(value >> 4) & 0xF];
  out += kHexDigits[value & 0xF];
}

// Bytes that QuoteJSONString copies as they are: everything but '"', '\\',
// controls, and 0xED (the lead byte of a WTF-8 surrogate, checked slowly).
constexpr auto kPlain = [] {
  std::array<bool, 256> plain{};
  for (unsigned b = 0x20; b < 256; ++b) plain[b] = b != '"' && b != '\\' && b != 0xED;
  return plain;
}();

void append_number(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON.stringify(NaN) and of infinities
    return;
  }
  out += number_to_string(d);
}

}  // namespace

// ECMAScript QuoteJSONString (ES2019 "well-formed JSON.stringify"). Most
// strings are long runs of plain bytes, copied with one append per run.
void append_quoted(std::string_view s, std::string& out) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t run_start = i;
    // Printable ASCII a word at a time, then any other plain byte (UTF-8).
    while ((i = text::plain_ascii_end(s, i)) < s.size() && kPlain[static_cast<unsigned char>(s[i])]) ++i;
    out.append(s.data() + run_start, i - run_start);
    if (i == s.size()) break;
    const auto byte = static_cast<unsigned char>(s[i]);
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          append_unicode_escape(byte, out);
        } else {
          // 0xED: a lone surrogate held as WTF-8 is escaped, as JS does;
          // any other sequence (U+D000..U+D7FF) is copied.
          const text::Decoded d = text::decode_wtf8_lenient(s.substr(i));
          if (d.length == 3 && d.code_point >= 0xD800) {
            append_unicode_escape(static_cast<unsigned>(d.code_point), out);
            i += 3;
            continue;
          }
          out += s[i];
        }
        break;
    }
    ++i;
  }
  out += '"';
}

std::string number_to_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";  // also -0

  // Shortest round-trip digits and exponent, e.g. "-1.2345e+21".
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  (void)ec;  // 64 bytes always suffice for a double
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  std::string result;
  if (sci.front() == '-') {
    result += '-';
    sci.remove_prefix(1);
  }
  const std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);

  // ECMAScript Number::toString: value = 0.digits * 10^n, k = digit count.
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    result += digits;
    result.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    result.append(digits, 0, static_cast<std::size_t>(n));
    result += '.';
    result.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    result += "0.";
    result.append(static_cast<std::size_t>(-n), '0');
    result += digits;
  } else {
    result += digits[0];
    if (k > 1) {
      result += '.';
      result.append(digits, 1);
    }
    result += 'e';
    result += (n - 1 < 0) ? '-' : '+';
    result += std::to_string(std::abs(n - 1));
  }
  return result;
}

void stringify_to(const Value& value, std::string& out) {
  switch (value.type()) {
    case Type::kNull: out += "null"; return;
    case Type::kBool: out += value.as_bool() ? "true" : "false"; return;
    case Type::kNumber: append_number(value.as_number(), out); return;
    case Type::kString: append_quoted(value.as_string(), out); return;
    case Type::kArray: {
      out += '[';
      bool first = true;
      for (const Value& element : value.as_array()) {
        if (!first) out += ',';
        first = false;
        stringify_to(element, out);
      }
      out += ']';
      return;
    }
    case Type::kObject: stringify_to(value.as_object(), out); return;
  }
}

void stringify_to(const Object& object, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [key, member] : object) {
    if (!first) out += ',';
    first = false;
    append_quoted(key, out);
    out += ':';
    stringify_to(member, out);
  }
  out += '}';
}

std::string stringify(const Value& value) {
  std::string out;
  stringify_to(value, out);
  return out;
}

}  // namespace gibkit::json
