// Bad input from a websocket peer that is not ours (Node's `ws` package, see
// node/bad_input.js). Each case asserts what the peer saw (an error part
// and/or a close code) and that the receiver still serves a well-behaved
// connection afterwards. Then peers that push the receiver against its
// bounds (node/slow_peer.js): a slow handler, a peer that never reads, a
// flood of connections that never upgrade.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "envelope.h"
#include "gibkit/json.h"
#include "held_handler.h"
#include "node_script.h"
#include "websocket_transport.h"

namespace gibkit::plugins::websocket {
namespace {

using std::chrono::milliseconds;
using test_support::HeldHandler;
using test_support::node_command;
using test_support::run_node_result;
constexpr milliseconds kGenerous(10000);

// A node script whose JSON lines are read as it prints them.
class NodeLines {
 public:
  explicit NodeLines(const std::string& arguments) : pipe_(popen(node_command(arguments).c_str(), "r"), pclose) {}

  // The next line, parsed; an empty object (and a test failure) when the
  // script ended without printing one.
  json::Object next() {
    std::string text;
    char buffer[4096];
    while (pipe_ && fgets(buffer, sizeof buffer, pipe_.get()) != nullptr) {
      text += buffer;
      if (text.back() == '\n') break;
    }
    Result<json::Value> parsed = json::parse(text);
    if (!parsed.ok() || !parsed->is_object()) {
      ADD_FAILURE() << "node printed: " << text;
      return json::Object();
    }
    return parsed->as_object();
  }

 private:
  std::unique_ptr<FILE, int (*)(FILE*)> pipe_;
};

// A number field of a line a script printed; -1 when absent.
double number(const json::Object& line, const std::string& key) {
  const json::Value* value = line.find(key);
  return value != nullptr && value->is_number() ? value->as_number() : -1;
}

class WebsocketBadInput : public ::testing::Test {
 protected:
  static constexpr int kMaxConnections = 4;
  static constexpr int kReserved = 1;

  void SetUp() override {
    WebsocketConfig config;
    config.max_message_bytes = 64 * 1024;
    config.max_frame_bytes = 4096;
    config.max_connections = kMaxConnections;
    config.reserved_connections = kReserved;
    config.handshake_timeout_s = 3;
    receiver_ = std::make_unique<WebsocketTransport>(config);
    ASSERT_TRUE(receiver_->listen([](std::string_view request) -> Result<Answer> {
                  return Answer{"echo:" + std::string(request)};
                }).ok());
    sender_ = std::make_unique<WebsocketTransport>(config);
  }

