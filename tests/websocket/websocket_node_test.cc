// Bad input from a websocket peer that is not ours (Node's `ws` package, see
// node/bad_input.js). Each case asserts what the peer saw (an error part
// and/or a close code) and that the receiver still serves a well-behaved
// connection afterwards.
#include <cstdio>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "gibkit/json.h"
#include "websocket_transport.h"

namespace gibkit::plugins::websocket {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous(10000);

// Runs a node script from the test's node folder; returns its stdout.
std::string run_node(const std::string& arguments) {
  std::string command = std::string(GIBKIT_TEST_NODE) + " " + GIBKIT_TEST_NODE_DIR + "/" + arguments;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return "";
  std::string output;
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) output.append(buffer, n);
  return output;
}

class WebsocketBadInput : public ::testing::Test {
 protected:
  static constexpr int kMaxConnections = 4;

  void SetUp() override {
    WebsocketConfig config;
    config.max_message_bytes = 64 * 1024;
    config.max_frame_bytes = 4096;
    config.max_connections = kMaxConnections;
    config.handshake_timeout_s = 3;
    receiver_ = std::make_unique<WebsocketTransport>(config);
    ASSERT_TRUE(receiver_->listen([](std::string_view request) -> Result<std::string> {
                  return "echo:" + std::string(request);
                }).ok());
    sender_ = std::make_unique<WebsocketTransport>(config);
  }

  // Runs one bad_input.js case and parses the line it prints.
  json::Object run_case(const std::string& name, const std::string& extra = "") {
    std::string output = run_node("bad_input.js " + receiver_->endpoint() + " " + name + " " + extra);
    Result<json::Value> parsed = json::parse(output);
    EXPECT_TRUE(parsed.ok() && parsed->is_object()) << "node printed: " << output;
    if (!parsed.ok() || !parsed->is_object()) return json::Object();
    EXPECT_FALSE(parsed->find("timedOut")->truthy()) << output;
    return parsed->as_object();
  }

  // The first error part the peer got: its code, and "+fatal" when it said
  // the connection is closing ("" when there was none).
  static std::string first_error_code(const json::Object& seen) {
    const json::Value* errors = seen.find("errors");
    if (errors == nullptr || !errors->is_array() || errors->as_array().empty()) return "";
    const json::Value& error = errors->as_array()[0];
    const json::Value* code = error.find("code");
    const json::Value* fatal = error.find("fatal");
    std::string text = code != nullptr && code->is_string() ? code->as_string() : "?";
    return fatal != nullptr && fatal->truthy() ? text + "+fatal" : text;
  }

  static double first_close_code(const json::Object& seen) {
    const json::Value* closes = seen.find("closes");
    if (closes == nullptr || !closes->is_array() || closes->as_array().empty()) return -1;
    return closes->as_array()[0].as_number();
  }

  // A normal request on a fresh connection still succeeds.
  void expect_still_serving() {
    Result<std::unique_ptr<Connection>> connection = sender_->connect(receiver_->endpoint());
    ASSERT_TRUE(connection.ok()) << connection.status().to_string();
    Result<std::string> response = (*connection)->request("{\"still\":\"here\"}", kGenerous);
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    EXPECT_EQ(*response, "echo:{\"still\":\"here\"}");
  }

  void expect_protocol_error(const std::string& name, const std::string& code, int close_code,
                             const std::string& extra = "") {
    SCOPED_TRACE(name);
    json::Object seen = run_case(name, extra);
    EXPECT_EQ(first_error_code(seen), code + "+fatal") << json::stringify(json::Value(seen));
    EXPECT_EQ(first_close_code(seen), close_code) << json::stringify(json::Value(seen));
    expect_still_serving();
  }

  std::unique_ptr<WebsocketTransport> receiver_;
  std::unique_ptr<WebsocketTransport> sender_;
};

TEST_F(WebsocketBadInput, WellFormedRequestFromNodeIsAnswered) {
  json::Object seen = run_case("ok");
  const json::Value* responses = seen.find("responses");
  ASSERT_TRUE(responses != nullptr && responses->is_array() && responses->as_array().size() == 1);
  EXPECT_EQ(responses->as_array()[0].find("body")->as_string(), "echo:hello");
  EXPECT_EQ(first_error_code(seen), "");
  EXPECT_EQ(first_close_code(seen), 1000);
}

