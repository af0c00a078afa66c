// Private: the scan both JSON string loops (parse_string, append_quoted)
// start with. Record strings are mostly long runs of printable ASCII
// (base64, hex, addresses), and a byte-at-a-time loop over them was the
// largest single cost of decoding a received record (docs/performance.md,
// "Kernel-held staging"); eight bytes at a time it is a few instructions a
// word.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace gibkit::text {

// The index of the first byte at or after `from` that is not printable
// ASCII other than '"' and '\\' -- a control (< 0x20), a non-ASCII byte
// (>= 0x80), '"' or '\\' -- or text.size(). The callers look at that byte
// themselves, so this only skips what is certainly plain.
[[nodiscard]] inline std::size_t plain_ascii_end(std::string_view text, std::size_t from) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::size_t i = from;
  while (i + 8 <= text.size()) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    // A byte's high bit in each term is set only if that byte is, in order:
    // below 0x20, '"' (0x22), '\\' (0x5C), or at least 0x80. The usual
    // "has a zero byte" test: exact as to whether any byte matches (a borrow
    // can only mark bytes above a true match), which is all this needs.
    const std::uint64_t below_space = (word - kOnes * 0x20) & ~word;
    const std::uint64_t quote = word ^ (kOnes * '"');
    const std::uint64_t backslash = word ^ (kOnes * '\\');
    const std::uint64_t is_quote = (quote - kOnes) & ~quote;
    const std::uint64_t is_backslash = (backslash - kOnes) & ~backslash;
    if (((below_space | is_quote | is_backslash) & kHigh) != 0 || (word & kHigh) != 0) break;
    i += 8;
  }
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x80 || byte == '"' || byte == '\\') break;
    ++i;
  }
  return i;
}

}  // namespace gibkit::text
