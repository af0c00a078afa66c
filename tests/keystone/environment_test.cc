#include "signer_support/environment.h"

#include <botan/chacha_rng.h>
#include <gtest/gtest.h>

namespace gibkit::signer_support {
namespace {

// Expected strings from node: new Date(ms).toUTCString().
TEST(EnvironmentTest, FormatsLikeJavaScriptToUTCString) {
  EXPECT_EQ(js_utc_string(1777467158123), "Wed, 29 Apr 2026 12:52:38 GMT");
  EXPECT_EQ(js_millis_part(1777467158123), 123);
  EXPECT_EQ(js_utc_string(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(js_utc_string(951782400000), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(js_utc_string(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(js_millis_part(-1), 999);
}

TEST(EnvironmentTest, UuidIsLowerHexSha256) {
  Botan::ChaCha_RNG rng(Botan::secure_vector<std::uint8_t>(32, 1));
  const std::string a = make_tjp_uuid(rng);
  const std::string b = make_tjp_uuid(rng);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(EnvironmentTest, SystemEnvironmentHasClockAndRng) {
  Environment env = system_environment();
  ASSERT_NE(env.rng, nullptr);
  EXPECT_GT(env.now_ms(), 1700000000000);
}

}  // namespace
}  // namespace gibkit::signer_support
