// Private UTF-8 helpers shared by the JSON layer and gib hashing.
//
// gibkit strings are UTF-8, except that a lone UTF-16 surrogate (which a
// JavaScript string can hold and JSON can carry as "\udxxx") is kept as its
// 3-byte WTF-8 form (ED A0..BF xx) so it survives a parse/stringify round trip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gibkit::text {

// Result of decoding one code point at the front of a byte sequence.
struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;     // bytes consumed; 0 on error
  const char* error = nullptr;  // why the bytes are not UTF-8 (static string)
};

// Decodes one strict UTF-8 sequence (no overlongs, no encoded surrogates, at
// most U+10FFFF). `text` must not be empty.
[[nodiscard]] Decoded decode_utf8(std::string_view text) noexcept;

// Like decode_utf8 but also accepts WTF-8 surrogates (used on our own strings,
// which may hold lone surrogates from "\udxxx" escapes). Never fails: a byte
// that starts no valid sequence decodes as itself with length 1.
[[nodiscard]] Decoded decode_wtf8_lenient(std::string_view text) noexcept;

// Appends the UTF-8 (WTF-8 for surrogates) encoding of `code_point`.
void append_utf8(char32_t code_point, std::string& out);

// Whether `text` holds a WTF-8 encoded surrogate (ED A0..BF xx).
[[nodiscard]] bool has_surrogate(std::string_view text) noexcept;

// What JavaScript's TextEncoder produces: lone surrogates become U+FFFD.
[[nodiscard]] std::string to_well_formed_utf8(std::string_view text);

// Three-way comparison of two strings by UTF-16 code units, as JavaScript's
// default Array.prototype.sort orders keys. Differs from byte order for
// characters above U+FFFF (surrogates D800..DFFF) versus U+E000..U+FFFF.
[[nodiscard]] int compare_utf16(std::string_view a, std::string_view b) noexcept;

}  // namespace gibkit::text
