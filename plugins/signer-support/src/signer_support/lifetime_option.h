// File: signer_support/lifetime_option.h
//
// The "lifetime" key of create_identity's options (SDK 1.5, gibkit/signer.h):
// the kernel asks for {"preset": "session", "lifetime": "saga"} for the
// session identity of each saga, which signs that saga's turns and is then
// forgotten (Signer::forget). Declared by the caller, not inferred from the
// preset: `gib keystone create --preset session` makes an identity that is
// kept in secrets_dir like any other.
#pragma once

#include <utility>

#include "gibkit/json.h"
#include "gibkit/status.h"
#include "signer_support/secret_store.h"

namespace gibkit::signer_support {

// Takes "lifetime" out of `options`: "saga" is Lifetime::kProcess, absent is
// kStored, anything else kInvalidArgument naming it. Returns the options
// without the key, for the signer's own parser, with the lifetime.
[[nodiscard]] Result<std::pair<json::Value, Lifetime>> split_lifetime(const json::Value& options);

}  // namespace gibkit::signer_support
