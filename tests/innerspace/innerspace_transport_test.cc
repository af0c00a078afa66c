// The innerspace transport: two kernels in one process.
#include "innerspace_transport.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "innerspace_config.h"

namespace gibkit::plugins::innerspace {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous(10000);

InnerspaceConfig named(std::string name, std::size_t max_message_bytes = 1024) {
  InnerspaceConfig config;
  config.name = std::move(name);
  config.max_message_bytes = max_message_bytes;
  return config;
}

RequestHandler echo(std::string prefix = "echo:") {
  return [prefix](std::string_view request) -> Result<Answer> { return Answer{prefix + std::string(request)}; };
}

TEST(Innerspace, RoundTripByName) {
  InnerspaceTransport bob(named("bob-roundtrip"));
  ASSERT_TRUE(bob.listen(echo()).ok());
  EXPECT_EQ(bob.endpoint(), "innerspace://bob-roundtrip");
  InnerspaceTransport alice(InnerspaceConfig{});
  Result<std::unique_ptr<Connection>> connection = alice.connect("innerspace://bob-roundtrip");
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  Result<std::string> response = (*connection)->request("{\"hi\":1}", kGenerous);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(*response, "echo:{\"hi\":1}");
}

TEST(Innerspace, HandlerGetsACopyNotTheCallersBuffer) {
  const char* seen = nullptr;
  InnerspaceTransport bob(named("bob-copy"));
  ASSERT_TRUE(bob.listen([&](std::string_view request) -> Result<Answer> {
                seen = request.data();
                return Answer{std::string(request)};
              }).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  std::string message = "payload";
  ASSERT_TRUE((*connection)->request(message, kGenerous).ok());
  EXPECT_NE(seen, message.data());
}

TEST(Innerspace, HandlerErrorsKeepTheirCode) {
  InnerspaceTransport bob(named("bob-errors"));
  ASSERT_TRUE(bob.listen([](std::string_view) -> Result<Answer> { return aborted("conflict"); }).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  EXPECT_EQ((*connection)->request("x", kGenerous).status().code(), StatusCode::kAborted);
}

TEST(Innerspace, HandlerExceptionBecomesInternalError) {
  InnerspaceTransport bob(named("bob-throws"));
  ASSERT_TRUE(bob.listen([](std::string_view) -> Result<Answer> { throw std::runtime_error("boom"); }).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  EXPECT_EQ((*connection)->request("x", kGenerous).status().code(), StatusCode::kInternal);
}

TEST(Innerspace, UnknownNameIsUnavailable) {
  InnerspaceTransport alice(InnerspaceConfig{});
  EXPECT_EQ(alice.connect("innerspace://nobody-here").status().code(), StatusCode::kUnavailable);
}

TEST(Innerspace, MalformedUrlIsInvalidArgument) {
  InnerspaceTransport alice(InnerspaceConfig{});
  for (const char* url : {"ws://127.0.0.1:1", "innerspace://", "bob"}) {
    EXPECT_EQ(alice.connect(url).status().code(), StatusCode::kInvalidArgument) << url;
  }
}

TEST(Innerspace, ListenNeedsAFreeName) {
  InnerspaceTransport unnamed(InnerspaceConfig{});
  EXPECT_EQ(unnamed.listen(echo()).code(), StatusCode::kInvalidArgument);
  InnerspaceTransport first(named("bob-taken"));
  ASSERT_TRUE(first.listen(echo()).ok());
  EXPECT_EQ(first.listen(echo()).code(), StatusCode::kFailedPrecondition);
  InnerspaceTransport second(named("bob-taken"));
  EXPECT_EQ(second.listen(echo()).code(), StatusCode::kAlreadyExists);
}

TEST(Innerspace, StoppedReceiverIsUnavailableAndRestartReconnects) {
  auto bob = std::make_unique<InnerspaceTransport>(named("bob-restart"));
  ASSERT_TRUE(bob->listen(echo("first:")).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob->endpoint());
  ASSERT_TRUE(connection.ok());
  EXPECT_EQ(*(*connection)->request("a", kGenerous), "first:a");

  bob->stop();
  EXPECT_EQ(bob->endpoint(), "");
  EXPECT_EQ((*connection)->request("b", kGenerous).status().code(), StatusCode::kUnavailable);

  ASSERT_TRUE(bob->listen(echo("second:")).ok());
  EXPECT_EQ(*(*connection)->request("c", kGenerous), "second:c");
  bob.reset();  // destruction stops too
  EXPECT_EQ((*connection)->request("d", kGenerous).status().code(), StatusCode::kUnavailable);
}

TEST(Innerspace, MessageSizeIsBoundedBothWays) {
  InnerspaceTransport bob(named("bob-limits", 16));
  ASSERT_TRUE(bob.listen([](std::string_view request) -> Result<Answer> {
                return Answer{std::string(request.size() * 2, 'r')};
              }).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(named("", 1024)).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  EXPECT_TRUE((*connection)->request("12345678", kGenerous).ok());  // 16-byte response fits
  EXPECT_EQ((*connection)->request("123456789", kGenerous).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*connection)->request(std::string(17, 'x'), kGenerous).status().code(), StatusCode::kResourceExhausted);
  // The sender's own bound applies before the receiver is asked.
  Result<std::unique_ptr<Connection>> tight = InnerspaceTransport(named("", 4)).connect(bob.endpoint());
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ((*tight)->request("12345", kGenerous).status().code(), StatusCode::kResourceExhausted);
}

TEST(Innerspace, LateAnswerIsDeadlineExceeded) {
  InnerspaceTransport bob(named("bob-slow"));
  ASSERT_TRUE(bob.listen([](std::string_view) -> Result<Answer> {
                std::this_thread::sleep_for(milliseconds(100));
                return Answer{"late"};
              }).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  EXPECT_EQ((*connection)->request("x", milliseconds(1)).status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE((*connection)->request("x", kGenerous).ok());
}

TEST(Innerspace, ManyConcurrentRequests) {
  InnerspaceTransport bob(named("bob-concurrent"));
  ASSERT_TRUE(bob.listen(echo()).ok());
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        std::string message = std::to_string(t) + ":" + std::to_string(i);
        Result<std::string> response = (*connection)->request(message, kGenerous);
        if (response.ok() && *response == "echo:" + message) ++good;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 800);
}

TEST(Innerspace, StopWaitsForRunningHandlersThenReleasesTheHandler) {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool finished = false;
  auto alive = std::make_shared<int>(0);  // copied into the handler; gone when the handler is released
  std::weak_ptr<int> watch = alive;
  InnerspaceTransport bob(named("bob-stop"));
  ASSERT_TRUE(bob.listen([&, alive](std::string_view) -> Result<Answer> {
                {
                  std::lock_guard lock(mutex);
                  entered = true;
                }
                changed.notify_all();
                std::this_thread::sleep_for(milliseconds(50));
                std::lock_guard lock(mutex);
                finished = true;
                return Answer{"done"};
              }).ok());
  alive.reset();
  Result<std::unique_ptr<Connection>> connection = InnerspaceTransport(InnerspaceConfig{}).connect(bob.endpoint());
  ASSERT_TRUE(connection.ok());
  std::thread caller([&] { EXPECT_TRUE((*connection)->request("x", kGenerous).ok()); });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return entered; });
  }
  bob.stop();
  {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(finished);  // stop() returned only after the running call did
  }
  EXPECT_TRUE(watch.expired());  // and the handler is released
  caller.join();
}

TEST(InnerspaceConfig, ParsesAndRejects) {
  Result<json::Value> good = json::parse(R"({"name": "node-a.1", "max_message_bytes": 2048})");
  ASSERT_TRUE(good.ok());
  Result<InnerspaceConfig> config = parse_innerspace_config(good->as_object());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->name, "node-a.1");
  EXPECT_EQ(config->max_message_bytes, 2048u);
  for (const char* text : {R"({"name": "has space"})", R"({"name": 3})", R"({"max_message_bytes": 0})",
                           R"({"max_message_bytes": 1.5})", R"({"nmae": "x"})"}) {
    Result<json::Value> bad = json::parse(text);
    ASSERT_TRUE(bad.ok());
    EXPECT_EQ(parse_innerspace_config(bad->as_object()).status().code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_EQ(innerspace_config_schema().size(), 2u);
}

}  // namespace
}  // namespace gibkit::plugins::innerspace
