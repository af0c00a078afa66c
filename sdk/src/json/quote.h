// Private: the JSON string writer, shared by stringify and by the SDK code
// that writes JSON text without building a json::Value first (gib hashing,
// IbGib::to_json_text).
#pragma once

#include <string>
#include <string_view>

namespace gibkit::json {

// Appends JSON.stringify(s) for a string: ECMAScript QuoteJSONString, with
// lone surrogates (held as WTF-8) escaped as "\udxxx".
void append_quoted(std::string_view s, std::string& out);

}  // namespace gibkit::json
