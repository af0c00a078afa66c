// The websocket transport end to end over loopback: round trips, concurrency,
// chunking, limits, timeouts, reconnecting and TLS.
#include "held_handler.h"
#include "websocket_transport.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace gibkit::plugins::websocket {
namespace {

using std::chrono::milliseconds;
using test_support::HeldHandler;
constexpr milliseconds kGenerous(10000);  // for requests that must succeed

WebsocketConfig small_config() {
  WebsocketConfig config;
  config.max_message_bytes = 1024 * 1024;
  config.max_frame_bytes = 1024;
  config.max_send_queue_bytes = 4 * 1024 * 1024;
  config.handshake_timeout_s = 5;
  return config;
}

// Echoes, and admits the connection (as an authenticated request would).
RequestHandler echo() {
  return [](std::string_view request) -> Result<Answer> {
    return Answer{"echo:" + std::string(request), Admission::kAuthenticated};
  };
}

// A receiver with `handler` and a connection to it.
struct Pair {
  explicit Pair(WebsocketConfig config = small_config(), RequestHandler handler = echo())
      : receiver(config), sender(config) {
    Status listening = receiver.listen(std::move(handler));
    EXPECT_TRUE(listening.ok()) << listening.to_string();
    Result<std::unique_ptr<Connection>> opened = sender.connect(receiver.endpoint());
    EXPECT_TRUE(opened.ok()) << opened.status().to_string();
    if (opened.ok()) connection = std::move(*opened);
  }
  WebsocketTransport receiver;
  WebsocketTransport sender;
  std::unique_ptr<Connection> connection;
};

TEST(WebsocketTransport, EndpointReportsTheBoundPort) {
  WebsocketTransport transport(small_config());
  EXPECT_EQ(transport.endpoint(), "");
  ASSERT_TRUE(transport.listen(echo()).ok());
  std::string endpoint = transport.endpoint();
  EXPECT_EQ(endpoint.rfind("ws://127.0.0.1:", 0), 0u) << endpoint;
  EXPECT_NE(endpoint, "ws://127.0.0.1:0");
  EXPECT_EQ(transport.listen(echo()).code(), StatusCode::kFailedPrecondition);
  transport.stop();
  EXPECT_EQ(transport.endpoint(), "");
}

TEST(WebsocketTransport, RoundTrip) {
  Pair pair;
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request("{\"hello\":\"world\"}", kGenerous);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(*response, "echo:{\"hello\":\"world\"}");
}

TEST(WebsocketTransport, EmptyAndUnicodeMessagesSurvive) {
  Pair pair;
  ASSERT_TRUE(pair.connection);
  for (std::string message : {std::string(), std::string("caf\xC3\xA9 \xF0\x9F\x98\x80 \"quoted\"\\n")}) {
    Result<std::string> response = pair.connection->request(message, kGenerous);
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    EXPECT_EQ(*response, "echo:" + message);
  }
}

TEST(WebsocketTransport, HandlerErrorReachesTheCallerWithItsCode) {
  Pair pair(small_config(), [](std::string_view) -> Result<Answer> {
    return permission_denied("keystone proof does not match");
  });
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request("x", kGenerous);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(response.status().message().find("keystone proof does not match"), std::string::npos);
}

TEST(WebsocketTransport, HandlerExceptionBecomesInternalError) {
  Pair pair(small_config(), [](std::string_view) -> Result<Answer> { throw std::runtime_error("boom"); });
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request("x", kGenerous);
  EXPECT_EQ(response.status().code(), StatusCode::kInternal);
  // The receiver survived and still answers.
  EXPECT_EQ(pair.connection->request("y", kGenerous).status().code(), StatusCode::kInternal);
}

TEST(WebsocketTransport, ManyConcurrentRequestsOnOneConnection) {
  WebsocketConfig config = small_config();
  config.max_in_flight = 8;  // fewer than the callers, so some wait for a slot
  config.worker_threads = 4;
  Pair pair(config);
  ASSERT_TRUE(pair.connection);
  // Until its first request is answered the connection is pending, and a
  // pending connection may have only one request at a time.
  ASSERT_TRUE(pair.connection->request("hello", kGenerous).ok());
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every third message spans several parts, so parts of different
        // requests and responses share the socket.
        std::string message = std::to_string(t) + "/" + std::to_string(i) + std::string(i % 3 == 0 ? 3000 : 10, '.');
        Result<std::string> response = pair.connection->request(message, kGenerous);
        if (response.ok() && *response == "echo:" + message) ++good;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kPerThread);
}

TEST(WebsocketTransport, LargeMessageIsChunkedAndReassembled) {
  // max_frame_bytes is 1 KiB: the receiver refuses any single websocket
  // message above that (plus a header), so a 600 KiB round trip proves the
  // message went as parts both ways.
  Pair pair;
  ASSERT_TRUE(pair.connection);
  std::string message;
  while (message.size() < 600 * 1024) message += "{\"k\":\"caf\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"},";
  Result<std::string> response = pair.connection->request(message, kGenerous);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->size(), message.size() + 5);
  EXPECT_TRUE(*response == "echo:" + message);
}