TEST_F(WebsocketBadInput, NotJson) { expect_protocol_error("not_json", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, NoHeaderLine) { expect_protocol_error("no_header_line", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, HeaderNotAnObject) { expect_protocol_error("header_not_object", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, WrongFieldType) { expect_protocol_error("wrong_field_type", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, MissingField) { expect_protocol_error("missing_field", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, WrongVersion) { expect_protocol_error("wrong_version", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, UnknownKind) { expect_protocol_error("unknown_kind", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, ResponseSentToReceiver) {
  expect_protocol_error("response_to_receiver", "invalid_argument", 1002);
}
TEST_F(WebsocketBadInput, ReservedIdZero) { expect_protocol_error("id_zero", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, BinaryFrame) { expect_protocol_error("binary", "invalid_argument", 1003); }
TEST_F(WebsocketBadInput, OversizedFrame) {
  expect_protocol_error("oversized_frame", "resource_exhausted", 1009, "20000");
}
TEST_F(WebsocketBadInput, OversizedMessageInParts) {
  expect_protocol_error("oversized_message", "resource_exhausted", 1009, "4000");
}
TEST_F(WebsocketBadInput, DuplicateRequestId) { expect_protocol_error("duplicate_id", "invalid_argument", 1002); }
TEST_F(WebsocketBadInput, PartOfUnknownRequest) {
  expect_protocol_error("unknown_id_part", "invalid_argument", 1002);
}
TEST_F(WebsocketBadInput, PartsOutOfOrder) { expect_protocol_error("out_of_order", "invalid_argument", 1002); }

TEST_F(WebsocketBadInput, InvalidUtf8IsClosedByTheLibrary) {
  json::Object seen = run_case("invalid_utf8");
  EXPECT_EQ(first_close_code(seen), 1007);
  expect_still_serving();
}

TEST_F(WebsocketBadInput, HalfClosedConnection) {
  json::Object seen = run_case("half_close");
  EXPECT_NE(first_close_code(seen), -1);  // the receiver closed its side too
  expect_still_serving();
}

TEST_F(WebsocketBadInput, GarbageFramingAfterUpgrade) {
  json::Object seen = run_case("garbage_after_upgrade");
  EXPECT_NE(first_close_code(seen), -1);
  expect_still_serving();
}

TEST_F(WebsocketBadInput, ConnectionFloodIsCappedAtMaxConnections) {
  json::Object seen = run_case("connection_flood", std::to_string(kMaxConnections));
  EXPECT_EQ(first_error_code(seen), "resource_exhausted+fatal");
  const json::Value* errors = seen.find("errors");
  ASSERT_TRUE(errors != nullptr && errors->is_array());
  EXPECT_EQ(errors->as_array().size(), 3u);  // one per refused connection
  EXPECT_EQ(first_close_code(seen), 1013);
  EXPECT_EQ(seen.find("openAfterFlood")->as_number(), kMaxConnections);
  expect_still_serving();  // the flood has gone, so there is room again
}

// The sender's side of a dropped socket, against a foreign server
// (node/drop_server.js) that destroys the first connection when a request
// arrives and answers on later ones.
TEST(WebsocketSenderAgainstNode, InFlightRequestFailsWhenTheSocketDropsThenReconnects) {
  std::string command = std::string(GIBKIT_TEST_NODE) + " " + GIBKIT_TEST_NODE_DIR + "/drop_server.js 15000";
  std::unique_ptr<FILE, int (*)(FILE*)> server(popen(command.c_str(), "r"), pclose);
  ASSERT_TRUE(server);
  char line[64] = {};
  ASSERT_NE(fgets(line, sizeof line, server.get()), nullptr);
  std::string url = "ws://127.0.0.1:" + std::to_string(std::atoi(line));

  WebsocketTransport sender(WebsocketConfig{});
  Result<std::unique_ptr<Connection>> connection = sender.connect(url);
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  Result<std::string> dropped = (*connection)->request("first", kGenerous);
  EXPECT_EQ(dropped.status().code(), StatusCode::kUnavailable) << dropped.status().to_string();
  Result<std::string> again = (*connection)->request("second", kGenerous);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(*again, "echo:second");
  connection->reset();  // the server exits when this socket closes; pclose waits for it
}

}  // namespace
}  // namespace gibkit::plugins::websocket
