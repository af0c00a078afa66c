#include "gibkit/saga/sync_node.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gibkit/admin/admin_server.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/log/log.h"
#include "gibkit/transforms.h"

namespace gibkit::saga {
namespace {

constexpr std::string_view kDomainKey = "gibkit node domain";

std::vector<std::string> strings(const json::Object& section, std::string_view key) {
  std::vector<std::string> out;
  if (const json::Value* list = section.find(key); list != nullptr && list->is_array()) {
    for (const json::Value& item : list->as_array()) out.push_back(item.as_string());
  }
  return out;
}

std::string string_or_empty(const json::Object& section, std::string_view key) {
  const json::Value* value = section.find(key);
  return value != nullptr && value->is_string() ? value->as_string() : std::string();
}

std::int64_t integer(const json::Object& section, std::string_view key) {
  const json::Value* value = section.find(key);
  return value != nullptr && value->is_number() ? static_cast<std::int64_t>(value->as_number()) : 0;
}

// The instance named `wanted`, or the only one when `wanted` is empty.
template <typename Config>
Result<std::string> pick(const std::vector<Config>& instances, const std::string& wanted, std::string_view what) {
  if (!wanted.empty()) {
    for (const Config& instance : instances) {
      if (instance.name == wanted) return wanted;
    }
    return invalid_argument("sync." + std::string(what) + ": no " + std::string(what) + " instance named '" +
                            wanted + "'");
  }
  if (instances.size() == 1) return instances.front().name;
  return invalid_argument("sync." + std::string(what) + ": the deployment has " + std::to_string(instances.size()) +
                          " " + std::string(what) + " instances; name the one sync uses");
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The receiver's account of each saga, in the node's logfmt log; each event
// with the fields that mean something for it. An ending (committed, aborted,
// rejected) carries what the saga moved each way and how long it took.
void log_saga_event(const SagaEvent& event) {
  if (event.event == "saga.rejected") {
    log::warn(event.event,
              {{"saga", event.saga_id}, {"peer_domain", event.peer_domain}, {"leg", event.leg},
               {"code", status_code_name(event.code)}, {"records_in", event.records_received},
               {"records_out", event.records_sent}, {"bytes_in", event.bytes_received},
               {"bytes_out", event.bytes_sent}, {"ms", event.elapsed_ms}, {"error", event.detail}});
  } else if (event.event == "saga.committed") {
    log::info(event.event,
              {{"saga", event.saga_id}, {"peer_domain", event.peer_domain}, {"leg", event.leg},
               {"records", event.records}, {"records_in", event.records_received},
               {"records_out", event.records_sent}, {"bytes_in", event.bytes_received},
               {"bytes_out", event.bytes_sent}, {"ms", event.elapsed_ms}, {"verify_us", event.verify_us},
               {"settle_us", event.settle_us}, {"write_us", event.write_us}});
  } else if (event.event == "saga.aborted") {
    log::info(event.event,
              {{"saga", event.saga_id}, {"peer_domain", event.peer_domain}, {"leg", event.leg},
               {"records", event.records}, {"records_in", event.records_received},
               {"records_out", event.records_sent}, {"bytes_in", event.bytes_received},
               {"bytes_out", event.bytes_sent}, {"ms", event.elapsed_ms}});
  } else if (event.event == "saga.turn") {
    // One per Delta: for the turn-verify histogram; in the log only at debug.
    log::debug(event.event, {{"saga", event.saga_id}, {"peer_domain", event.peer_domain}, {"leg", event.leg},
                             {"records_in", event.records_received}, {"verify_us", event.verify_us}});
  } else {
    log::info(event.event, {{"saga", event.saga_id}, {"peer_domain", event.peer_domain}, {"leg", event.leg}});
  }
}

}  // namespace

std::vector<ConfigKey> SyncNode::section_keys() {
  return {
      {.key = "signer", .type = ConfigType::kString,
       .description = "Signer instance holding this node's identities (default: the only signer)"},
      {.key = "transport", .type = ConfigType::kString,
       .description = "Transport instance used to reach peers (default: the only transport)"},
      {.key = "staging", .type = ConfigType::kString,
       .description = "Space that stages payloads until Commit (default: the space with role temporary)"},
      {.key = "staging_spill", .type = ConfigType::kString,
       .description = "Temporary space on disk (e.g. space-leveldb) taking staged payloads past staging_spill_threshold_bytes (default: none, all stay in sync.staging)"},
      {.key = "staging_spill_threshold_bytes", .type = ConfigType::kInteger,
       .default_value = json::Value(std::int64_t{64} * 1024 * 1024),
       .description = "Staged payload bytes kept in sync.staging before sync.staging_spill takes the rest; also the size of commit batches past it",
       .min = 1, .max = 9007199254740992.0},
      {.key = "shared_staging", .type = ConfigType::kString,
       .description = "Space shared by a group of nodes whose plugin keeps sagas' staging (e.g. the durable space-postgres of docs/scale-out.md): a saga broken on one node resumes on any other, and expired staging of a node that died is reclaimed (default: none)"},
      {.key = "resume_keep_ms", .type = ConfigType::kInteger, .default_value = json::Value(300000),
       .description = "How long a receiver keeps what a broken saga staged, for its sender's next saga to resume; 0: not kept",
       .min = 0, .max = 86400000},
      {.key = "session_signer", .type = ConfigType::kString,
       .description = "Signer instance for the session identities the domain endorses (default: sync.signer)"},
      {.key = "trust", .type = ConfigType::kStringList,
       .description = "Files holding the genesis frames of peer domain identities to trust"},
      {.key = "peers", .type = ConfigType::kObject,
       .description = "Peer URL -> the domain identity (tjp address) expected to answer there"},
      {.key = "init_validity_ms", .type = ConfigType::kInteger, .default_value = json::Value(300000),
       .description = "How long an Init stays acceptable, and the clock skew tolerated between nodes", .min = 1, .max = 86400000},
      {.key = "max_staged_bytes_per_saga", .type = ConfigType::kInteger,
       .default_value = json::Value(std::int64_t{256} * 1024 * 1024),
       .description = "Payload bytes one saga may stage before Commit", .min = 1, .max = 9007199254740992.0},
      {.key = "max_staged_bytes", .type = ConfigType::kInteger,
       .default_value = json::Value(std::int64_t{1024} * 1024 * 1024),
       .description = "Payload bytes all sagas may stage together", .min = 1, .max = 9007199254740992.0},
      {.key = "max_delta_turns", .type = ConfigType::kInteger, .default_value = json::Value(100000),
       .description = "Delta turns one saga may make", .min = 1},
      {.key = "max_message_bytes", .type = ConfigType::kInteger, .default_value = json::Value(4 * 1024 * 1024),
       .description = "Payload bytes per saga message", .min = 1, .max = 1099511627776.0},
      {.key = "request_timeout_ms", .type = ConfigType::kInteger, .default_value = json::Value(60000),
       .description = "How long one saga request may take", .min = 1, .max = 86400000},
      {.key = "saga_idle_timeout_ms", .type = ConfigType::kInteger, .default_value = json::Value(300000),
       .description = "A receiver drops a saga idle this long", .min = 1, .max = 86400000},
      {.key = "endorsement_history", .type = ConfigType::kInteger, .default_value = json::Value(16),
       .description = "Earlier endorsements an Init carries", .min = 1, .max = 1024},
      {.key = "push_peers", .type = ConfigType::kStringList,
       .description = "Peers gibd syncs push_addresses with, at start and every push_interval_ms"},
      {.key = "push_addresses", .type = ConfigType::kStringList,
       .description = "Timelines (any of their addresses) and stones gibd pushes"},
      {.key = "push_interval_ms", .type = ConfigType::kInteger, .default_value = json::Value(0),
       .description = "Period of the push; 0 pushes once, at start", .min = 0},
  };
}

kernel::DeploymentLoader SyncNode::deployment_loader() {
  kernel::DeploymentLoader loader;
  loader.set_section("sync", section_keys());
  // gibd serves it; gib and `gibd validate` read the same files.
  loader.set_section("admin", admin::AdminServer::section_keys());
  // How the timelines gib fork/mut8/rel8 make link their frames.
  loader.set_section("timelines", timelines_section_keys());
  return loader;
}

Result<std::unique_ptr<SyncNode>> SyncNode::create(kernel::Node& node, const kernel::Deployment& deployment,
                                                   Setup setup) {
  // The loader fills defaults only into a section the file has.
  auto found = deployment.sections.find("sync");
  json::Object section = found != deployment.sections.end() ? found->second : json::Object{};
  for (const ConfigKey& key : section_keys()) {
    if (key.default_value && !section.contains(key.key)) section.set(key.key, *key.default_value);
  }

  std::unique_ptr<SyncNode> sync(new SyncNode());
  sync->node_ = &node;

  GIBKIT_ASSIGN_OR_RETURN(std::string signer_name, pick(deployment.signers, string_or_empty(section, "signer"), "signer"));
  Signer* signer = node.signer(signer_name);
  Signer* session_signer = signer;
  if (const std::string name = string_or_empty(section, "session_signer"); !name.empty()) {
    GIBKIT_ASSIGN_OR_RETURN(std::string session_name, pick(deployment.signers, name, "session_signer"));
    session_signer = node.signer(session_name);
  }

  const std::string spill_name = string_or_empty(section, "staging_spill");
  std::string staging_name = string_or_empty(section, "staging");
  if (staging_name.empty()) {
    for (const kernel::SpaceConfig& space : deployment.spaces) {
      if (space.role == kernel::SpaceRole::kTemporary && space.name != spill_name) staging_name = space.name;
    }
  }
  Space* spill = nullptr;
  if (!spill_name.empty()) {
    const kernel::SpaceConfig* config = nullptr;
    for (const kernel::SpaceConfig& space : deployment.spaces) {
      if (space.name == spill_name) config = &space;
    }
    if (config == nullptr) return invalid_argument("sync.staging_spill: no space instance named '" + spill_name + "'");
    // The spill is emptied at every start: it must never be the durable space.
    if (config->role != kernel::SpaceRole::kTemporary) {
      return invalid_argument("sync.staging_spill: space '" + spill_name + "' must have role: temporary");
    }
    if (spill_name == staging_name) {
      return invalid_argument("sync.staging_spill: space '" + spill_name + "' is also sync.staging");
    }
    spill = node.space(spill_name);
  }
  Space* shared_staging = nullptr;
  if (const std::string name = string_or_empty(section, "shared_staging"); !name.empty()) {
    if (std::none_of(deployment.spaces.begin(), deployment.spaces.end(),
                     [&](const kernel::SpaceConfig& space) { return space.name == name; })) {
      return invalid_argument("sync.shared_staging: no space instance named '" + name + "'");
    }
    shared_staging = node.space(name);
    // Declared by the plugin (its table's saga_staging, SDK 1.4), not
    // guessed from its name.
    if (shared_staging->saga_staging() == nullptr) {
      return invalid_argument("sync.shared_staging: space '" + name +
                              "' keeps no sagas' staging (its plugin does not offer it; space-postgres, "
                              "space-leveldb and space-memory do)");
    }
  }
  Space* staging = staging_name.empty() ? nullptr : node.space(staging_name);
  if (staging == nullptr) {
    return invalid_argument("sync needs a staging space: add a space with role: temporary, or name one in sync.staging");
  }
  if (!deployment.transports.empty() || !string_or_empty(section, "transport").empty()) {
    GIBKIT_ASSIGN_OR_RETURN(std::string transport_name,
                            pick(deployment.transports, string_or_empty(section, "transport"), "transport"));
    sync->transport_ = node.transport(transport_name);
  }

  // Peer frames are verified by the signer whose plugin declares their ib
  // (its descriptor's signer_frame_ibs), never by a guess from names.
  std::vector<std::pair<std::string, Signer*>> verifiers;  // frame ib -> signer
  for (const kernel::SignerConfig& config : deployment.signers) {
    Signer* declared = node.signer(config.name);
    for (const std::string& ib : kernel::signer_frame_ibs(*declared)) verifiers.emplace_back(ib, declared);
  }
  auto verifier_for = [verifiers](std::string_view frame_ib) -> Signer* {
    for (const auto& [ib, verifier] : verifiers) {
      if (ib == frame_ib) return verifier;
    }
    return nullptr;
  };

  Space& durable = node.durable_space();
  identity::IdentityRegistry registry(durable);
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> domain, durable.head(kDomainKey));
  if (!domain) {
    GIBKIT_ASSIGN_OR_RETURN(std::string created, registry.create_identity(*signer, json::Object{{"preset", "domain"}}));
    WriteBatch remember;
    remember.heads.push_back(HeadUpdate{std::string(kDomainKey), created, std::string()});
    GIBKIT_RETURN_IF_ERROR(durable.write(remember));
    domain = created;
  }
  sync->domain_tjp_ = *domain;