TEST(WebsocketTransport, OversizedRequestIsRejectedBeforeSending) {
  Pair pair;
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request(std::string(1024 * 1024 + 1, 'x'), kGenerous);
  EXPECT_EQ(response.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(pair.connection->request("still fine", kGenerous).ok());
}

TEST(WebsocketTransport, OversizedResponseIsReportedNotSent) {
  Pair pair(small_config(), [](std::string_view) -> Result<Answer> { return Answer{std::string(2 * 1024 * 1024, 'r')}; });
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request("big please", kGenerous);
  EXPECT_EQ(response.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(response.status().message().find("max_message_bytes"), std::string::npos);
}

TEST(WebsocketTransport, PeerWithSmallerLimitRefusesOversizedRequest) {
  WebsocketConfig receiver_config = small_config();
  receiver_config.max_message_bytes = 4096;
  WebsocketTransport receiver(receiver_config);
  ASSERT_TRUE(receiver.listen(echo()).ok());
  WebsocketTransport sender(small_config());
  Result<std::unique_ptr<Connection>> connection = sender.connect(receiver.endpoint());
  ASSERT_TRUE(connection.ok());
  Result<std::string> response = (*connection)->request(std::string(8192, 'x'), kGenerous);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kResourceExhausted) << response.status().to_string();
  // The receiver closed that socket; the connection reconnects for the next request.
  Result<std::string> next = (*connection)->request("small", kGenerous);
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*next, "echo:small");
}

TEST(WebsocketTransport, RequestTimesOutAndTheConnectionStaysUsable) {
  HeldHandler gate;
  WebsocketConfig config = small_config();
  config.worker_threads = 2;
  Pair pair(config, gate.handler());
  ASSERT_TRUE(pair.connection);
  // Admitted first: a pending connection may have one request at a time, and
  // "fast" may arrive before the late answer to "slow" has gone out.
  ASSERT_TRUE(pair.connection->request("hello", kGenerous).ok());
  Result<std::string> response = pair.connection->request("slow", milliseconds(200));
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded);
  gate.open();  // the late answer arrives and is dropped
  Result<std::string> next = pair.connection->request("fast", kGenerous);
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*next, "fast");
}

TEST(WebsocketTransport, ConfiguredTimeoutCapsTheCallersTimeout) {
  HeldHandler gate;
  WebsocketConfig config = small_config();
  config.request_timeout_ms = 200;
  Pair pair(config, gate.handler());
  ASSERT_TRUE(pair.connection);
  EXPECT_EQ(pair.connection->request("slow", std::chrono::hours(1)).status().code(), StatusCode::kDeadlineExceeded);
  gate.open();
}

TEST(WebsocketTransport, ConnectToNothingIsUnavailable) {
  int port;
  {
    WebsocketTransport probe(small_config());
    ASSERT_TRUE(probe.listen(echo()).ok());
    std::string endpoint = probe.endpoint();
    port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  }
  WebsocketTransport sender(small_config());
  Result<std::unique_ptr<Connection>> connection = sender.connect("ws://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(connection.status().code(), StatusCode::kUnavailable);
}

TEST(WebsocketTransport, MalformedUrlsAreInvalidArguments) {
  WebsocketTransport sender(small_config());
  for (const char* url : {"http://127.0.0.1:80", "127.0.0.1:80", "ws://:80", "ws://127.0.0.1:99999", ""}) {
    EXPECT_EQ(sender.connect(url).status().code(), StatusCode::kInvalidArgument) << url;
  }
}

TEST(WebsocketTransport, BusyPortIsUnavailable) {
  WebsocketTransport first(small_config());
  ASSERT_TRUE(first.listen(echo()).ok());
  std::string endpoint = first.endpoint();
  WebsocketConfig config = small_config();
  config.port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  WebsocketTransport second(config);
  EXPECT_EQ(second.listen(echo()).code(), StatusCode::kUnavailable);
}

TEST(WebsocketTransport, ServerRestartThenReconnect) {
  WebsocketConfig config = small_config();
  auto first = std::make_unique<WebsocketTransport>(config);
  ASSERT_TRUE(first->listen(echo()).ok());
  std::string endpoint = first->endpoint();
  WebsocketTransport sender(config);
  Result<std::unique_ptr<Connection>> connection = sender.connect(endpoint);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE((*connection)->request("before", kGenerous).ok());

  first->stop();
  Result<std::string> down = (*connection)->request("while down", kGenerous);
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable) << down.status().to_string();

  config.port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  WebsocketTransport second(config);
  ASSERT_TRUE(second.listen([](std::string_view r) -> Result<Answer> { return Answer{"second:" + std::string(r)}; }).ok());
  Result<std::string> after = (*connection)->request("after", kGenerous);
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(*after, "second:after");
}

