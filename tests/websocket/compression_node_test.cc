// Compression with peers that are not gibkit's (node/deflate_peer.js, Node's
// `ws` package): ws negotiates permessage-deflate with a receiver that has
// `compression: deflate` when it drops its contexts as gibkit's sender does,
// talks uncompressed when it keeps them, and a hand-made deflate bomb is
// refused while the receiver holds no more than its frame bound.
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gibkit/json.h"
#include "node_script.h"
#include "websocket_transport.h"

namespace gibkit::plugins::websocket {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous(10000);

// Runs node/deflate_peer.js with `arguments`; returns the line it printed, parsed.
json::Object run_peer(const std::string& arguments) {
  return test_support::run_node_result("deflate_peer.js " + arguments);
}

std::string text(const json::Object& line, const std::string& key) {
  const json::Value* value = line.find(key);
  return value != nullptr && value->is_string() ? value->as_string() : "";
}

double number(const json::Value& value, const std::string& key) {
  const json::Value* field = value.find(key);
  return field != nullptr && field->is_number() ? field->as_number() : -1;
}

// A "Vm...:" line of /proc/self/status, in KiB; -1 when absent.
long status_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}

const json::Array& array(const json::Object& line, const std::string& key) {
  static const json::Array empty;
  const json::Value* value = line.find(key);
  return value != nullptr && value->is_array() ? value->as_array() : empty;
}

class WebsocketCompressionNode : public ::testing::Test {
 protected:
  static constexpr std::size_t kFrameBytes = 4096;

  void SetUp() override {
    WebsocketConfig config;
    config.max_message_bytes = 64 * 1024;
    config.max_frame_bytes = kFrameBytes;
    config.handshake_timeout_s = 3;
    config.compression = Compression::kDeflate;
    receiver_ = std::make_unique<WebsocketTransport>(config);
    ASSERT_TRUE(receiver_->listen([](std::string_view request) -> Result<Answer> {
                  return Answer{"echo:" + std::string(request)};
                }).ok());
    config_ = config;
  }

  // A well-behaved gibkit connection still gets its answer.
  void expect_still_serving() {
    WebsocketTransport sender(config_);
    Result<std::unique_ptr<Connection>> connection = sender.connect(receiver_->endpoint());
    ASSERT_TRUE(connection.ok()) << connection.status().to_string();
    Result<std::string> response = (*connection)->request("after", kGenerous);
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    EXPECT_EQ(*response, "echo:after");
  }

  WebsocketConfig config_;
  std::unique_ptr<WebsocketTransport> receiver_;
};

TEST_F(WebsocketCompressionNode, WsThatDropsItsContextsTalksCompressed) {
  json::Object seen = run_peer(receiver_->endpoint() + " echo_no_takeover");
  EXPECT_NE(text(seen, "extensions").find("permessage-deflate"), std::string::npos) << json::stringify(seen);
  ASSERT_EQ(array(seen, "responses").size(), 1u) << json::stringify(seen);
  const json::Value& response = array(seen, "responses")[0];
  // The prose body (sentBytes long) came back whole behind "echo:".
  EXPECT_EQ(number(response, "bodyLength"), number(json::Value(seen), "sentBytes") + 5) << json::stringify(seen);
  EXPECT_TRUE(array(seen, "errors").empty()) << json::stringify(seen);
}

TEST_F(WebsocketCompressionNode, WsThatKeepsItsContextsTalksUncompressed) {
  json::Object seen = run_peer(receiver_->endpoint() + " echo_default");
  EXPECT_EQ(text(seen, "extensions"), "") << json::stringify(seen);
  ASSERT_EQ(array(seen, "responses").size(), 1u) << json::stringify(seen);
  EXPECT_EQ(number(array(seen, "responses")[0], "bodyLength"), number(json::Value(seen), "sentBytes") + 5);
}

// 64 MiB of 'a' in one compressed frame of ~64 KiB. The receiver inflates it
// a chunk at a time, refuses it at max_frame_bytes, and cuts the connection
// rather than inflate the rest only to drop it. Its memory: the process's
// peak resident size (reset before the bomb) grows by far less than the
// bomb, and load() reports nothing held once it is over.
TEST_F(WebsocketCompressionNode, DeflateBombIsRefusedWithinTheFrameBound) {
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";  // resets VmHWM to the current resident size
  }
  const long resident_before = status_kib("VmRSS:");
  const auto start = std::chrono::steady_clock::now();
  json::Object seen = run_peer(receiver_->endpoint() + " bomb 64");
  const auto took = std::chrono::steady_clock::now() - start;
  const long peak = status_kib("VmHWM:");

  EXPECT_NE(text(seen, "extensions").find("permessage-deflate"), std::string::npos) << json::stringify(seen);
  EXPECT_LT(number(json::Value(seen), "sentBytes"), 128 * 1024) << "not a bomb: " << json::stringify(seen);
  EXPECT_TRUE(array(seen, "responses").empty()) << json::stringify(seen);
  ASSERT_EQ(array(seen, "closes").size(), 1u) << json::stringify(seen);
  // The error part (resource_exhausted, fatal) and close 1009 when the peer
  // read them before the cut; otherwise the cut itself (1006).
  const double close = array(seen, "closes")[0].as_number();
  EXPECT_TRUE(close == 1009 || close == 1006) << json::stringify(seen);
  for (const json::Value& error : array(seen, "errors")) {
    if (number(error, "id") < 0) continue;  // the cut, as the socket saw it
    const json::Value* code = error.find("code");
    ASSERT_TRUE(code != nullptr && code->is_string()) << json::stringify(seen);
    EXPECT_EQ(code->as_string(), "resource_exhausted") << json::stringify(seen);
  }
  ASSERT_GT(resident_before, 0);
  EXPECT_LT(peak - resident_before, 8 * 1024) << "peak resident size grew by " << peak - resident_before << " KiB";
  // The cut connection is gone and took its bytes with it.
  for (int i = 0; i < 200 && receiver_->load().connections > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(receiver_->load().connections, 0);
  EXPECT_EQ(receiver_->load().buffered_bytes, 0u);
  EXPECT_LT(took, std::chrono::seconds(10));
  expect_still_serving();
}

}  // namespace
}  // namespace gibkit::plugins::websocket
