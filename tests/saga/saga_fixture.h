// Two (or more) nodes in one process, each with memory spaces, a keystone
// signer and an innerspace transport, loaded as plugins the way gibd loads
// them; plus helpers to grow timelines and compare domain graphs.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gibkit/ibgib.h"
#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/saga/sync_service.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/transforms.h"
#include "gibkit/transport.h"

namespace gibkit::saga::testing {

struct TestNode {
  std::string name;
  std::unique_ptr<Space> durable;
  std::unique_ptr<Space> staging;
  std::unique_ptr<Signer> signer;
  std::unique_ptr<Signer> session_signer;  // null: `signer` makes the sessions
  std::unique_ptr<Transport> transport;
  std::unique_ptr<SyncService> service;
  std::string domain_tjp;
  std::string domain_genesis_json;
  std::string frame_ib;  // the ib of the identity frames its signer makes (and verifies)
  // The node's wall clock (SyncServices::now_ms), which a test may move.
  std::shared_ptr<std::int64_t> clock_ms = std::make_shared<std::int64_t>(1'790'000'000'000);
  // Called with each SagaEvent of the node's receiver (SyncServices::on_event)
  // once a test sets it; from the thread handling the turn.
  std::shared_ptr<std::function<void(const SagaEvent&)>> on_event =
      std::make_shared<std::function<void(const SagaEvent&)>>();
  // The node's source of saga ids and nonces (SyncServices::random_token)
  // once a test sets it; the OS's randomness until then.
  std::shared_ptr<std::function<std::string()>> random_token = std::make_shared<std::function<std::string()>>();

  // Every record held, by address (ignoring which space).
  [[nodiscard]] std::set<std::string> durable_addresses() const;
  [[nodiscard]] std::set<std::string> staged_addresses() const;
  [[nodiscard]] std::optional<std::string> head(const std::string& tjp) const;
  [[nodiscard]] bool holds(const std::string& address) const;
};

// Listens on innerspace://<name>. `options` tune the saga; `signer_plugin`
// holds the node's domain identity and, unless `session_plugin` names
// another, its sessions.
// `shared_staging`: SyncServices::shared_staging (a space several test
// nodes share), none by default.
std::unique_ptr<TestNode> make_node(const std::string& name, SyncOptions options = {},
                                    const std::string& signer_plugin = "signer-keystone",
                                    const std::string& session_plugin = "", Space* shared_staging = nullptr);

// A fresh durable space: space-memory, or with GIBKIT_SAGA_DURABLE_SPACE=
// space-postgres a schema of its own in the test cluster (tests/postgres).
std::unique_ptr<Space> make_durable_space();

// A plugin of the build, loaded once per process.
std::shared_ptr<kernel::LoadedPlugin> load_plugin(const std::string& name);

// `receiver` trusts `sender`'s domain identity, and `sender` the
// receiver's (replies are signed: mutual authentication).
void enroll(const TestNode& sender, TestNode& receiver);

// Opens a connection from `from` to `to`.
std::unique_ptr<Connection> connect(TestNode& from, const TestNode& to);

// Syncs `addresses` from `from` to `to` over a new connection; a failed sync
// is a test failure, and gives an empty report.
SyncReport sync_or_fail(TestNode& from, const TestNode& to, const std::vector<std::string>& addresses);

// A timeline of domain records built with the SDK transforms (with dna),
// written to `node`'s durable space with its head moved.
class TimelineBuilder {
 public:
  // `linked`: frames keep only the newest past and dna (ts-gib's
  // linkedRel8ns), so they do not grow with the timeline.
  TimelineBuilder(TestNode& node, const std::string& ib, bool linked = false);
  // mut8: patches data.
  TimelineBuilder& patch(json::Object data);
  // rel8: relates `addresses` under `name` (e.g. a stone made by make_stone).
  TimelineBuilder& relate(const std::string& name, const std::vector<std::string>& addresses);
  [[nodiscard]] const std::string& tjp() const { return tjp_; }
  [[nodiscard]] const std::string& head() const { return head_address_; }
  [[nodiscard]] const IbGib& head_frame() const { return head_; }
  // Continue the same timeline on another node that holds it (linked as
  // this builder is).
  TimelineBuilder on(TestNode& other) const;

 private:
  TimelineBuilder(TestNode& node, std::string tjp, IbGib head, bool linked);
  void store(const TransformResult& result);

  TestNode* node_;
  bool linked_ = false;
  std::string tjp_;
  IbGib head_;
  std::string head_address_;
};

// A stone (no timeline) stored in `node`'s durable space.
std::string put_stone(TestNode& node, const std::string& ib, json::Object data);

// The dependency closure of `roots` in a node's durable space.
std::set<std::string> domain_graph(const TestNode& node, const std::vector<std::string>& roots);

// A connection that lets a test look at, rewrite or drop each request before
// it is sent, and each response before the caller gets it (a man in the
// middle, or a link that breaks).
class InterceptingConnection : public Connection {
 public:
  using RequestHook = std::function<Result<std::string>(std::string request)>;
  using ResponseHook = std::function<Result<std::string>(const std::string& request, std::string response)>;
  InterceptingConnection(std::unique_ptr<Connection> inner, RequestHook on_request, ResponseHook on_response = {});
  Result<std::string> request(std::string_view message, std::chrono::milliseconds timeout) override;

 private:
  std::unique_ptr<Connection> inner_;
  RequestHook on_request_;
  ResponseHook on_response_;
};

// A record of a message after `edit`, with its gib recomputed, so that only
// a signature can tell it was changed.
json::Value reseal(const json::Value& record_json, const std::function<void(IbGib&)>& edit);

// The leg of an encoded request ("init", "delta", ...).
std::string leg_of(const std::string& message);

// Payload records in an encoded request (0 for legs without payloads).
std::size_t payload_count(const std::string& message);

// A link that goes down for good at the Delta that would take the records
// sent past `cut_after`: that Delta and everything after it (the Abort
// included) never arrive, as when the connection drops or the sender dies.
class BreakingLink {
 public:
  explicit BreakingLink(std::size_t cut_after) : cut_after_(cut_after) {}
  InterceptingConnection::RequestHook hook();
  [[nodiscard]] std::size_t delivered() const { return delivered_; }

 private:
  std::size_t cut_after_;
  std::size_t delivered_ = 0;
  bool broken_ = false;
};

}  // namespace gibkit::saga::testing
