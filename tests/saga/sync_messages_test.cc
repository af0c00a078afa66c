// The wire messages: round trips and refusal of malformed input.
#include <gtest/gtest.h>

#include "gibkit/saga/contexts.h"
#include "gibkit/saga/sync_messages.h"
#include "gibkit/saga/timeline.h"

namespace gibkit::saga {
namespace {

IbGib some_record() { return make_stone("note", {{"text", "hello"}}, {}); }

TEST(SyncMessagesTest, ResponseRoundTrips) {
  SyncResponse response;
  response.leg = Leg::kDeltaReply;
  response.saga_id = "abc";
  response.context = make_reply_context(Leg::kDeltaReply, "abc", {{"more", false}}, "keystone^A", "sync_context^B");
  response.payloads = {Payload::of(some_record())};
  auto decoded = decode_response(encode(response));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->leg, Leg::kDeltaReply);
  EXPECT_EQ(decoded->context, response.context);
  EXPECT_EQ(decoded->payloads, response.payloads);
}

TEST(SyncMessagesTest, ErrorResponseCarriesTheCode) {
  SyncResponse response;
  response.leg = Leg::kError;
  response.saga_id = "abc";
  response.error = permission_denied("replay: nope");
  auto decoded = decode_response(encode(response));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->error.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(decoded->error.message().find("replay: nope"), std::string::npos);
}

TEST(SyncMessagesTest, RefusesMalformedMessages) {
  EXPECT_EQ(decode_request("not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_request("[]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_request(R"({"protocol":"other/9","leg":"init","sagaId":"x"})").status().code(),
            StatusCode::kIncompatible);
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/1","leg":"launch","sagaId":"x"})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/1","leg":"ack","sagaId":"x"})").status().code(),
            StatusCode::kInvalidArgument);
  const std::string context = some_record().to_json_text();
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/1","leg":"delta","sagaId":"x","context":)" + context + "}")
                .status()
                .code(),
            StatusCode::kPermissionDenied);
}

TEST(SyncMessagesTest, RefusesRecordsWhoseGibDoesNotMatch) {
  IbGib record = some_record();
  record.gib = std::string(64, 'A');
  SyncResponse response;
  response.leg = Leg::kAck;
  response.saga_id = "abc";
  response.context = record;
  EXPECT_EQ(decode_response(encode(response)).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gibkit::saga
