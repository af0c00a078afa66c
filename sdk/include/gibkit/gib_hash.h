// File: gibkit/gib_hash.h
//
// Computing a record's gib, the way the JavaScript reference (ts-gib
// "sha256v1") does, so that gibkit and ibgib apps agree on every address.
//
// With H(s) = uppercase hex SHA-256 of the UTF-8 bytes of s, and H("") = "":
//   ibHash     = H(ib)
//   rel8nsHash = hasRel8ns ? H(JSON(rel8ns)) : ""   (some rel8n non-empty)
//   dataHash   = hasData   ? H(JSON(data))   : ""
//   hash       = (hasRel8ns || hasData) ? H(ibHash + rel8nsHash + dataHash) : H(ibHash)
//   gib        = "gib"                    if the record's gib is "gib" (primitive)
//              | hash                     if data.isTjp is truthy, or no rel8ns.tjp
//              | hash + "." + gibOf(last rel8ns.tjp address)   otherwise
// JSON() is JSON.stringify of a key-normalized copy (normalize_keys) for the
// current algorithm, and of the value as it is for the legacy one. The exact
// hasData rules per algorithm are in docs/record-layer.md.
#pragma once

#include <string>
#include <string_view>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/status.h"

namespace gibkit {

enum class GibAlgorithm {
  kSha256V1,        // current releases: keys normalized before hashing
  kSha256V1Legacy,  // older releases: data and rel8ns hashed as they are
};

// Uppercase hex SHA-256 of `bytes` (64 characters; no special case for "").
[[nodiscard]] std::string sha256_hex_upper(std::string_view bytes);

// A copy with object keys sorted by UTF-16 code units, recursively through
// objects; arrays are copied as they are (their elements are not normalized),
// as the reference does. The Object type still puts array-index keys first.
[[nodiscard]] json::Value normalize_keys(const json::Value& value);

// The gib `record` should have. Fails (kInvalidArgument) only where the
// reference throws: a rel8ns.tjp that is empty while data.isTjp is set, or
// whose last address is empty or has no gib.
[[nodiscard]] Result<std::string> compute_gib(const IbGib& record,
                                              GibAlgorithm algorithm = GibAlgorithm::kSha256V1);

}  // namespace gibkit