  const SyncOptions options{
      .max_message_bytes = static_cast<std::size_t>(integer(section, "max_message_bytes")),
      .endorsement_history = static_cast<std::size_t>(integer(section, "endorsement_history")),
      .request_timeout = std::chrono::milliseconds(integer(section, "request_timeout_ms")),
      .saga_idle_timeout = std::chrono::milliseconds(integer(section, "saga_idle_timeout_ms")),
      .init_validity = std::chrono::milliseconds(integer(section, "init_validity_ms")),
      .max_staged_bytes_per_saga = static_cast<std::size_t>(integer(section, "max_staged_bytes_per_saga")),
      .max_staged_bytes = static_cast<std::size_t>(integer(section, "max_staged_bytes")),
      .max_delta_turns = static_cast<std::size_t>(integer(section, "max_delta_turns")),
      .resume_keep = std::chrono::milliseconds(integer(section, "resume_keep_ms")),
      .staging_spill_threshold_bytes = static_cast<std::size_t>(integer(section, "staging_spill_threshold_bytes")),
  };
  sync->service_ = std::make_unique<SyncService>(
      SyncServices{.durable = &durable,
                   .staging = staging,
                   .staging_spill = spill,
                   .shared_staging = shared_staging,
                   .signer = signer,
                   .verifier_for = verifier_for,
                   .session_signer = session_signer,
                   .now_ms = {},
                   .monotonic_ms = {},
                   .on_event = [observer = sync->observer_](const SagaEvent& event) {
                     log_saga_event(event);
                     if (*observer) (*observer)(event);
                   },
                   .random_token = {}},
      *domain, options);
  if (const json::Value* peers = section.find("peers"); peers != nullptr && peers->is_object()) {
    for (const auto& [url, domain_value] : peers->as_object()) {
      if (!domain_value.is_string() || !Address::parse(domain_value.as_string()).ok()) {
        return invalid_argument("sync.peers." + url + " must be the peer's domain identity address");
      }
      sync->peer_domains_.emplace(url, domain_value.as_string());
    }
  }

