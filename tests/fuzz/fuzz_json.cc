// libFuzzer target: gibkit::json::parse and stringify (sdk/include/gibkit/json.h).
// Any input must parse or fail cleanly; whatever parses must stringify, and
// stringify's output must parse back and stringify to the same bytes
// (JSON.stringify(JSON.parse(s)) is a fixed point after one step); when
// parse_with_form says the input is stringify's output, it is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

#include "gibkit/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gibkit;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  json::ParseError error;
  Result<json::Value> value = json::parse(text, {}, &error);
  if (!value.ok()) {
    if (error.offset > size) {
      std::fprintf(stderr, "error offset %zu past the input (%zu bytes)\n", error.offset, size);
      std::abort();
    }
    return 0;
  }
  // A shallow limit must fail cleanly on whatever nests deeper.
  json::ParseOptions shallow;
  shallow.max_depth = 4;
  (void)json::parse(text, shallow);

  // parse_with_form's promise: "stringified" means stringify gives the
  // text back, byte for byte.
  bool stringified = false;
  Result<json::Value> formed = json::parse_with_form(text, stringified);
  if (formed.ok() != value.ok() || (stringified && json::stringify(*formed) != text)) {
    std::fprintf(stderr, "parse_with_form: said stringified, but stringify differs (or parse disagrees)\n");
    std::abort();
  }

  const std::string once = json::stringify(*value);
  Result<json::Value> again = json::parse(once);
  if (!again.ok()) {
    std::fprintf(stderr, "stringify output does not parse: %s\n", again.status().to_string().c_str());
    std::abort();
  }
  if (json::stringify(*again) != once) {
    std::fprintf(stderr, "stringify(parse(stringify(v))) != stringify(v)\n");
    std::abort();
  }
  return 0;
}
