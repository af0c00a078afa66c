// Admission (docs/transport.md): what a connection may do before a request on
// it authenticates, decided by the kernel's verdict (gibkit::Admission) that
// comes back with each answer. Our own sender end drives the receiver over
// loopback; the handlers here give the verdicts a kernel would.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "websocket_transport.h"

namespace gibkit::plugins::websocket {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous(10000);

WebsocketConfig admission_config() {
  WebsocketConfig config;
  config.max_message_bytes = 1024 * 1024;
  config.max_frame_bytes = 1024;
  config.max_connections = 6;
  config.reserved_connections = 2;
  config.preauth_max_message_bytes = 4 * 1024;
  config.handshake_timeout_s = 5;
  return config;
}

// "hello" authenticates, "bad" is refused, anything else learns nothing.
RequestHandler gatekeeper() {
  return [](std::string_view request) -> Result<Answer> {
    if (request == "hello") return Answer{"welcome", Admission::kAuthenticated};
    if (request == "bad") return Answer{"refused", Admission::kRefused};
    return Answer{"echo:" + std::string(request), Admission::kPending};
  };
}

// Polls the receiver until `done` holds (at most 10 s).
template <typename Done>
bool eventually(const WebsocketTransport& receiver, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(receiver.load())) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

struct Receiver {
  explicit Receiver(const WebsocketConfig& config, RequestHandler handler = gatekeeper())
      : transport(config), sender(config) {
    Status listening = transport.listen(std::move(handler));
    EXPECT_TRUE(listening.ok()) << listening.to_string();
  }
  std::unique_ptr<Connection> connect() {
    Result<std::unique_ptr<Connection>> connection = sender.connect(transport.endpoint());
    EXPECT_TRUE(connection.ok()) << connection.status().to_string();
    return connection.ok() ? std::move(*connection) : nullptr;
  }
  std::unique_ptr<Connection> admitted() {
    std::unique_ptr<Connection> connection = connect();
    Result<std::string> answer = connection->request("hello", kGenerous);
    EXPECT_TRUE(answer.ok() && *answer == "welcome") << answer.status().to_string();
    return connection;
  }
  WebsocketTransport transport;
  WebsocketTransport sender;
};

TEST(WebsocketAdmission, RefusedRequestIsAnsweredThenItsPendingConnectionCloses) {
  Receiver receiver(admission_config());
  std::unique_ptr<Connection> connection = receiver.connect();
  ASSERT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) { return load.pending == 1; }));
  Result<std::string> answer = connection->request("bad", kGenerous);
  ASSERT_TRUE(answer.ok()) << answer.status().to_string();
  EXPECT_EQ(*answer, "refused");
  EXPECT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) { return load.connections == 0; }))
      << "the refused connection stayed open";
}

TEST(WebsocketAdmission, AnAdmittedConnectionOutlivesALaterRefusal) {
  Receiver receiver(admission_config());
  std::unique_ptr<Connection> connection = receiver.admitted();
  EXPECT_EQ(receiver.transport.load().pending, 0);
  ASSERT_TRUE(connection->request("bad", kGenerous).ok());
  Result<std::string> again = connection->request("again", kGenerous);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(receiver.transport.load().connections, 1);
}

TEST(WebsocketAdmission, PendingRequestOverThePreauthLimitIsRefusedFromItsFirstPart) {
  Receiver receiver(admission_config());
  const std::string big(8 * 1024, 'x');  // 8 parts of 1 KiB; the limit is 4 KiB
  std::unique_ptr<Connection> pending = receiver.connect();
  Result<std::string> refused = pending->request(big, kGenerous);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("preauth_max_message_bytes"), std::string::npos)
      << refused.status().to_string();
  // Once admitted, the same request is within max_message_bytes.
  std::unique_ptr<Connection> admitted = receiver.admitted();
  Result<std::string> answered = admitted->request(big, kGenerous);
  ASSERT_TRUE(answered.ok()) << answered.status().to_string();
  EXPECT_EQ(*answered, "echo:" + big);
}

