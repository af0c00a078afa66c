// File: signer_support/signer_plugin.h
//
// The PluginSpec every signer plugin exports: a signer is its own code plus
// a SecretStore and the system environment, and it is configured the same
// way whatever its cryptography:
//   secrets_dir: directory of the identities' master secrets (one 0600 file
//                per identity, named after its genesis gib). Without it the
//                secrets live in memory and die with the process.
// Only for plugin sources: it pulls in gibkit/plugin.h.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "gibkit/plugin.h"
#include "signer_support/environment.h"
#include "signer_support/secret_store.h"

namespace gibkit::signer_support {

// The spec of a plugin named `name` whose factory builds a SignerT from the
// configured SecretStore and system_environment().
template <typename SignerT>
[[nodiscard]] PluginSpec<Signer> signer_plugin_spec(std::string name, std::string version, std::string description) {
  return {
      .name = std::move(name),
      .version = std::move(version),
      .description = std::move(description),
      // A path: the kernel resolves it against the deployment file's folder,
      // so a node's secrets do not depend on where gibd was started.
      .config = {{.key = "secrets_dir",
                  .type = ConfigType::kPath,
                  .required = false,
                  .description = "Directory holding one 0600 master-secret file per identity; "
                                 "absent: secrets in memory only",
                  // Where the identities outlive a restart: the kernel refuses
                  // a signer without it next to a durable space that persists.
                  .persists_state = true}},
      .create = [](const json::Object& config) -> Result<std::unique_ptr<Signer>> {
        std::unique_ptr<SecretStore> store = std::make_unique<SecretStore>();
        if (const json::Value* dir = config.find("secrets_dir"); dir != nullptr && dir->is_string()) {
          GIBKIT_ASSIGN_OR_RETURN(store, SecretStore::open_directory(dir->as_string()));
        }
        return std::unique_ptr<Signer>(std::make_unique<SignerT>(std::move(store), system_environment()));
      },
  };
}

}  // namespace gibkit::signer_support
