// RFC 8259 parser producing json::Value with JSON.parse semantics.
#include <charconv>
#include <cstdlib>
#include <string>

#include "gibkit/json.h"
#include "text/plain_ascii.h"
#include "text/utf8.h"

namespace gibkit::json {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

  Result<Value> parse_document() {
    skip_whitespace();
    Value value;
    if (!parse_value(&value, 0)) return failure();
    skip_whitespace();
    if (pos_ != text_.size()) {
      fail("unexpected data after the JSON value");
      return failure();
    }
    return value;
  }

  // The members of a top-level object, each value checked as JSON but kept
  // as its text (see json::split_object).
  Result<std::vector<RawMember>> split_object_document() {
    std::vector<RawMember> members;
    const bool ok = split_document('{', '}', "object", [&] {
      if (at_end() || text_[pos_] != '"') return at_end() ? unexpected() : fail("expected a string key");
      std::string key;
      if (!parse_string(&key)) return false;
      skip_whitespace();
      if (at_end() || text_[pos_] != ':') return at_end() ? unexpected() : fail("expected ':' after key");
      ++pos_;
      skip_whitespace();
      const std::size_t start = pos_;
      if (!parse_value(nullptr, 1)) return false;
      members.push_back(RawMember{std::move(key), text_.substr(start, pos_ - start)});
      return true;
    });
    if (!ok) return failure();
    return members;
  }

  // The elements of a top-level array, each checked but kept as its text.
  Result<std::vector<std::string_view>> split_array_document() {
    std::vector<std::string_view> elements;
    const bool ok = split_document('[', ']', "array", [&] {
      const std::size_t start = pos_;
      if (!parse_value(nullptr, 1)) return false;
      elements.push_back(text_.substr(start, pos_ - start));
      return true;
    });
    if (!ok) return failure();
    return elements;
  }

  const ParseError& error() const { return error_; }
  // After parse_document(): whether stringify() of the value writes the
  // text back byte for byte (see json::parse_with_form).
  bool is_stringified() const { return stringified_; }
  // Makes the checks behind is_stringified() that cost more than a store
  // (each key, each number): only parse_with_form asks, parse() need not pay.
  void track_form() { track_form_ = true; }

 private:
  // The frame both splits share: `open`, items separated by commas, `close`,
  // and nothing after but whitespace. `item` reads one item at pos_ and
  // returns false (after fail()) when it cannot.
  template <typename Item>
  bool split_document(char open, char close, std::string_view what, Item item) {
    skip_whitespace();
    if (at_end() || text_[pos_] != open) return at_end() ? unexpected() : fail("expected a JSON " + std::string(what));
    ++pos_;
    skip_whitespace();
    if (!at_end() && text_[pos_] == close) {
      ++pos_;
    } else {
      while (true) {
        skip_whitespace();
        if (!item()) return false;
        skip_whitespace();
        if (at_end()) return unexpected();
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (text_[pos_] == close) {
          ++pos_;
          break;
        }
        return fail(std::string("expected ',' or '") + close + "' in " + std::string(what));
      }
    }
    skip_whitespace();
    if (pos_ != text_.size()) return fail("unexpected data after the JSON value");
    return true;
  }

  // Records the first error at `at` (default: the current position).
  bool fail(std::string reason, std::size_t at = std::string_view::npos, bool too_deep = false) {
    error_.offset = at == std::string_view::npos ? pos_ : at;
    error_.reason = std::move(reason);
    too_deep_ = too_deep;
    return false;
  }

