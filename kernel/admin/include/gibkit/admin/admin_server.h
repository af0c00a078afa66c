// File: gibkit/admin/admin_server.h
//
// The admin HTTP endpoint of a running node (the deployment's `admin:`
// section, docs/operations.md): GET /metrics answers the node's metrics in
// the Prometheus text format, GET /healthz "ok" (200) once the node listens
// and its storage is open, "starting" (503) before. Nothing else is served,
// and nothing here changes the node: it is meant for loopback or a
// monitoring network, without authentication, like kubo's and syncthing's
// metrics endpoints.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gibkit/plugin/config_key.h"
#include "gibkit/status.h"

namespace gibkit::admin {

class AdminServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // the /metrics body
    std::function<bool()> healthy;         // /healthz: ok or starting
  };

  // The `admin:` section's keys (address, port), for DeploymentLoader.
  [[nodiscard]] static std::vector<ConfigKey> section_keys();

  // Binds address:port (port 0: the OS picks; endpoint() tells) and serves
  // on a thread of its own until destroyed. kUnavailable naming the address
  // and the reason when it cannot bind.
  [[nodiscard]] static Result<std::unique_ptr<AdminServer>> start(const std::string& address, int port,
                                                                  Handlers handlers);

  ~AdminServer();  // stops serving; a request in progress is cut
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // "http://address:port" with the bound port.
  [[nodiscard]] const std::string& endpoint() const;

  class Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gibkit::admin
