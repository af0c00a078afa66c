// The wire messages: round trips and refusal of malformed input.
#include <gtest/gtest.h>

#include "gibkit/saga/contexts.h"
#include "gibkit/saga/sync_messages.h"
#include "gibkit/json.h"
#include "gibkit/record_graph.h"

namespace gibkit::saga {
namespace {

IbGib some_record() { return make_stone("note", {{"text", "hello"}}, {}); }
// Well-formed addresses for the relations of a context.
const std::string kFrame = make_stone("keystone", {{"n", 1}}, {}).address();
const std::string kRequest = make_stone("sync_context delta", {{"seq", 1}}, {}).address();

TEST(SyncMessagesTest, ResponseRoundTrips) {
  SyncResponse response;
  response.leg = Leg::kDeltaReply;
  response.saga_id = "abc";
  response.context = make_reply_context(Leg::kDeltaReply, "abc", {{"more", false}}, kFrame, kRequest);
  response.signed_frame_json = make_stone("keystone", {{"n", 1}}, {}).to_json_text();
  response.payloads = {Payload::of(some_record())};
  auto decoded = decode_response(*encode(response));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->leg, Leg::kDeltaReply);
  EXPECT_EQ(decoded->context, response.context);
  EXPECT_EQ(decoded->signed_frame_json, response.signed_frame_json);
  EXPECT_EQ(decoded->payloads, response.payloads);
}

TEST(SyncMessagesTest, RefusesUnsignedReplies) {
  SyncResponse response;
  response.leg = Leg::kCommitReply;
  response.saga_id = "abc";
  response.context = make_reply_context(Leg::kCommitReply, "abc", {}, kFrame, kRequest);
  response.signed_frame_json = make_stone("keystone", {{"n", 1}}, {}).to_json_text();
  json::Value message = *json::parse(*encode(response));
  message.as_object().erase("signedSessionIdentity");
  EXPECT_EQ(decode_response(json::stringify(message)).status().code(), StatusCode::kPermissionDenied);
}

// The previous protocol version is refused by name, whatever else it says.
TEST(SyncMessagesTest, AnOlderPeerGetsIncompatible) {
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/1","leg":"init","sagaId":"x"})").status().code(),
            StatusCode::kIncompatible);
  EXPECT_EQ(decode_response(R"({"protocol":"gibkit-sync/1","leg":"ack","sagaId":"x"})").status().code(),
            StatusCode::kIncompatible);
}

// A record claiming the primitive gib "gib" while it carries data is not a
// primitive: compute_gib alone would accept it, full validation does not.
TEST(SyncMessagesTest, RefusesARecordThatClaimsThePrimitiveGib) {
  IbGib fake = some_record();
  fake.gib = "gib";
  SyncResponse response;
  response.leg = Leg::kDeltaReply;
  response.saga_id = "abc";
  response.context = make_reply_context(Leg::kDeltaReply, "abc", {{"more", false}}, kFrame, kRequest);
  response.signed_frame_json = make_stone("keystone", {{"n", 1}}, {}).to_json_text();
  response.payloads = {Payload{fake.address(), fake.to_json_text(), {}}};
  EXPECT_EQ(decode_response(*encode(response)).status().code(), StatusCode::kInvalidArgument);
  response.payloads.clear();
  response.signed_frame_json = fake.to_json_text();
  EXPECT_EQ(decode_response(*encode(response)).status().code(), StatusCode::kInvalidArgument);
}

TEST(SyncMessagesTest, ErrorResponseCarriesTheCode) {
  SyncResponse response;
  response.leg = Leg::kError;
  response.saga_id = "abc";
  response.error = permission_denied("replay: nope");
  auto decoded = decode_response(*encode(response));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->error.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(decoded->error.message().find("replay: nope"), std::string::npos);
}

