// A node opened for one `gib` command: the deployment loaded exactly as gibd
// loads it (kernel sections plus the saga's `sync:` section), its plugins,
// and its instances. Commands work on the node's durable space.
//
// Opening a LevelDB space takes its directory lock, so a command on a node
// that gibd is running fails with kUnavailable and says so; nothing is
// written in that case. That is why gib forwards such commands to gibd's
// local API (local_api.h), and inside gibd every session is *borrowed*: it
// wraps the daemon's already-open node instead of opening the deployment
// again (serve_from).
#pragma once

#include <filesystem>
#include <memory>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "gibkit/saga/sync_node.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::tools {

class NodeSession {
 public:
  [[nodiscard]] static Result<std::unique_ptr<NodeSession>> open(const std::filesystem::path& config);

  // From now on (in this process: gibd serving its local API) open() hands
  // out sessions around `node`, whatever file it is given: the API checked
  // that the request names this deployment. Both must outlive every session.
  static void serve_from(kernel::Node& node, const kernel::Deployment& deployment);

  NodeSession(const NodeSession&) = delete;
  NodeSession& operator=(const NodeSession&) = delete;
  ~NodeSession();

  [[nodiscard]] Space& durable() const { return node_->durable_space(); }
  [[nodiscard]] kernel::Node& node() const { return *node_; }
  // Whether the node is gibd's (borrowed), not opened by this session.
  [[nodiscard]] bool borrowed() const noexcept { return owned_node_ == nullptr; }
  [[nodiscard]] const kernel::Deployment& deployment() const { return deployment_; }

  // The ib of every identity frame the node's signer plugins declare.
  [[nodiscard]] std::vector<std::string> identity_frame_ibs() const;

  // The signer holding the node's identities: sync.signer, else the only one.
  [[nodiscard]] Result<Signer*> identity_signer() const;

  // The node wired to the saga as gibd wires it; creates the node's domain
  // identity on first use.
  [[nodiscard]] Result<std::unique_ptr<saga::SyncNode>> sync_node(
      saga::SyncNode::Setup setup = saga::SyncNode::Setup::kFull);

 private:
  NodeSession() = default;

  // Declaration order matters: the node is destroyed before the registry
  // unloads the plugins its instances came from.
  kernel::PluginRegistry registry_;
  kernel::Deployment deployment_;
  std::unique_ptr<kernel::Node> owned_node_;  // null when borrowed from gibd
  kernel::Node* node_ = nullptr;              // owned_node_ or gibd's node
};

}  // namespace gibkit::tools
