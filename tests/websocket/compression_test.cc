// Compression of message bodies (config `compression`, permessage-deflate)
// between gibkit's own sender and receiver over loopback: negotiated only
// when both ends say deflate, messages of every shape survive it, and the
// limits count inflated bytes. Peers that are not gibkit's (Node's `ws`, a
// hand-made deflate bomb) are in compression_node_test.cc.
#include <chrono>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "deflate.h"
#include "websocket_transport.h"

namespace gibkit::plugins::websocket {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous(10000);

WebsocketConfig config_with(Compression compression) {
  WebsocketConfig config;
  config.max_message_bytes = 4 * 1024 * 1024;
  config.max_frame_bytes = 64 * 1024;
  config.handshake_timeout_s = 5;
  config.compression = compression;
  return config;
}

RequestHandler echo() {
  return [](std::string_view request) -> Result<Answer> {
    return Answer{"echo:" + std::string(request), Admission::kAuthenticated};
  };
}

// Text that compresses well: JSON notes of repeated English words.
std::string prose(std::size_t bytes) {
  static const char* const words[] = {"the", "garden", "of", "morning", "letters", "and", "a", "river", "timeline"};
  std::string text;
  for (std::size_t i = 0; text.size() < bytes; ++i) {
    if (i % 40 == 0) text += "{\"ib\":\"note " + std::to_string(i) + "\",\"text\":\"";
    text += words[(i * 7 + i / 5) % 9];
    text += i % 40 == 39 ? "\"}\n" : " ";
  }
  text.resize(bytes);
  return text;
}

// Text that does not compress: random base64-like characters.
std::string noise(std::size_t bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 random(7);
  std::string text(bytes, ' ');
  for (char& c : text) c = alphabet[random() % 64];
  return text;
}

// A receiver and a sender, each with its own `compression`, connected.
struct Pair {
  Pair(Compression receiving, Compression sending) : receiver(config_with(receiving)), sender(config_with(sending)) {
    Status listening = receiver.listen(echo());
    EXPECT_TRUE(listening.ok()) << listening.to_string();
    Result<std::unique_ptr<Connection>> opened = sender.connect(receiver.endpoint());
    EXPECT_TRUE(opened.ok()) << opened.status().to_string();
    if (opened.ok()) connection = std::move(*opened);
  }
  WebsocketTransport receiver;
  WebsocketTransport sender;
  std::unique_ptr<Connection> connection;
};

// Sends a few messages across the sizes that matter: empty, one small frame,
// exactly one frame, and many frames of compressible and of random text.
void expect_round_trips(Connection& connection) {
  for (const std::string& message : {std::string(), std::string("hello"), prose(64 * 1024 - 200), prose(1500 * 1024),
                                     noise(700 * 1024)}) {
    Result<std::string> response = connection.request(message, kGenerous);
    ASSERT_TRUE(response.ok()) << message.size() << " bytes: " << response.status().to_string();
    EXPECT_EQ(response->size(), message.size() + 5);
    EXPECT_TRUE(*response == "echo:" + message) << message.size() << " bytes came back changed";
  }
}

TEST(WebsocketCompression, NegotiatedWhenBothEndsSayDeflate) {
  Pair pair(Compression::kDeflate, Compression::kDeflate);
  ASSERT_TRUE(pair.connection);
  expect_round_trips(*pair.connection);
  EXPECT_EQ(pair.receiver.load().compressed, 1);
}

TEST(WebsocketCompression, SenderOfferingDeflateToAReceiverWithoutItStaysUncompressed) {
  Pair pair(Compression::kNone, Compression::kDeflate);
  ASSERT_TRUE(pair.connection);
  expect_round_trips(*pair.connection);
  EXPECT_EQ(pair.receiver.load().connections, 1);
  EXPECT_EQ(pair.receiver.load().compressed, 0);
}

TEST(WebsocketCompression, ReceiverAcceptingDeflateFromASenderWithoutItStaysUncompressed) {
  Pair pair(Compression::kDeflate, Compression::kNone);
  ASSERT_TRUE(pair.connection);
  expect_round_trips(*pair.connection);
  EXPECT_EQ(pair.receiver.load().connections, 1);
  EXPECT_EQ(pair.receiver.load().compressed, 0);
}

// A peer whose max_frame_bytes is larger sends one websocket message of 2 MiB
// that deflates to a few KiB: the receiver counts the inflated bytes against
// its own 4 KiB bound and refuses it, holding no more than that bound.
TEST(WebsocketCompression, MessageInflatingPastMaxFrameBytesIsRefused) {
  WebsocketConfig receiver_config = config_with(Compression::kDeflate);
  receiver_config.max_frame_bytes = 4096;
  WebsocketTransport receiver(receiver_config);
  ASSERT_TRUE(receiver.listen(echo()).ok());
  WebsocketConfig sender_config = config_with(Compression::kDeflate);
  sender_config.max_frame_bytes = 4 * 1024 * 1024;
  WebsocketTransport sender(sender_config);
  Result<std::unique_ptr<Connection>> connection = sender.connect(receiver.endpoint());
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  Result<std::string> response = (*connection)->request(std::string(2 * 1024 * 1024, 'a'), kGenerous);
  // The receiver's fatal error part names no request (it could not read the
  // part's header), so the request fails as every request on a socket the
  // peer closed does: with the peer's reason when the error part arrived,
  // as a dropped connection when the receiver cut it first (after 1 MiB of
  // inflated input it had to discard).
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable) << response.status().to_string();
  const std::string why = response.status().message();
  EXPECT_TRUE(why.find("exceeds max_frame_bytes 4096") != std::string::npos || why.find("dropped") != std::string::npos)
      << response.status().to_string();
  // The connection reconnects for the next request, compressed again.
  Result<std::string> next = (*connection)->request("small", kGenerous);
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*next, "echo:small");
  EXPECT_EQ(receiver.load().compressed, 1);
}

TEST(WebsocketCompression, OnlyOffersThatDropBothContextsAreAccepted) {
  EXPECT_TRUE(offer_drops_context("permessage-deflate; client_no_context_takeover; server_no_context_takeover"));
  EXPECT_TRUE(offer_drops_context(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits"));
  EXPECT_FALSE(offer_drops_context("permessage-deflate; client_max_window_bits"));
  EXPECT_FALSE(offer_drops_context("permessage-deflate; client_no_context_takeover"));
  // Only the first offer counts (libwebsockets takes the first).
  EXPECT_FALSE(offer_drops_context(
      "permessage-deflate, permessage-deflate; client_no_context_takeover; server_no_context_takeover"));
  EXPECT_FALSE(offer_drops_context(""));
  EXPECT_FALSE(offer_drops_context("x-webkit-deflate-frame"));
}

}  // namespace
}  // namespace gibkit::plugins::websocket
