// File: gibkit/saga/sync_node.h
//
// Wires a kernel Node to the sync saga as its deployment's `sync:` section
// says (docs/config.md): which signer signs, which transport reaches peers,
// which space stages payloads, which peer domains are trusted, and what to
// push to whom. gibd and `gib sync` both run a node through this.
//
// The node's own domain identity lives in its durable space: created on the
// first start (the signer must keep its secret, e.g. signer-keystone with
// `secrets_dir`, or the identity cannot sign after a restart) and found again
// through the head-index key "gibkit node domain".
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/saga/sync_service.h"
#include "gibkit/status.h"
#include "gibkit/transport.h"

namespace gibkit::saga {

// What gibd pushes on its own: `addresses` to every peer, at start and then
// every `interval` (zero: once).
struct PushPlan {
  std::vector<std::string> peers;
  std::vector<std::string> addresses;
  std::chrono::milliseconds interval{0};
};

class SyncNode {
 public:
  // The `sync:` section's keys, for DeploymentLoader::set_section.
  [[nodiscard]] static std::vector<ConfigKey> section_keys();

  // A loader that knows the `sync:` section: what gibd and gib load
  // deployments with.
  [[nodiscard]] static kernel::DeploymentLoader deployment_loader();

  // What create() sets up: everything, or only the node's own identity
  // (what `gib keystone export` needs: two peers must be able to export for
  // each other before either can read the other's trust file).
  enum class Setup { kFull, kOwnIdentity };

  // Resolves the section against `node`'s instances, imports trusted peer
  // domains (kFull), and finds or creates the node's domain identity. `node`
  // must outlive the SyncNode.
  [[nodiscard]] static Result<std::unique_ptr<SyncNode>> create(kernel::Node& node,
                                                                const kernel::Deployment& deployment,
                                                                Setup setup = Setup::kFull);

  SyncNode(const SyncNode&) = delete;
  SyncNode& operator=(const SyncNode&) = delete;
  ~SyncNode();

  // The sync.trust files of `deployment` that cannot be read now (resolved
  // against the deployment file's directory, as create() reads them).
  // `gibd validate` warns of them: a node cannot start without them, but
  // peers export their files for each other after their configs are written.
  [[nodiscard]] static std::vector<std::filesystem::path> unreadable_trust_files(
      const kernel::Deployment& deployment);

  // The request handler to serve (Node::start).
  [[nodiscard]] RequestHandler handler();

  // Connects to `peer` with the sync transport and syncs `addresses`. The
  // peer must answer as `expected_domain`, or (when empty) as the domain
  // its sync.peers entry names.
  [[nodiscard]] Result<SyncReport> sync_with(std::string_view peer, const std::vector<std::string>& addresses,
                                             const ProgressCallback& progress = {},
                                             std::string_view expected_domain = {});

  // The domain identity sync.peers names for `peer`.
  [[nodiscard]] Result<std::string> peer_domain(std::string_view peer) const;

  [[nodiscard]] const std::string& domain_tjp() const noexcept { return domain_tjp_; }
  [[nodiscard]] const PushPlan& push_plan() const noexcept { return push_; }
  [[nodiscard]] SyncService& service() noexcept { return *service_; }

  // Also hands each receiver SagaEvent (already logged) to `observer`, e.g.
  // for metrics. Call before serving: it is not synchronized with requests.
  void observe(std::function<void(const SagaEvent&)> observer);

 private:
  SyncNode() = default;

  kernel::Node* node_ = nullptr;
  Transport* transport_ = nullptr;
  std::string domain_tjp_;
  PushPlan push_;
  std::map<std::string, std::string> peer_domains_;  // sync.peers: URL -> domain tjp
  std::unique_ptr<SyncService> service_;
  std::shared_ptr<std::function<void(const SagaEvent&)>> observer_ =
      std::make_shared<std::function<void(const SagaEvent&)>>();
};

}  // namespace gibkit::saga