// Waits (at most 20 s) until the receiver has `n` connections.
bool wait_connections(const WebsocketTransport& receiver, int n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (receiver.load().connections != n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

TEST(WebsocketTransport, IdleConnectionIsClosedAndTheNextRequestReconnects) {
  WebsocketConfig config = small_config();
  config.idle_timeout_s = 1;
  Pair pair(config);
  ASSERT_TRUE(pair.connection);
  ASSERT_TRUE(pair.connection->request("first", kGenerous).ok());
  EXPECT_EQ(pair.receiver.load().connections, 1);
  ASSERT_TRUE(wait_connections(pair.receiver, 0)) << "the idle connection was never closed";
  Result<std::string> again = pair.connection->request("second", kGenerous);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(*again, "echo:second");
  EXPECT_EQ(pair.receiver.load().connections, 1);
}

TEST(WebsocketTransport, RequestRunningLongerThanTheIdleTimeoutIsAnswered) {
  WebsocketConfig config = small_config();
  config.idle_timeout_s = 1;
  Pair pair(config, [](std::string_view request) -> Result<Answer> {
    std::this_thread::sleep_for(milliseconds(2500));  // well past idle_timeout_s: the connection is busy, not idle
    return Answer{std::string(request)};
  });
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request("slow", kGenerous);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(*response, "slow");
}

TEST(WebsocketTransport, ConnectionOutlivesItsTransport) {
  WebsocketTransport receiver(small_config());
  ASSERT_TRUE(receiver.listen(echo()).ok());
  std::unique_ptr<Connection> connection;
  {
    WebsocketTransport sender(small_config());
    Result<std::unique_ptr<Connection>> opened = sender.connect(receiver.endpoint());
    ASSERT_TRUE(opened.ok());
    connection = std::move(*opened);
  }
  EXPECT_TRUE(connection->request("x", kGenerous).ok());
}

TEST(WebsocketTransport, StopWaitsForRunningHandlers) {
  HeldHandler gate;
  auto receiver = std::make_unique<WebsocketTransport>(small_config());
  ASSERT_TRUE(receiver->listen(gate.handler()).ok());
  WebsocketTransport sender(small_config());
  Result<std::unique_ptr<Connection>> connection = sender.connect(receiver->endpoint());
  ASSERT_TRUE(connection.ok());
  std::thread caller([&] { (void)(*connection)->request("held", kGenerous); });
  ASSERT_TRUE(gate.wait_running(1));
  std::thread opener([&] {
    std::this_thread::sleep_for(milliseconds(50));
    gate.open();
  });
  receiver.reset();  // returns only after the handler has
  opener.join();
  caller.join();
}

// A self-signed certificate for 127.0.0.1 made with the openssl CLI.
class TempCertificate {
 public:
  TempCertificate() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gibkit-wire-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
                          " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
                          " -keyout '" + key() + "' -out '" + cert() + "' >/dev/null 2>&1";
    ok_ = std::system(command.c_str()) == 0;
  }
  ~TempCertificate() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

TEST(WebsocketTransport, TlsRoundTripWithTrustedCertificate) {
  TempCertificate certificate;
  ASSERT_TRUE(certificate.ok());
  WebsocketConfig config = small_config();
  config.tls_cert = certificate.cert();
  config.tls_key = certificate.key();
  config.tls_ca = certificate.cert();
  Pair pair(config);
  EXPECT_EQ(pair.receiver.endpoint().rfind("wss://127.0.0.1:", 0), 0u);
  ASSERT_TRUE(pair.connection);
  Result<std::string> response = pair.connection->request(std::string(5000, 's'), kGenerous);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(*response, "echo:" + std::string(5000, 's'));
}

TEST(WebsocketTransport, TlsInsecureSkipVerifyAcceptsAnyCertificate) {
  TempCertificate certificate;
  ASSERT_TRUE(certificate.ok());
  WebsocketConfig receiver_config = small_config();
  receiver_config.tls_cert = certificate.cert();
  receiver_config.tls_key = certificate.key();
  WebsocketTransport receiver(receiver_config);
  ASSERT_TRUE(receiver.listen(echo()).ok());
  WebsocketConfig sender_config = small_config();
  sender_config.tls_insecure_skip_verify = true;
  WebsocketTransport sender(sender_config);
  Result<std::unique_ptr<Connection>> connection = sender.connect(receiver.endpoint());
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  EXPECT_TRUE((*connection)->request("x", kGenerous).ok());
}

TEST(WebsocketTransport, TlsUntrustedCertificateIsRefused) {
  TempCertificate certificate;
  ASSERT_TRUE(certificate.ok());
  WebsocketConfig receiver_config = small_config();
  receiver_config.tls_cert = certificate.cert();
  receiver_config.tls_key = certificate.key();
  WebsocketTransport receiver(receiver_config);
  ASSERT_TRUE(receiver.listen(echo()).ok());
  WebsocketTransport sender(small_config());  // trusts nothing it was not told to
  EXPECT_EQ(sender.connect(receiver.endpoint()).status().code(), StatusCode::kUnavailable);
}

TEST(WebsocketTransport, MissingTlsFilesAreInvalidArguments) {
  WebsocketConfig config = small_config();
  config.tls_cert = "/nonexistent/cert.pem";
  config.tls_key = "/nonexistent/key.pem";
  WebsocketTransport receiver(config);
  EXPECT_EQ(receiver.listen(echo()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gibkit::plugins::websocket
