// libFuzzer target: record parse and gib (sdk/include/gibkit/ibgib.h,
// validate.h, gib_hash.h). Any input must parse or fail cleanly; a parsed
// record is hashed and validated with both gib algorithms, and its canonical
// JSON must parse back to the same canonical JSON; a text that
// parse_with_form and has_json_text_layout accept must be that JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gibkit/gib_hash.h"
#include "gibkit/json.h"
#include "gibkit/ibgib.h"
#include "gibkit/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gibkit;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // Addresses are parsed from peers too; the input is also tried as one.
  (void)Address::parse(text);

  Result<IbGib> record = IbGib::parse(text);
  if (!record.ok()) return 0;

  for (GibAlgorithm algorithm : {GibAlgorithm::kSha256V1, GibAlgorithm::kSha256V1Legacy}) {
    (void)compute_gib(*record, algorithm);
    (void)validate_intrinsically(*record, algorithm);
  }
  (void)normalize_keys(record->to_json());
  (void)record->address();
  (void)record->all_rel8d();
  (void)record->rel8d("past");
  (void)record->tjp_address();
  (void)record->n();

  const std::string canonical = record->to_json_text();
  // What a receiver relies on to keep a payload's text as it came
  // (sync_messages.cc): form and layout together mean to_json_text().
  bool stringified = false;
  if (Result<json::Value> value = json::parse_with_form(text, stringified);
      value.ok() && stringified && IbGib::has_json_text_layout(*value) && canonical != text) {
    std::fprintf(stderr, "stringified text with the record layout differs from to_json_text\n");
    std::abort();
  }
  Result<IbGib> again = IbGib::parse(canonical);
  if (!again.ok()) {
    std::fprintf(stderr, "to_json_text output does not parse: %s\n", again.status().to_string().c_str());
    std::abort();
  }
  if (again->to_json_text() != canonical) {
    std::fprintf(stderr, "to_json_text is not stable across a parse\n");
    std::abort();
  }
  return 0;
}
