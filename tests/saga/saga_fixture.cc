#include "saga_fixture.h"

#include "gibkit/saga/contexts.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "gibkit/gib_hash.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/json.h"
#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/record_graph.h"
#include "gibkit/record_graph.h"

namespace gibkit::saga::testing {

std::shared_ptr<kernel::LoadedPlugin> load_plugin(const std::string& name) {
  static std::map<std::string, std::shared_ptr<kernel::LoadedPlugin>> loaded;
  auto it = loaded.find(name);
  if (it != loaded.end()) return it->second;
  auto result = kernel::LoadedPlugin::load(std::filesystem::path(GIBKIT_TEST_PLUGIN_DIR) / ("libgibkit-" + name + ".so"));
  if (!result) {
    ADD_FAILURE() << result.status().to_string();
    return nullptr;
  }
  return loaded[name] = *result;
}

namespace {

std::shared_ptr<kernel::LoadedPlugin> plugin(const std::string& name) { return load_plugin(name); }

template <typename T>
std::unique_ptr<T> require(Result<std::unique_ptr<T>> result) {
  if (!result) {
    ADD_FAILURE() << result.status().to_string();
    return nullptr;
  }
  return std::move(*result);
}

}  // namespace

// GIBKIT_SAGA_DURABLE_SPACE=space-postgres keeps every node's durable records
// in PostgreSQL (a schema per node; the server from PGHOST and libpq's
// defaults), as tests/postgres runs these suites; otherwise in memory.
std::unique_ptr<Space> make_durable_space() {
  const char* chosen = std::getenv("GIBKIT_SAGA_DURABLE_SPACE");
  if (chosen == nullptr || std::string_view(chosen) == "space-memory") {
    return require(plugin("space-memory")->create_space(json::Object{}));
  }
  static std::atomic<int> counter{0};
  json::Object config;
  config.set("schema", json::Value("saga_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)));
  return require(plugin(chosen)->create_space(config));
}

namespace {

void write(Space& space, const std::vector<IbGib>& records, const std::string& tjp, const std::string& head) {
  WriteBatch batch;
  for (const IbGib& record : records) batch.puts.push_back(StoredRecord{record.address(), record.to_json_text()});
  if (!tjp.empty()) batch.heads.push_back(HeadUpdate{tjp, head, std::nullopt});
  ASSERT_TRUE(space.write(batch).ok());
}

// Deterministic clock and randomness, so runs are repeatable.
TransformEnv test_env() {
  // Atomic: tests run sagas on several threads (parallel_sagas_test.cc),
  // each making records with this environment.
  static std::atomic<std::int64_t> now = 1'790'000'000'000;
  static std::atomic<std::uint8_t> counter = 0;
  TransformEnv env = TransformEnv::system();
  env.now_ms = [] { return now.fetch_add(1000) + 1000; };
  env.random_bytes = [](std::span<std::uint8_t> out) {
    for (std::uint8_t& byte : out) byte = ++counter;
  };
  return env;
}

std::set<std::string> addresses_of(Space& space) {
  std::set<std::string> out;
  EXPECT_TRUE(space.for_each_record([&](std::string_view address, std::string_view) {
                    out.emplace(address);
                    return true;
                  })
                  .ok());
  return out;
}

}  // namespace

std::set<std::string> TestNode::durable_addresses() const { return addresses_of(*durable); }
std::set<std::string> TestNode::staged_addresses() const {
  const std::vector<std::string> staged = service->staged_addresses();
  return std::set<std::string>(staged.begin(), staged.end());
}

std::optional<std::string> TestNode::head(const std::string& tjp) const {
  auto head = durable->head(tjp);
  EXPECT_TRUE(head.ok());
  return head ? *head : std::nullopt;
}

bool TestNode::holds(const std::string& address) const {
  auto held = durable->has(address);
  EXPECT_TRUE(held.ok());
  return held && *held;
}

std::unique_ptr<TestNode> make_node(const std::string& name, SyncOptions options, const std::string& signer_plugin,
                                    const std::string& session_plugin, Space* shared_staging) {
  auto node = std::make_unique<TestNode>();
  node->name = name;
  node->durable = make_durable_space();
  node->staging = require(plugin("space-memory")->create_space(json::Object{}));
  node->signer = require(plugin(signer_plugin)->create_signer(json::Object{}));
  if (!session_plugin.empty()) node->session_signer = require(plugin(session_plugin)->create_signer(json::Object{}));
  node->transport = require(plugin("transport-innerspace")->create_transport(json::Object{{"name", name}}));
  if (!node->durable || !node->staging || !node->signer || !node->transport) return nullptr;

  identity::IdentityRegistry registry(*node->durable);
  auto domain = registry.create_identity(*node->signer, json::Object{{"preset", "domain"}});
  if (!domain) {
    ADD_FAILURE() << domain.status().to_string();
    return nullptr;
  }
  node->domain_tjp = *domain;
  node->frame_ib = IbGib::parse(**node->durable->get(*domain))->ib;  // the ib of this signer's frames
  node->domain_genesis_json = **node->durable->get(*domain);

  // Frames are verified by the signer whose plugin declares their ib.
  std::vector<std::pair<std::string, Signer*>> verifiers;
  for (Signer* signer : {node->signer.get(), node->session_signer.get()}) {
    if (signer == nullptr) continue;
    for (const std::string& ib : kernel::signer_frame_ibs(*signer)) verifiers.emplace_back(ib, signer);
  }
  std::shared_ptr<std::int64_t> clock = node->clock_ms;
  std::shared_ptr<std::function<void(const SagaEvent&)>> on_event = node->on_event;
  std::shared_ptr<std::function<std::string()>> random_token = node->random_token;
  SyncServices services{.durable = node->durable.get(),
                        .staging = node->staging.get(),
                        .shared_staging = shared_staging,
                        .signer = node->signer.get(),
                        .verifier_for = [verifiers](std::string_view ib) -> Signer* {
                          for (const auto& [declared, signer] : verifiers) {
                            if (declared == ib) return signer;
                          }
                          return nullptr;
                        },
                        .session_signer = node->session_signer.get(),
                        .now_ms = [clock] { return *clock; },
                        .monotonic_ms = [clock] { return *clock; },
                        .on_event = [on_event](const SagaEvent& event) {
                          if (*on_event) (*on_event)(event);
                        },
                        .random_token = [random_token] {
                          return *random_token ? (*random_token)() : saga::random_token();
                        }};
  node->service = std::make_unique<SyncService>(services, node->domain_tjp, options);
  SyncService* service = node->service.get();
  Status listening = node->transport->listen([service](std::string_view request) { return service->answer(request); });
  EXPECT_TRUE(listening.ok()) << listening.to_string();
  return node;
}

void enroll(const TestNode& sender, TestNode& receiver) {
  Status trusted = receiver.service->trust_peer(sender.domain_genesis_json);
  ASSERT_TRUE(trusted.ok()) << trusted.to_string();
  // Replies are signed too: the sender authenticates the receiver's domain.
  trusted = sender.service->trust_peer(receiver.domain_genesis_json);
  ASSERT_TRUE(trusted.ok()) << trusted.to_string();
}

std::unique_ptr<Connection> connect(TestNode& from, const TestNode& to) {
  auto connection = from.transport->connect("innerspace://" + to.name);
  EXPECT_TRUE(connection.ok()) << connection.status().to_string();
  return connection ? std::move(*connection) : nullptr;
}

SyncReport sync_or_fail(TestNode& from, const TestNode& to, const std::vector<std::string>& addresses) {
  auto connection = connect(from, to);
  auto report = from.service->sync(*connection, to.domain_tjp, addresses);
  EXPECT_TRUE(report.ok()) << report.status().to_string();
  return report ? *report : SyncReport{};
}

TimelineBuilder::TimelineBuilder(TestNode& node, const std::string& ib, bool linked) : node_(&node), linked_(linked) {
  IbGib primitive;
  primitive.ib = ib;
  primitive.gib = "gib";
  ForkOptions options;
  options.dna = true;
  options.dest_ib = ib;
  options.tjp_timestamp = true;
  options.tjp_uuid = true;
  options.n_counter = true;
  auto result = fork(primitive, options, test_env());
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  tjp_ = result->frame.address();
  store(*result);
}

TimelineBuilder::TimelineBuilder(TestNode& node, std::string tjp, IbGib head, bool linked)
    : node_(&node), linked_(linked), tjp_(std::move(tjp)), head_(std::move(head)), head_address_(head_.address()) {}

void TimelineBuilder::store(const TransformResult& result) {
  std::vector<IbGib> records;
  if (result.dna) records.push_back(*result.dna);
  records.push_back(result.frame);
  write(*node_->durable, records, tjp_, result.frame.address());
  head_ = result.frame;
  head_address_ = head_.address();
}

TimelineBuilder& TimelineBuilder::patch(json::Object data) {
  Mut8Options options;
  options.dna = true;
  options.n_counter = true;
  if (linked_) options.linked_rel8ns = {std::string(kRel8nPast), std::string(kRel8nDna)};
  options.data_to_add_or_patch = std::move(data);
  auto result = mut8(head_, options, test_env());
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  store(*result);
  return *this;
}

TimelineBuilder& TimelineBuilder::relate(const std::string& name, const std::vector<std::string>& addresses) {
  Rel8Options options;
  options.dna = true;
  options.n_counter = true;
  if (linked_) options.linked_rel8ns = {std::string(kRel8nPast), std::string(kRel8nDna)};
  options.rel8ns_to_add = json::Object{{name, json::Array(addresses.begin(), addresses.end())}};
  auto result = rel8(head_, options, test_env());
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  store(*result);
  return *this;
}

TimelineBuilder TimelineBuilder::on(TestNode& other) const {
  auto head = other.durable->head(tjp_);
  EXPECT_TRUE(head.ok() && head->has_value()) << "the other node does not hold timeline " << tjp_;
  auto text = other.durable->get(**head);
  return TimelineBuilder(other, tjp_, *IbGib::parse(**text), linked_);
}

std::string put_stone(TestNode& node, const std::string& ib, json::Object data) {
  IbGib stone = make_stone(ib, std::move(data), json::Object{});
  write(*node.durable, {stone}, "", "");
  return stone.address();
}

std::set<std::string> domain_graph(const TestNode& node, const std::vector<std::string>& roots) {
  RecordReader reader({node.durable.get()});
  auto closure = dependency_closure(reader, roots);
  EXPECT_TRUE(closure.ok()) << closure.status().to_string();
  return closure ? std::set<std::string>(closure->begin(), closure->end()) : std::set<std::string>();
}

json::Value reseal(const json::Value& record_json, const std::function<void(IbGib&)>& edit) {
  IbGib record = *IbGib::from_json(record_json);
  edit(record);
  record.gib = *compute_gib(record);
  return record.to_json();
}

InterceptingConnection::InterceptingConnection(std::unique_ptr<Connection> inner, RequestHook on_request,
                                               ResponseHook on_response)
    : inner_(std::move(inner)), on_request_(std::move(on_request)), on_response_(std::move(on_response)) {}

Result<std::string> InterceptingConnection::request(std::string_view message, std::chrono::milliseconds timeout) {
  std::string outgoing(message);
  if (on_request_) {
    GIBKIT_ASSIGN_OR_RETURN(outgoing, on_request_(std::move(outgoing)));
  }
  GIBKIT_ASSIGN_OR_RETURN(std::string response, inner_->request(outgoing, timeout));
  if (on_response_) return on_response_(outgoing, std::move(response));
  return response;
}

std::string leg_of(const std::string& message) {
  auto value = json::parse(message);
  if (!value || !value->is_object()) return "";
  auto leg = json::get_string(value->as_object(), "leg");
  return leg ? *leg : "";
}

std::size_t payload_count(const std::string& message) {
  Result<json::Value> value = json::parse(message);
  if (!value || !value->is_object()) return 0;
  const json::Value* payloads = value->find("payloads");
  return payloads != nullptr && payloads->is_array() ? payloads->as_array().size() : 0;
}

InterceptingConnection::RequestHook BreakingLink::hook() {
  return [this](std::string request) -> Result<std::string> {
    if (broken_) return unavailable("link down");
    const std::size_t records = payload_count(request);
    if (leg_of(request) == "delta" && delivered_ + records > cut_after_) {
      broken_ = true;
      return unavailable("link down");
    }
    delivered_ += records;
    return request;
  };
}

}  // namespace gibkit::saga::testing
