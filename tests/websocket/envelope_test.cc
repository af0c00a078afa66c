// Wire envelope of the websocket transport: splitting, UTF-8 boundaries, and
// rejection of malformed parts.
#include "envelope.h"

#include <string>

#include <gtest/gtest.h>

namespace gibkit::plugins::websocket {
namespace {

TEST(Envelope, SmallMessageIsOnePart) {
  std::vector<std::string> wire = encode_message(PartKind::kRequest, 7, "{\"a\":1}", 1024, 0);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0], "{\"v\":1,\"id\":7,\"kind\":\"request\",\"part\":0,\"parts\":1}\n{\"a\":1}");
  Result<Part> part = decode_part(wire[0], 1024);
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(part->header.kind, PartKind::kRequest);
  EXPECT_EQ(part->header.id, 7u);
  EXPECT_EQ(part->body, "{\"a\":1}");
}

TEST(Envelope, HeadroomIsLeftInFront) {
  std::vector<std::string> wire = encode_message(PartKind::kResponse, 1, "x", 16, 10);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].substr(0, 10), std::string(10, '\0'));
  EXPECT_TRUE(decode_part(std::string_view(wire[0]).substr(10), 16).ok());
}

TEST(Envelope, SplitsOnlyBetweenUtf8Characters) {
  // "€" is three bytes; with 4-byte parts no part may end inside one.
  std::string message;
  for (int i = 0; i < 10; ++i) message += "a\xE2\x82\xAC";
  std::vector<std::string> wire = encode_message(PartKind::kRequest, 3, message, 5, 0);
  std::string joined;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    Result<Part> part = decode_part(wire[i], 5);
    ASSERT_TRUE(part.ok()) << part.status().to_string();
    EXPECT_EQ(part->header.part, i);
    EXPECT_EQ(part->header.parts, wire.size());
    ASSERT_FALSE(part->body.empty());
    EXPECT_NE(static_cast<unsigned char>(part->body[0]) & 0xC0, 0x80) << "part " << i << " starts mid-character";
    joined += part->body;
  }
  EXPECT_EQ(joined, message);
  EXPECT_GT(wire.size(), 1u);
}

TEST(Envelope, EmptyMessageIsOneEmptyPart) {
  std::vector<std::string> wire = encode_message(PartKind::kRequest, 2, "", 8, 0);
  ASSERT_EQ(wire.size(), 1u);
  Result<Part> part = decode_part(wire[0], 8);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->body, "");
}

TEST(Envelope, ErrorPartCarriesCodeAndMessage) {
  std::string wire = encode_error(9, not_found("no such \"record\"\n"), /*fatal=*/false, 0);
  Result<Part> part = decode_part(wire, 8);
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(part->header.kind, PartKind::kError);
  EXPECT_EQ(part->header.id, 9u);
  EXPECT_FALSE(part->header.fatal);
  Status status = status_from_error(part->header);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "peer: no such \"record\"\n");
}

TEST(Envelope, LongErrorMessagesAreCut) {
  std::string wire = encode_error(1, internal_error(std::string(5000, 'z')), /*fatal=*/true, 0);
  EXPECT_LT(wire.size(), kMaxHeaderBytes);
  Result<Part> part = decode_part(wire, 8);
  ASSERT_TRUE(part.ok());
  EXPECT_TRUE(part->header.fatal);
}

// Found by tests/fuzz (fuzz_envelope): a message of 512 characters that JSON
// escapes (quotes, backslashes, control characters) made a header longer
// than kMaxHeaderBytes, which decode_part refuses.
TEST(Envelope, EscapedErrorMessagesAreCutToFitTheHeader) {
  for (const std::string& message : {std::string(600, '"'), std::string(600, '\\'), std::string(600, '\x01'),
                                     std::string(300, '\x1f') + std::string(300, 'a')}) {
    std::string wire = encode_error(kMaxRequestId, permission_denied(message), /*fatal=*/true, 16);
    EXPECT_LE(wire.size() - 16 - 1, kMaxHeaderBytes);
    Result<Part> part = decode_part(std::string_view(wire).substr(16), 8);
    ASSERT_TRUE(part.ok()) << part.status().to_string();
    EXPECT_EQ(part->header.code, StatusCode::kPermissionDenied);
    EXPECT_TRUE(part->header.fatal);
    EXPECT_FALSE(part->header.message.empty());
    EXPECT_EQ(message.substr(0, part->header.message.size()), part->header.message);
  }
  // A message that fits is not cut.
  std::string fits(kMaxErrorMessageBytes, 'm');
  Result<Part> part = decode_part(encode_error(1, internal_error(fits), false, 0), 8);
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(part->header.message, fits);
}

TEST(Envelope, RejectsMalformedParts) {
  const char* bad[] = {
      "no newline at all",
      "not json\nbody",
      "[1]\nbody",
      "{\"v\":2,\"id\":1,\"kind\":\"request\",\"part\":0,\"parts\":1}\n",
      "{\"v\":1,\"id\":\"1\",\"kind\":\"request\",\"part\":0,\"parts\":1}\n",
      "{\"v\":1,\"id\":1.5,\"kind\":\"request\",\"part\":0,\"parts\":1}\n",
      "{\"v\":1,\"id\":-1,\"kind\":\"request\",\"part\":0,\"parts\":1}\n",
      "{\"v\":1,\"id\":0,\"kind\":\"request\",\"part\":0,\"parts\":1}\n",
      "{\"v\":1,\"id\":1,\"kind\":\"gossip\",\"part\":0,\"parts\":1}\n",
      "{\"v\":1,\"id\":1,\"kind\":\"request\",\"part\":1,\"parts\":1}\n",
      "{\"v\":1,\"id\":1,\"kind\":\"request\",\"part\":0,\"parts\":0}\n",
      "{\"v\":1,\"id\":1,\"kind\":\"request\"}\n",
      "{\"v\":1,\"id\":1,\"kind\":\"error\",\"code\":\"no_such_code\",\"message\":\"\"}\n",
      "{\"v\":1,\"id\":1,\"kind\":\"error\",\"code\":\"internal\",\"message\":\"\"}\nbody",
      "{\"v\":1,\"id\":9007199254740992,\"kind\":\"request\",\"part\":0,\"parts\":1}\n",
  };
  for (const char* wire : bad) {
    Result<Part> part = decode_part(wire, 1024);
    ASSERT_FALSE(part.ok()) << wire;
    EXPECT_EQ(part.status().code(), StatusCode::kInvalidArgument) << wire;
  }
}

TEST(Envelope, RejectsOverlongHeaderAndBody) {
  std::string long_header = "{\"v\":1,\"pad\":\"" + std::string(2000, 'p') + "\"}\n";
  EXPECT_EQ(decode_part(long_header, 1024).status().code(), StatusCode::kInvalidArgument);
  std::string no_newline(4000, 'q');
  EXPECT_EQ(decode_part(no_newline, 1024).status().code(), StatusCode::kInvalidArgument);
  std::vector<std::string> wire = encode_message(PartKind::kRequest, 1, std::string(100, 'b'), 100, 0);
  EXPECT_EQ(decode_part(wire[0], 99).status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace gibkit::plugins::websocket