TEST(SyncMessagesTest, RefusesMalformedMessages) {
  EXPECT_EQ(decode_request("not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_request("[]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_request(R"({"protocol":"other/9","leg":"init","sagaId":"x"})").status().code(),
            StatusCode::kIncompatible);
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/2","leg":"launch","sagaId":"x"})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/2","leg":"ack","sagaId":"x"})").status().code(),
            StatusCode::kInvalidArgument);
  const std::string context = some_record().to_json_text();
  EXPECT_EQ(decode_request(R"({"protocol":"gibkit-sync/2","leg":"delta","sagaId":"x","context":)" + context + "}")
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
  response.signed_frame_json = make_stone("keystone", {{"n", 1}}, {}).to_json_text();
  EXPECT_EQ(decode_response(*encode(response)).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gibkit::saga

namespace gibkit::saga {
namespace {

SyncRequest delta_with(std::vector<Payload> payloads) {
  SyncRequest request;
  request.leg = Leg::kDelta;
  request.saga_id = "abc";
  request.context = make_request_context(Leg::kDelta, "abc", {{"seq", 1}}, kFrame, kRequest);
  request.signed_frame_json = make_stone("keystone", {{"n", 1}}, {}).to_json_text();
  request.payloads = std::move(payloads);
  return request;
}

// A receiver authenticates a turn from the head of the message before it
// decodes the payloads, which a stranger can make as large as the transport
// lets it: decode_request_head checks them as JSON only.
TEST(SyncMessagesTest, TheHeadDecodesWithoutThePayloads) {
  std::string junk = *encode(delta_with({}));
  junk.pop_back();
  junk += R"(,"payloads":[{},{},{},{"ib":1}]})";
  Result<SyncRequest> head = decode_request_head(junk);
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  EXPECT_TRUE(head->payloads.empty());
  EXPECT_EQ(head->unparsed_payloads, R"([{},{},{},{"ib":1}])");
  EXPECT_FALSE(decode_payloads(head->unparsed_payloads).ok());
  EXPECT_FALSE(decode_request(junk).ok());

  const std::string genuine = *encode(delta_with({Payload::of(some_record())}));
  Result<SyncRequest> genuine_head = decode_request_head(genuine);
  ASSERT_TRUE(genuine_head.ok()) << genuine_head.status().to_string();
  Result<std::vector<Payload>> payloads = decode_payloads(genuine_head->unparsed_payloads);
  ASSERT_TRUE(payloads.ok()) << payloads.status().to_string();
  EXPECT_EQ(*payloads, std::vector<Payload>{Payload::of(some_record())});
}

// A payload is stored as to_json_text() writes it, whatever form it came
// in: the text as sent is kept only when it is that form already.
TEST(SyncMessagesTest, PayloadsAreKeptInTheFormTheRecordWrites) {
  const IbGib record = make_stone("note", json::Object{{"text", "caf\u00e9 / \"q\""}, {"n", 2.0}},
                                  json::Object{{"ancestor", json::Array{json::Value(kFrame)}}});
  const std::string stored = record.to_json_text();
  const std::string spaced = "{ \"ib\": \"" + record.ib + "\", \"gib\": \"" + record.gib +
                             "\", \"data\": " + json::stringify(*record.data) + ", \"rel8ns\": " +
                             json::stringify(json::Value(*record.rel8ns)) + " }";
  const std::string reordered = "{\"gib\":\"" + record.gib + "\",\"ib\":\"" + record.ib +
                                "\",\"data\":" + json::stringify(*record.data) + ",\"rel8ns\":" +
                                json::stringify(json::Value(*record.rel8ns)) + "}";
  for (const std::string& sent : {stored, spaced, reordered}) {
    Result<std::vector<Payload>> payloads = decode_payloads("[" + sent + "]");
    ASSERT_TRUE(payloads.ok()) << payloads.status().to_string();
    ASSERT_EQ(payloads->size(), 1u);
    EXPECT_EQ((*payloads)[0].json_text, stored) << sent;
    EXPECT_EQ((*payloads)[0].address, record.address());
    EXPECT_EQ((*payloads)[0].related, std::vector<std::string>{kFrame});
  }
}

TEST(SyncMessagesTest, OnlyADeltaCarriesPayloads) {
  SyncRequest commit = delta_with({});
  commit.leg = Leg::kCommit;
  commit.context = make_request_context(Leg::kCommit, "abc", {}, kFrame, kRequest);
  std::string text = *encode(commit);
  text.pop_back();
  text += R"(,"payloads":[]})";
  EXPECT_EQ(decode_request_head(text).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gibkit::saga