TEST(WebsocketAdmission, PendingConnectionMayHaveOneRequestAtATime) {
  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  int running = 0;
  Receiver receiver(admission_config(), [&](std::string_view request) -> Result<Answer> {
    std::unique_lock lock(mutex);
    ++running;
    changed.notify_all();
    changed.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    return Answer{std::string(request), Admission::kPending};
  });
  std::unique_ptr<Connection> connection = receiver.connect();
  std::thread first([&] { (void)connection->request("first", kGenerous); });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return running == 1; }));
  }
  Result<std::string> second = connection->request("second", kGenerous);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  first.join();
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("one request at a time"), std::string::npos) << second.status().to_string();
}

TEST(WebsocketAdmission, PendingConnectionIsClosedAtThePreauthDeadline) {
  WebsocketConfig config = admission_config();
  config.preauth_timeout_s = 1;
  Receiver receiver(config);
  std::unique_ptr<Connection> pending = receiver.connect();
  std::unique_ptr<Connection> admitted = receiver.admitted();
  ASSERT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) { return load.connections == 1; }))
      << "the silent pending connection was never closed";
  EXPECT_EQ(receiver.transport.load().pending, 0);
  ASSERT_TRUE(admitted->request("still", kGenerous).ok());  // the deadline is for pending connections only
}

// Pending connections hold at most max_connections - reserved_connections
// slots; past that each new one evicts the oldest pending one, never an
// admitted one.
TEST(WebsocketAdmission, NewConnectionsEvictTheOldestPendingNeverAnAdmittedOne) {
  Receiver receiver(admission_config());  // 6 slots, 2 reserved: 4 for pending connections
  std::vector<std::unique_ptr<Connection>> admitted;
  for (int i = 0; i < 2; ++i) admitted.push_back(receiver.admitted());
  std::vector<std::unique_ptr<Connection>> flood;
  for (int i = 0; i < 10; ++i) flood.push_back(receiver.connect());
  ASSERT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) {
    return load.evicted == 6 && load.pending == 4 && load.connections == 6;
  })) << "pending " << receiver.transport.load().pending << ", evicted " << receiver.transport.load().evicted;
  for (auto& connection : admitted) {
    Result<std::string> answer = connection->request("after the flood", kGenerous);
    EXPECT_TRUE(answer.ok()) << answer.status().to_string();
  }
  // And a newcomer still gets in (evicting one more) and is admitted.
  std::unique_ptr<Connection> newcomer = receiver.admitted();
  EXPECT_EQ(receiver.transport.load().evicted, 7u);
}

// A pending connection whose request is with the handler waits for its
// verdict, however many connections arrive meanwhile (found by
// e2e.hostile_load: a flood evicted a genuine peer while its Init was being
// verified).
TEST(WebsocketAdmission, AConnectionWaitingForItsVerdictIsNotEvicted) {
  std::mutex mutex;
  std::condition_variable changed;
  bool holding = false;
  bool release = false;
  Receiver receiver(admission_config(), [&](std::string_view request) -> Result<Answer> {
    if (request != "slow hello") return Answer{"echo", Admission::kPending};
    std::unique_lock lock(mutex);
    holding = true;
    changed.notify_all();
    changed.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    return Answer{"welcome", Admission::kAuthenticated};
  });
  std::unique_ptr<Connection> genuine = receiver.connect();
  Result<std::string> welcomed = internal_error("not answered");
  std::thread hello([&] { welcomed = genuine->request("slow hello", kGenerous); });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return holding; }));
  }
  std::vector<std::unique_ptr<Connection>> flood;
  for (int i = 0; i < 12; ++i) flood.push_back(receiver.connect());
  ASSERT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) { return load.evicted >= 9; }));
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  hello.join();
  ASSERT_TRUE(welcomed.ok()) << welcomed.status().to_string();
  EXPECT_EQ(*welcomed, "welcome");
}

