// Peers that speak the wire protocol directly, with real keys, but follow
// none of the saga's rules: what a trusted-but-malicious node (or a stranger
// with keys of its own) can send. The attack tests drive the real saga code
// of the honest side against them.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gibkit/identity/identity_registry.h"
#include "gibkit/saga/sync_messages.h"
#include "saga_fixture.h"

namespace gibkit::saga::testing {

// A sender: each call makes one request turn signed by a session its domain
// endorsed, with whatever context fields the test chooses. Replies are read
// (for the nonce) but not authenticated.
class WireSender {
 public:
  // `audience` is the domain the turns name (normally the receiver's).
  WireSender(TestNode& me, TestNode& receiver);
  WireSender(TestNode& me, std::unique_ptr<Connection> connection, std::string audience);

  Result<SyncResponse> init(json::Object heads, std::vector<std::string> stones = {});
  Result<SyncResponse> delta(std::vector<Payload> payloads, std::vector<std::string> want = {});
  Result<SyncResponse> commit(json::Object heads);
  Result<SyncResponse> abort();

  // The encoded request of the next turn, not sent (for replays).
  Result<std::string> encode_turn(Leg leg, json::Object fields, std::vector<Payload> payloads = {});
  // Sends an encoded request as it is.
  Result<SyncResponse> send(const std::string& message);

  [[nodiscard]] const std::string& saga_id() const { return saga_id_; }

 private:
  Result<SyncResponse> turn(Leg leg, json::Object fields, std::vector<Payload> payloads = {});

  TestNode& me_;
  identity::IdentityRegistry registry_;
  std::unique_ptr<Connection> connection_;
  std::string audience_;
  std::string saga_id_;
  identity::SessionBundle session_;
  std::string previous_context_;
  std::string nonce_;
  std::int64_t seq_ = 1;
};

// A receiver behind a Connection: answers each request with replies signed
// by `me` (its real domain and a session it endorses), built by the test's
// `answer` function from the decoded request. No rule of the saga is applied.
class WireReceiver : public Connection {
 public:
  struct Answer {
    json::Object fields;             // reply context fields (audience and nonce are added)
    std::vector<Payload> payloads;   // delta_reply records
  };
  using AnswerFn = std::function<Answer(const SyncRequest& request)>;

  WireReceiver(TestNode& me, AnswerFn answer);
  Result<std::string> request(std::string_view message, std::chrono::milliseconds timeout) override;

 private:
  TestNode& me_;
  identity::IdentityRegistry registry_;
  AnswerFn answer_;
  identity::SessionBundle session_;
  std::map<std::string, std::string> sender_domains_;  // saga id -> the domain its Init named
};

}  // namespace gibkit::saga::testing
