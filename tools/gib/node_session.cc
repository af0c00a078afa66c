#include "node_session.h"

#include <atomic>
#include <string>

namespace gibkit::tools {
namespace {

constexpr std::string_view kLockedMarker = " is locked";

// Set once by gibd before its local API accepts a request; read by every
// request thread.
std::atomic<kernel::Node*> served_node{nullptr};
std::atomic<const kernel::Deployment*> served_deployment{nullptr};

}  // namespace

void NodeSession::serve_from(kernel::Node& node, const kernel::Deployment& deployment) {
  served_deployment.store(&deployment);
  served_node.store(&node);
}

Result<std::unique_ptr<NodeSession>> NodeSession::open(const std::filesystem::path& config) {
  std::unique_ptr<NodeSession> session(new NodeSession());
  if (kernel::Node* node = served_node.load(); node != nullptr) {
    session->deployment_ = *served_deployment.load();
    session->node_ = node;
    return session;
  }
  Result<kernel::Deployment> deployment = saga::SyncNode::deployment_loader().load_file(config, session->registry_);
  if (!deployment.ok()) return deployment.status();
  session->deployment_ = std::move(deployment).value();
  Result<std::unique_ptr<kernel::Node>> node = kernel::Node::create(session->deployment_, session->registry_);
  if (!node.ok()) {
    const Status& status = node.status();
    if (status.message().find(kLockedMarker) != std::string::npos) {
      return unavailable(status.message() + "; is gibd running on " + config.string() +
                         "? Stop it before using gib on this node");
    }
    return status.with_context("cannot open node " + config.string());
  }
  session->owned_node_ = std::move(node).value();
  session->node_ = session->owned_node_.get();
  return session;
}

NodeSession::~NodeSession() = default;

std::vector<std::string> NodeSession::identity_frame_ibs() const {
  std::vector<std::string> ibs;
  for (const kernel::SignerConfig& config : deployment_.signers) {
    if (Signer* signer = node_->signer(config.name); signer != nullptr) {
      for (const std::string& ib : kernel::signer_frame_ibs(*signer)) ibs.push_back(ib);
    }
  }
  return ibs;
}

Result<Signer*> NodeSession::identity_signer() const {
  std::string wanted;
  if (auto sync = deployment_.sections.find("sync"); sync != deployment_.sections.end()) {
    if (const json::Value* name = sync->second.find("signer"); name != nullptr && name->is_string()) {
      wanted = name->as_string();
    }
  }
  if (wanted.empty()) {
    if (deployment_.signers.size() != 1) {
      return failed_precondition("the deployment has " + std::to_string(deployment_.signers.size()) +
                                 " signers; name the node's signer in sync.signer");
    }
    wanted = deployment_.signers.front().name;
  }
  Signer* signer = node_->signer(wanted);
  if (signer == nullptr) return failed_precondition("sync.signer: no signer instance named '" + wanted + "'");
  return signer;
}

Result<std::unique_ptr<saga::SyncNode>> NodeSession::sync_node(saga::SyncNode::Setup setup) {
  return saga::SyncNode::create(*node_, deployment_, setup);
}

}  // namespace gibkit::tools