// A full table makes room at the address holding the most pending
// connections, not at the oldest connection of all: a lone peer's
// connection, idle while it prepares its Init and older than the whole
// flood, outlives a flood from another address (e282ad6; before it, the
// lone peer went first). Loopback has every 127.x address, so each side
// binds its own (the sender's source_address).
TEST(WebsocketAdmission, AFullTableMakesRoomAtTheBusiestAddress) {
  WebsocketConfig config = admission_config();  // 6 slots, 2 reserved: 4 for pending connections
  Receiver receiver(config);
  WebsocketConfig lone_config = config;
  lone_config.source_address = "127.0.0.9";
  WebsocketTransport lone_sender(lone_config);
  WebsocketConfig flood_config = config;
  flood_config.source_address = "127.0.0.2";
  WebsocketTransport flood_sender(flood_config);

  Result<std::unique_ptr<Connection>> lone = lone_sender.connect(receiver.transport.endpoint());
  ASSERT_TRUE(lone.ok()) << lone.status().to_string();
  Result<std::string> asked = (*lone)->request("not yet", kGenerous);  // pending, and now idle
  ASSERT_TRUE(asked.ok()) << asked.status().to_string();
  std::vector<std::unique_ptr<Connection>> flood;
  for (int i = 0; i < 8; ++i) {
    Result<std::unique_ptr<Connection>> connection = flood_sender.connect(receiver.transport.endpoint());
    ASSERT_TRUE(connection.ok()) << connection.status().to_string();
    flood.push_back(std::move(*connection));
  }
  ASSERT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) {
    return load.evicted == 5 && load.pending == 4;
  })) << "pending " << receiver.transport.load().pending << ", evicted " << receiver.transport.load().evicted;
  // On its first connection: an evicted one would reconnect (the sender does
  // so transparently), and its new connection would evict a sixth.
  Result<std::string> welcomed = (*lone)->request("hello", kGenerous);
  ASSERT_TRUE(welcomed.ok()) << welcomed.status().to_string();
  EXPECT_EQ(*welcomed, "welcome");
  EXPECT_EQ(receiver.transport.load().evicted, 5u) << "the lone peer's first connection was evicted";
  EXPECT_EQ(receiver.transport.load().pending, 3);
}

TEST(WebsocketAdmission, PendingConnectionsFromOneAddressAreBounded) {
  WebsocketConfig config = admission_config();
  config.max_pending_per_address = 2;
  Receiver receiver(config);
  std::vector<std::unique_ptr<Connection>> flood;
  for (int i = 0; i < 5; ++i) flood.push_back(receiver.connect());
  EXPECT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) {
    return load.pending == 2 && load.evicted == 3;
  })) << "pending " << receiver.transport.load().pending;
}

TEST(WebsocketAdmission, AFullTableOfAdmittedPeersRefusesNewcomers) {
  WebsocketConfig config = admission_config();
  config.max_connections = 3;
  config.reserved_connections = 1;
  Receiver receiver(config);
  std::vector<std::unique_ptr<Connection>> admitted;
  for (int i = 0; i < 3; ++i) admitted.push_back(receiver.admitted());
  std::unique_ptr<Connection> late = receiver.connect();
  Result<std::string> refused = late->request("hello", kGenerous);
  // The sender reports a connection the peer closed as unavailable, with
  // the peer's reason.
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("too many connections (max_connections 3)"), std::string::npos)
      << refused.status().to_string();
  EXPECT_EQ(receiver.transport.load().evicted, 0u);
}

// All connections together hold at most max_buffered_bytes: a request that
// would go over closes its connection with resource_exhausted.
TEST(WebsocketAdmission, BufferedBytesOfAllConnectionsAreBounded) {
  WebsocketConfig config = admission_config();
  config.max_buffered_bytes = 16 * 1024;
  Receiver receiver(config);
  std::unique_ptr<Connection> admitted = receiver.admitted();
  Result<std::string> refused = admitted->request(std::string(64 * 1024, 'x'), kGenerous);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("max_buffered_bytes 16384"), std::string::npos)
      << refused.status().to_string();
  EXPECT_TRUE(eventually(receiver.transport, [](const ReceiverLoad& load) { return load.buffered_bytes == 0; }));
}

}  // namespace
}  // namespace gibkit::plugins::websocket
