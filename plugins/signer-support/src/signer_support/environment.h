// File: signer_support/environment.h
//
// The two non-deterministic inputs of an identity operation, clock and
// randomness, passed in explicitly so that tests can pin them (and so that
// no signer reaches for a global clock or RNG behind the caller's back).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <botan/rng.h>

namespace gibkit::signer_support {

struct Environment {
  // Milliseconds since the Unix epoch, like JavaScript's Date.now().
  std::function<std::int64_t()> now_ms;
  // Source of master secrets, challenge ids, uuids and random picks. Must
  // outlive every operation that uses it; not shared between threads.
  Botan::RandomNumberGenerator* rng = nullptr;
};

// The system clock and a Botan AutoSeeded_RNG owned by the process (one per
// thread).
[[nodiscard]] Environment system_environment();

// JavaScript `new Date(ms).toUTCString()`, e.g. "Wed, 29 Apr 2026 12:52:38 GMT"
// (the frame `timestamp`), and the millisecond remainder (`timestampMs`).
// Years outside 0..9999 are clamped: frames never carry them.
[[nodiscard]] std::string js_utc_string(std::int64_t epoch_ms);
[[nodiscard]] int js_millis_part(std::int64_t epoch_ms);

// The ts-gib tjp uuid: lower-case SHA-256 hex of 16 random bytes rendered as
// decimal numbers joined with no separator.
[[nodiscard]] std::string make_tjp_uuid(Botan::RandomNumberGenerator& rng);

}  // namespace gibkit::signer_support
