// Status and Result: propagation, and what happens when a caller reads the
// value of an error (a bug, reported, never an exception).
#include <gtest/gtest.h>

#include "gibkit/status.h"

namespace gibkit {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return invalid_argument("odd: " + std::to_string(n));
  return n / 2;
}

Result<int> quarter(int n) {
  GIBKIT_ASSIGN_OR_RETURN(int h, half(n));
  return half(h);
}

TEST(ResultTest, PropagatesTheFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  Result<int> odd = quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.status().message(), "odd: 3");
}

// The header promises that nothing throws: reading an error's value aborts
// with the error named instead of throwing std::bad_variant_access.
TEST(ResultDeathTest, ReadingTheValueOfAnErrorAbortsNamingIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)half(3).value(), "Result::value\\(\\) read from an error: invalid_argument: odd: 3");
  const Result<int> error = half(5);
  EXPECT_DEATH((void)*error, "odd: 5");
}

}  // namespace
}  // namespace gibkit
