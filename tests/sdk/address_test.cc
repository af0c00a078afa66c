#include <gtest/gtest.h>

#include "gibkit/ibgib.h"

namespace gibkit {
namespace {

const std::string kHash64 = "DBAD38441B92E76A83E4BBB640F3FB7D73E351EB5BDDB99C69C1C9DE4125D07C";
const std::string kHash32 = "0123456789abcdefABCDEF0123456789";

TEST(Address, ParsesValidAddresses) {
  Result<Address> root = Address::parse("ib^gib");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->is_primitive());
  EXPECT_EQ(root->ib(), "ib");
  EXPECT_EQ(root->str(), "ib^gib");

  Result<Address> plain = Address::parse("space 0^" + kHash64);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_EQ(plain->ib(), "space 0");
  EXPECT_EQ(plain->punctiliar_hash(), kHash64);
  EXPECT_EQ(plain->tjp_gib(), "");
  EXPECT_FALSE(plain->is_primitive());

  Result<Address> frame = Address::parse("x^" + kHash32 + "." + kHash64);
  ASSERT_TRUE(frame.ok()) << frame.status().to_string();
  EXPECT_EQ(frame->punctiliar_hash(), kHash32);
  EXPECT_EQ(frame->tjp_gib(), kHash64);
  EXPECT_EQ(Address::from_parts("x", kHash32 + "." + kHash64), *frame);
}

TEST(Address, RejectsMalformedWithReason) {
  struct Case {
    std::string text;
    const char* reason;
  };
  const Case cases[] = {
      {"nocaret", "missing '^'"},
      {"^" + kHash64, "ib is empty"},
      {"a^b^" + kHash64, "more than one '^'"},
      {"a^", "gib is empty"},
      {"a^ABC", "32 or 64 hex"},
      {"a^" + kHash64.substr(0, 63) + "G", "non-hex"},
      {"a^" + kHash64 + ".", "tjp gib must be 32 or 64"},
      {"a^" + kHash64 + "." + kHash64 + "." + kHash64, "tjp gib must be 32 or 64"},
      {"a^Gib", "32 or 64 hex"},
  };
  for (const Case& c : cases) {
    const Status s = Address::parse(c.text).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(s.message().find(c.reason), std::string::npos) << c.text << " -> " << s.message();
    EXPECT_NE(s.message().find("malformed address"), std::string::npos);
  }
}

}  // namespace
}  // namespace gibkit
