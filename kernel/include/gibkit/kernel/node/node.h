// File: gibkit/kernel/node/node.h
//
// A running node: the plugin instances a Deployment describes, created
// through their plugins and held by name. Kernel code (the saga coordinator,
// gibd) reaches spaces, transports and signers only as the C++ interfaces.
//
// Instances are created spaces first, then signers, then transports, and
// destroyed in reverse, so nothing outlives what it may call into.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/status.h"
#include "gibkit/transport.h"

namespace gibkit::kernel {

class Node {
 public:
  // Instantiates every instance in `deployment` from `registry` (the one the
  // deployment was loaded with). Fails, creating nothing lasting, on the
  // first instance whose plugin refuses its config or cannot start.
  [[nodiscard]] static Result<std::unique_ptr<Node>> create(const Deployment& deployment,
                                                            const PluginRegistry& registry);

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // The node's durable space (exactly one per deployment).
  [[nodiscard]] Space& durable_space() const noexcept { return *durable_; }
  // nullptr when no instance has that name.
  [[nodiscard]] Space* space(std::string_view name) const;
  [[nodiscard]] Transport* transport(std::string_view name) const;
  [[nodiscard]] Signer* signer(std::string_view name) const;

  // Starts every transport configured with `listen: true`, each serving
  // `handler`. On failure stops the ones already started.
  [[nodiscard]] Status start(const RequestHandler& handler);
  // Stops listening transports; idempotent.
  void stop();

  // Endpoints of the listening transports, by instance name.
  [[nodiscard]] std::map<std::string, std::string> endpoints() const;

 private:
  Node() = default;

  std::string name_;
  // Declaration order is destruction order in reverse: transports go first.
  std::map<std::string, std::unique_ptr<Space>, std::less<>> spaces_;
  std::map<std::string, std::unique_ptr<Signer>, std::less<>> signers_;
  std::map<std::string, std::unique_ptr<Transport>, std::less<>> transports_;
  std::vector<std::string> listeners_;  // transports with listen: true
  std::vector<std::string> started_;
  Space* durable_ = nullptr;
};

}  // namespace gibkit::kernel