  Status failure() {
    error_.line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < error_.offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++error_.line;
        line_start = i + 1;
      }
    }
    error_.column = error_.offset - line_start + 1;
    std::string message = "line " + std::to_string(error_.line) + ", column " + std::to_string(error_.column) +
                          " (offset " + std::to_string(error_.offset) + "): " + error_.reason;
    return too_deep_ ? resource_exhausted(std::move(message)) : invalid_argument(std::move(message));
  }

  void skip_whitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
      stringified_ = false;  // stringify writes no whitespace
    }
  }

  bool at_end() const { return pos_ >= text_.size(); }

  bool unexpected() {
    if (at_end()) return fail("unexpected end of input");
    const auto byte = static_cast<unsigned char>(text_[pos_]);
    if (byte >= 0x20 && byte < 0x7F) return fail(std::string("unexpected character '") + text_[pos_] + "'");
    char hex[8];
    const auto [end, ec] = std::to_chars(hex, hex + sizeof hex, static_cast<unsigned>(byte), 16);
    (void)ec;
    return fail("unexpected byte 0x" + std::string(hex, end));
  }

  bool expect_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return unexpected();
    pos_ += literal.size();
    return true;
  }

  // Parses one value into *out; with out == nullptr only checks it, building
  // nothing (split_object's skipped members cost no allocation per element).
  bool parse_value(Value* out, std::size_t depth) {
    if (at_end()) return unexpected();
    switch (text_[pos_]) {
      case '{': return parse_object(out, depth + 1);
      case '[': return parse_array(out, depth + 1);
      case '"': {
        if (out == nullptr) return parse_string(nullptr);  // checked, not kept
        std::string s;
        if (!parse_string(&s)) return false;
        *out = Value(std::move(s));
        return true;
      }
      case 't': if (out != nullptr) *out = Value(true); return expect_literal("true");
      case 'f': if (out != nullptr) *out = Value(false); return expect_literal("false");
      case 'n': if (out != nullptr) *out = Value(); return expect_literal("null");
      default: {
        Value number;
        if (!parse_number(number)) return false;
        if (out != nullptr) *out = std::move(number);
        return true;
      }
    }
  }

  bool check_depth(std::size_t depth) {
    if (depth > options_.max_depth) {
      return fail("nesting deeper than " + std::to_string(options_.max_depth) + " levels", pos_, true);
    }
    return true;
  }

  bool parse_object(Value* out, std::size_t depth) {
    if (!check_depth(depth)) return false;
    ++pos_;  // '{'
    std::vector<Object::Member> members;
    skip_whitespace();
    if (!at_end() && text_[pos_] == '}') {
      ++pos_;
      if (out != nullptr) *out = Value(Object());
      return true;
    }
    while (true) {
      skip_whitespace();
      if (at_end() || text_[pos_] != '"') {
        if (!at_end() && text_[pos_] != '"') return fail("expected a string key");
        return unexpected();
      }
      std::string key;
      if (!parse_string(out != nullptr ? &key : nullptr)) return false;
      skip_whitespace();
      if (at_end() || text_[pos_] != ':') return at_end() ? unexpected() : fail("expected ':' after key");
      ++pos_;
      skip_whitespace();
      Value value;
      if (!parse_value(out != nullptr ? &value : nullptr, depth)) return false;
      if (out != nullptr) members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (at_end()) return unexpected();
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        break;
      }
      return fail("expected ',' or '}' in object");
    }
    if (out != nullptr) {
      // stringify writes array-index keys first, and a duplicate key once:
      // a text with either is not its value's stringified form (as such
      // keys are rare in records, not worth telling the harmless orders
      // apart).
      const std::size_t count = members.size();
      const bool checked = track_form_ && stringified_;
      if (checked) {
        for (const Object::Member& member : members) {
          if (is_array_index_key(member.first)) stringified_ = false;
        }
      }
      Object object = Object::from_members(std::move(members));
      if (checked && object.size() != count) stringified_ = false;
      *out = Value(std::move(object));
    }
    return true;
  }

  bool parse_array(Value* out, std::size_t depth) {
    if (!check_depth(depth)) return false;
    ++pos_;  // '['
    Array elements;
    skip_whitespace();
    if (!at_end() && text_[pos_] == ']') {
      ++pos_;
      if (out != nullptr) *out = Value(std::move(elements));
      return true;
    }
    while (true) {
      skip_whitespace();
      Value value;
      if (!parse_value(out != nullptr ? &value : nullptr, depth)) return false;
      if (out != nullptr) elements.push_back(std::move(value));
      skip_whitespace();
      if (at_end()) return unexpected();
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        break;
      }
      return fail("expected ',' or ']' in array");
    }
    if (out != nullptr) *out = Value(std::move(elements));
    return true;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u" at pos_ (pos_ points at 'u').
  bool parse_hex4(char32_t& unit) {
    if (pos_ + 5 > text_.size()) return fail("truncated \\u escape");
    unit = 0;
    for (std::size_t i = 1; i <= 4; ++i) {
      const int h = hex_value(text_[pos_ + i]);
      if (h < 0) return fail("invalid hex digit in \\u escape", pos_ + i);
      unit = unit * 16 + static_cast<char32_t>(h);
    }
    pos_ += 5;
    return true;
  }

  // Reads a string into *out, or with out == nullptr only checks it (a
  // split's skipped values then cost no allocation per string).
  bool parse_string(std::string* out) {
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    while (true) {
      if (at_end()) return fail("unterminated string", start);
      const auto byte = static_cast<unsigned char>(text_[pos_]);
      if (byte == '"') {
        ++pos_;
        return true;
      }
      if (byte < 0x20) return fail("control character in string must be escaped");
      if (byte != '\\') {
        // Copy the run of plain characters (ASCII and validated UTF-8) up to
        // the next quote, backslash or control in one append: a string
        // without escapes is then one allocation of the right size.
        std::size_t end = pos_;
        while ((end = text::plain_ascii_end(text_, end)) < text_.size()) {
          const auto b = static_cast<unsigned char>(text_[end]);
          if (b == '"' || b == '\\' || b < 0x20) break;
          if (b < 0x80) {
            ++end;
            continue;
          }
          const text::Decoded d = text::decode_utf8(text_.substr(end));
          if (d.error != nullptr) return fail(d.error, end);
          end += d.length;
        }
        if (out != nullptr) out->append(text_.substr(pos_, end - pos_));
        pos_ = end;
        continue;
      }
      ++pos_;  // backslash
      // stringify writes some escapes itself ("\n"), but telling those from
      // the ones it would not ("\/", "\u0041") is not worth it here.
      stringified_ = false;
      if (at_end()) return fail("unterminated string", start);
      const char escape = text_[pos_];
      std::string discarded;  // escapes of a string only checked (rare, short)
      std::string& kept = out != nullptr ? *out : discarded;
      switch (escape) {
        case '"': kept += '"'; ++pos_; break;
        case '\\': kept += '\\'; ++pos_; break;
        case '/': kept += '/'; ++pos_; break;
        case 'b': kept += '\b'; ++pos_; break;
        case 'f': kept += '\f'; ++pos_; break;
        case 'n': kept += '\n'; ++pos_; break;
        case 'r': kept += '\r'; ++pos_; break;
        case 't': kept += '\t'; ++pos_; break;
        case 'u': {
          char32_t unit = 0;
          if (!parse_hex4(unit)) return false;
          // A high surrogate followed by a low one is one code point; any
          // other surrogate stays lone (kept as WTF-8, as JS keeps it).
          if (unit >= 0xD800 && unit <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const std::size_t saved = pos_;
            ++pos_;
            char32_t low = 0;
            if (!parse_hex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = saved;
            }
          }
          text::append_utf8(unit, kept);
          break;
        }
        default: return fail(std::string("invalid escape '\\") + escape + "'");
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool parse_number(Value& out) {
    const std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (at_end() || !is_digit(text_[pos_])) {
      pos_ = start;
      return unexpected();
    }
    if (text_[pos_] == '0') {
      ++pos_;
      if (!at_end() && is_digit(text_[pos_])) return fail("leading zeros are not allowed", pos_ - 1);
    } else {
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
    }
    if (!at_end() && text_[pos_] == '.') {
      ++pos_;
      if (at_end() || !is_digit(text_[pos_])) return fail("expected a digit after '.'");
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
    }
    if (!at_end() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (at_end() || !is_digit(text_[pos_])) return fail("expected a digit in the exponent");
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
    }
    const std::string_view number = text_.substr(start, pos_ - start);
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc::result_out_of_range) {
      // JSON.parse gives +-Infinity or +-0 here; strtod rounds the same way.
      value = std::strtod(std::string(number).c_str(), nullptr);
    } else if (ec != std::errc() || end != number.data() + number.size()) {
      return fail("invalid number", start);
    }
    // The shortest round-trip form is what stringify writes. An integer of
    // at most 15 digits without a sign of zero is written back as it is
    // (exact in a double, no exponent below 1e21); anything else is compared.
    if (track_form_ && stringified_) {
      const bool negative = number[0] == '-';
      const std::size_t digits = number.size() - (negative ? 1 : 0);
      const bool plain_integer =
          digits <= 15 && number.find_first_of(".eE") == std::string_view::npos && number != "-0";
      if (!plain_integer && number_to_string(value) != number) stringified_ = false;
    }
    out = Value(value);
    return true;
  }

  std::string_view text_;
  const ParseOptions& options_;
  std::size_t pos_ = 0;
  ParseError error_;
  bool too_deep_ = false;
  bool track_form_ = false;  // track_form()
  bool stringified_ = true;
};

}  // namespace

Result<std::vector<RawMember>> split_object(std::string_view text, const ParseOptions& options, ParseError* error) {
  Parser parser(text, options);
  Result<std::vector<RawMember>> result = parser.split_object_document();
  if (!result.ok() && error != nullptr) *error = parser.error();
  return result;
}

Result<std::vector<std::string_view>> split_array(std::string_view text, const ParseOptions& options,
                                                  ParseError* error) {
  Parser parser(text, options);
  Result<std::vector<std::string_view>> result = parser.split_array_document();
  if (!result.ok() && error != nullptr) *error = parser.error();
  return result;
}

Result<Value> parse_with_form(std::string_view text, bool& is_stringified, const ParseOptions& options) {
  Parser parser(text, options);
  parser.track_form();
  Result<Value> result = parser.parse_document();
  is_stringified = result.ok() && parser.is_stringified();
  return result;
}

Result<Value> parse(std::string_view text, const ParseOptions& options, ParseError* error) {
  Parser parser(text, options);
  Result<Value> result = parser.parse_document();
  if (!result.ok() && error != nullptr) *error = parser.error();
  return result;
}

}  // namespace gibkit::json