  // Runs one bad_input.js case and parses the line it prints.
  json::Object run_case(const std::string& name, const std::string& extra = "") {
    return run_node_result("bad_input.js " + receiver_->endpoint() + " " + name + " " + extra);
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
  const json::Value* body = responses->as_array()[0].find("body");
  ASSERT_TRUE(body != nullptr && body->is_string()) << json::stringify(seen);
  EXPECT_EQ(body->as_string(), "echo:hello");
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

// Connections that never authenticate hold at most the pending share of the
// slots (max_connections - reserved_connections): each one past it evicts
// the oldest, and a genuine connection still gets in.
TEST_F(WebsocketBadInput, ConnectionFloodEvictsTheOldestPendingConnections) {
  json::Object seen = run_case("connection_flood", std::to_string(kMaxConnections));
  EXPECT_EQ(first_error_code(seen), "");  // an evicted connection is dropped, not told
  constexpr int kPendingShare = kMaxConnections - kReserved;
  const json::Value* open_after_flood = seen.find("openAfterFlood");
  ASSERT_TRUE(open_after_flood != nullptr && open_after_flood->is_number()) << json::stringify(seen);
  EXPECT_EQ(open_after_flood->as_number(), kPendingShare);
  EXPECT_EQ(receiver_->load().evicted, static_cast<std::uint64_t>(kMaxConnections + 3 - kPendingShare));
  expect_still_serving();  // evicting one more
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

// The upgrade is where max_connections applies; before it, only the
// handshake timeout bounds a connection (docs/transport.md says why there is
// no cap of its own). So a flood of TCP connections that never upgrade, far
// more than max_connections, leaves room for a real peer and is cut after
// handshake_timeout_s.
TEST_F(WebsocketBadInput, TcpFloodThatNeverUpgradesIsCutAtTheHandshakeTimeout) {
  constexpr int kFlood = 25 * kMaxConnections;
  std::string endpoint = receiver_->endpoint();
  NodeLines flood("slow_peer.js raw_flood " + endpoint.substr(endpoint.rfind(':') + 1) + " " +
                  std::to_string(kFlood));
  json::Object opened = flood.next();
  ASSERT_EQ(number(opened, "open"), kFlood) << json::stringify(json::Value(opened));
  expect_still_serving();
  json::Object done = flood.next();
  EXPECT_EQ(number(done, "closedByServer"), kFlood) << json::stringify(json::Value(done));
  EXPECT_EQ(receiver_->load().connections, 0);
}

// Waits (at most 30 s) until `done` holds, sampling the receiver's buffered
// bytes every few milliseconds; returns whether it held, and the largest sample.
template <typename Done>
bool watch_until(const WebsocketTransport& receiver, Done done, std::size_t& peak_buffered) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    ReceiverLoad load = receiver.load();
    peak_buffered = std::max(peak_buffered, load.buffered_bytes);
    if (done(load)) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

// A foreign peer sends far more requests than a slow handler takes: the
// receiver runs max_in_flight of them, stops reading the rest (so they back
// up in the peer, not in the receiver) and answers them all once the
// handler is fast again.
TEST(WebsocketBackPressure, SlowHandlerStopsReadingAndEverythingCompletes) {
  WebsocketConfig config;
  config.max_in_flight = 4;
  config.worker_threads = 8;  // more workers than max_in_flight: only the in-flight bound limits concurrency
  // 60 MB of requests: more than loopback socket buffers hold, so a peer whose
  // reader stopped keeps some unsent.
  constexpr int kRequests = 1000;
  constexpr std::size_t kBodyBytes = 60000;
  HeldHandler held;
  WebsocketTransport receiver(config);
  ASSERT_TRUE(receiver.listen(held.handler("done")).ok());

  NodeLines peer("slow_peer.js flood " + receiver.endpoint() + " " + std::to_string(kRequests) + " " +
                 std::to_string(kBodyBytes));
  json::Object settled = peer.next();
  ASSERT_TRUE(held.wait_running(config.max_in_flight));
  EXPECT_GT(number(settled, "unsent"), 0) << "the receiver read everything: " << json::stringify(json::Value(settled));
  // Requests in the handler, plus one websocket message being received.
  const auto in_flight = static_cast<std::size_t>(config.max_in_flight);
  std::size_t bound = in_flight * kBodyBytes + config.max_frame_bytes + kMaxHeaderBytes;
  EXPECT_LE(receiver.load().buffered_bytes, bound);
  EXPECT_EQ(held.peak(), config.max_in_flight);

  held.open();
  json::Object done = peer.next();
  EXPECT_EQ(number(done, "responses"), kRequests) << json::stringify(json::Value(done));
  EXPECT_EQ(number(done, "errors"), 0);
  EXPECT_EQ(held.peak(), config.max_in_flight);
}

// A node script that runs until its standard input closes (finish()); its
// output goes to a temporary file, since the pipe is taken by its input.
class NodeUntilStdinCloses {
 public:
  explicit NodeUntilStdinCloses(const std::string& arguments)
      : output_(std::filesystem::temp_directory_path() /
                ("gibkit-slow-peer-" + std::to_string(getpid()) + "-" + std::to_string(++runs_) + ".json")),
        pipe_(popen((node_command(arguments) + " > '" + output_.string() + "'").c_str(), "w"), pclose) {}
  ~NodeUntilStdinCloses() {
    std::error_code ec;
    std::filesystem::remove(output_, ec);
  }

  // Closes its input, waits for it to exit and returns the line it printed.
  json::Object finish() {
    pipe_.reset();
    std::ifstream file(output_);
    std::stringstream text;
    text << file.rdbuf();
    Result<json::Value> parsed = json::parse(text.str());
    if (!parsed.ok() || !parsed->is_object()) {
      ADD_FAILURE() << "node printed: " << text.str();
      return json::Object();
    }
    return parsed->as_object();
  }

 private:
  static inline std::atomic<int> runs_{0};
  std::filesystem::path output_;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe_;
};

// A foreign peer sends requests and never reads the answers. The receiver's
// queue of unsent answers fills to max_send_queue_bytes, reading from that
// peer stops, other peers are still served, and after idle_timeout_s without
// progress the peer is disconnected and everything held for it is freed.
TEST(WebsocketBackPressure, PeerThatNeverReadsIsBoundedThenDisconnected) {
  WebsocketConfig config;
  config.max_send_queue_bytes = 1024 * 1024;
  config.max_in_flight = 4;
  config.idle_timeout_s = 1;
  // 400 answers of 256 KiB, 100 MiB: more than loopback socket buffers hold.
  constexpr int kRequests = 400;
  constexpr std::size_t kResponseBytes = 256 * 1024;
  WebsocketTransport receiver(config);
  ASSERT_TRUE(receiver.listen([](std::string_view) -> Result<Answer> {
                return Answer{std::string(kResponseBytes, 'a'), Admission::kAuthenticated};
              }).ok());

  NodeUntilStdinCloses peer("slow_peer.js no_read " + receiver.endpoint() + " " + std::to_string(kRequests));
  std::size_t peak = 0;
  ASSERT_TRUE(watch_until(receiver, [&](const ReceiverLoad& load) {
    return load.buffered_bytes >= config.max_send_queue_bytes;
  }, peak)) << "the queue never filled; peak " << peak;

  // Another peer is served meanwhile.
  WebsocketTransport other(config);
  Result<std::unique_ptr<Connection>> connection = other.connect(receiver.endpoint());
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  Result<std::string> response = (*connection)->request("other", kGenerous);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->size(), kResponseBytes);
  connection->reset();

  ASSERT_TRUE(watch_until(receiver, [](const ReceiverLoad& load) { return load.connections == 0; }, peak))
      << "the peer that does not read was never disconnected";
  EXPECT_EQ(receiver.load().buffered_bytes, 0u);
  // Unsent answers of the stalled peer, answers of requests that were
  // running when reading stopped, and the other peer's answer.
  constexpr std::size_t kPartOverhead = 4096;  // LWS_PRE and part headers of one answer's parts, generously
  const auto in_flight = static_cast<std::size_t>(config.max_in_flight);
  std::size_t bound = config.max_send_queue_bytes + (in_flight + 1) * (kResponseBytes + kPartOverhead);
  EXPECT_LE(peak, bound);

  json::Object seen = peer.finish();
  EXPECT_LT(number(seen, "responses"), kRequests) << json::stringify(json::Value(seen));
  const json::Value* closes = seen.find("closes");
  EXPECT_TRUE(closes != nullptr && closes->is_array() && !closes->as_array().empty())
      << json::stringify(json::Value(seen));
}

}  // namespace
}  // namespace gibkit::plugins::websocket