  const std::filesystem::path base = deployment.file.parent_path();
  for (const std::string& file : setup == Setup::kFull ? strings(section, "trust") : std::vector<std::string>{}) {
    const std::filesystem::path path = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : base / file;
    GIBKIT_ASSIGN_OR_RETURN(std::string genesis, read_file(path));
    Status trusted = sync->service_->trust_peer(genesis);
    if (!trusted.ok()) return trusted.with_context("sync.trust " + path.string());
    // trust_peer does not lift an operator's `gib keystone untrust`: the
    // file stays in the config, the peer stays refused, and the log says so.
    if (Result<IbGib> frame = IbGib::parse(genesis); frame.ok()) {
      if (Result<bool> refused = registry.untrusted(frame->address()); refused.ok() && *refused) {
        log::warn("sync.trust_untrusted", {{"file", path.string()}, {"domain", frame->address()}});
      }
    }
  }

  sync->push_ = PushPlan{strings(section, "push_peers"), strings(section, "push_addresses"),
                         std::chrono::milliseconds(integer(section, "push_interval_ms"))};
  return sync;
}

SyncNode::~SyncNode() = default;

std::vector<std::filesystem::path> SyncNode::unreadable_trust_files(const kernel::Deployment& deployment) {
  std::vector<std::filesystem::path> unreadable;
  auto found = deployment.sections.find("sync");
  if (found == deployment.sections.end()) return unreadable;
  const std::filesystem::path base = deployment.file.parent_path();
  for (const std::string& file : strings(found->second, "trust")) {
    const std::filesystem::path path = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : base / file;
    if (!std::ifstream(path, std::ios::binary)) unreadable.push_back(path);
  }
  return unreadable;
}

void SyncNode::observe(std::function<void(const SagaEvent&)> observer) { *observer_ = std::move(observer); }

RequestHandler SyncNode::handler() {
  SyncService* service = service_.get();
  return [service](std::string_view request) { return service->answer(request); };
}

Result<std::string> SyncNode::peer_domain(std::string_view peer) const {
  auto found = peer_domains_.find(std::string(peer));
  if (found == peer_domains_.end()) {
    return failed_precondition("no sync.peers entry names the domain identity expected at " + std::string(peer) +
                               " (add it to sync.peers, or give --peer-domain)");
  }
  return found->second;
}

Result<SyncReport> SyncNode::sync_with(std::string_view peer, const std::vector<std::string>& addresses,
                                       const ProgressCallback& progress, std::string_view expected_domain) {
  if (transport_ == nullptr) return failed_precondition("the deployment has no transport to reach " + std::string(peer));
  std::string domain(expected_domain);
  if (domain.empty()) {
    GIBKIT_ASSIGN_OR_RETURN(domain, peer_domain(peer));
  }
  GIBKIT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, transport_->connect(peer));
  return service_->sync(*connection, domain, addresses, progress);
}

}  // namespace gibkit::saga
