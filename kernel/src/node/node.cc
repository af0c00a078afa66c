#include "gibkit/kernel/node/node.h"

namespace gibkit::kernel {
namespace {

template <typename Map>
auto* find_in(const Map& map, std::string_view name) {
  auto it = map.find(name);
  return it == map.end() ? nullptr : it->second.get();
}

// The plugin for `config`; load_file already checked it exists, so absence
// here means the registry is not the one the deployment was loaded with.
Result<std::shared_ptr<LoadedPlugin>> plugin_for(const PluginRegistry& registry, PluginKind kind,
                                                 const InstanceConfig& config) {
  std::shared_ptr<LoadedPlugin> plugin = registry.find(kind, config.plugin);
  if (plugin == nullptr) {
    return not_found("no " + std::string(plugin_kind_name(kind)) + " plugin named '" + config.plugin + "' for '" +
                     config.name + "'");
  }
  return plugin;
}

}  // namespace

Result<std::unique_ptr<Node>> Node::create(const Deployment& deployment, const PluginRegistry& registry) {
  std::unique_ptr<Node> node(new Node());
  node->name_ = deployment.node_name;
  for (const SpaceConfig& config : deployment.spaces) {
    GIBKIT_ASSIGN_OR_RETURN(auto plugin, plugin_for(registry, PluginKind::kSpace, config));
    Result<std::unique_ptr<Space>> space = plugin->create_space(config.config);
    if (!space.ok()) return space.status().with_context("space '" + config.name + "'");
    if (config.role == SpaceRole::kDurable) node->durable_ = space->get();
    node->spaces_.emplace(config.name, std::move(*space));
  }
  if (node->durable_ == nullptr) return invalid_argument("deployment has no durable space");
  for (const SignerConfig& config : deployment.signers) {
    GIBKIT_ASSIGN_OR_RETURN(auto plugin, plugin_for(registry, PluginKind::kSigner, config));
    Result<std::unique_ptr<Signer>> signer = plugin->create_signer(config.config);
    if (!signer.ok()) return signer.status().with_context("signer '" + config.name + "'");
    node->signers_.emplace(config.name, std::move(*signer));
  }
  for (const TransportConfig& config : deployment.transports) {
    GIBKIT_ASSIGN_OR_RETURN(auto plugin, plugin_for(registry, PluginKind::kTransport, config));
    Result<std::unique_ptr<Transport>> transport = plugin->create_transport(config.config);
    if (!transport.ok()) return transport.status().with_context("transport '" + config.name + "'");
    node->transports_.emplace(config.name, std::move(*transport));
    if (config.listen) node->listeners_.push_back(config.name);
  }
  return node;
}

Node::~Node() { stop(); }

Space* Node::space(std::string_view name) const { return find_in(spaces_, name); }
Transport* Node::transport(std::string_view name) const { return find_in(transports_, name); }
Signer* Node::signer(std::string_view name) const { return find_in(signers_, name); }

Status Node::start(const RequestHandler& handler) {
  for (const std::string& name : listeners_) {
    Status listening = transports_.at(name)->listen(handler);
    if (!listening.ok()) {
      stop();
      return listening.with_context("transport '" + name + "'");
    }
    started_.push_back(name);
  }
  return Status();
}

void Node::stop() {
  for (auto it = started_.rbegin(); it != started_.rend(); ++it) transports_.at(*it)->stop();
  started_.clear();
}

std::map<std::string, std::string> Node::endpoints() const {
  std::map<std::string, std::string> out;
  for (const std::string& name : started_) out[name] = transports_.at(name)->endpoint();
  return out;
}

}  // namespace gibkit::kernel
