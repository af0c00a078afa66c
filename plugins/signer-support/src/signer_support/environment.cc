#include "signer_support/environment.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>

#include <botan/auto_rng.h>
#include <botan/hash.h>
#include <botan/hex.h>

namespace gibkit::signer_support {

Environment system_environment() {
  thread_local Botan::AutoSeeded_RNG rng;
  Environment env;
  env.now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  env.rng = &rng;
  return env;
}

namespace {

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm), so that
// formatting does not depend on the C library's time zone state.
void civil_from_days(std::int64_t z, int& year, unsigned& month, unsigned& day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string js_utc_string(std::int64_t epoch_ms) {
  static constexpr std::array<const char*, 7> kWeekdays = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::int64_t seconds = floor_div(epoch_ms, 1000);
  const std::int64_t days = floor_div(seconds, 86400);
  const std::int64_t second_of_day = seconds - days * 86400;
  int year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  const auto weekday = static_cast<std::size_t>(((days % 7) + 7) % 7);  // 1970-01-01 was a Thursday
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02d:%02d:%02d GMT", kWeekdays[weekday], day,
                kMonths[month - 1], year, static_cast<int>(second_of_day / 3600),
                static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60));
  return buffer;
}

int js_millis_part(std::int64_t epoch_ms) { return static_cast<int>(epoch_ms - floor_div(epoch_ms, 1000) * 1000); }

std::string make_tjp_uuid(Botan::RandomNumberGenerator& rng) {
  std::array<std::uint8_t, 16> bytes{};
  rng.randomize(bytes.data(), bytes.size());
  std::string decimal;
  for (std::uint8_t b : bytes) decimal += std::to_string(b);
  auto sha = Botan::HashFunction::create_or_throw("SHA-256");
  return Botan::hex_encode(sha->process(decimal), false);
}

}  // namespace gibkit::signer_support
