// The signer-keystone plugin: exports keystone::KeystoneSigner.
//
// Config (YAML block of the node config):
//   secrets_dir: directory of the identities' master secrets (one 0600 file
//                per identity, named after its genesis gib). Without it the
//                secrets live in memory and die with the process.
#include <memory>

#include "gibkit/plugin.h"
#include "keystone/keystone_signer.h"
#include "signer_support/secret_store.h"

namespace {

gibkit::Result<std::unique_ptr<gibkit::Signer>> make_signer(const gibkit::json::Object& config) {
  using gibkit::signer_support::SecretStore;
  std::unique_ptr<SecretStore> store = std::make_unique<SecretStore>();
  if (const gibkit::json::Value* dir = config.find("secrets_dir"); dir != nullptr && dir->is_string()) {
    GIBKIT_ASSIGN_OR_RETURN(store, SecretStore::open_directory(dir->as_string()));
  }
  return std::unique_ptr<gibkit::Signer>(std::make_unique<gibkit::keystone::KeystoneSigner>(
      std::move(store), gibkit::signer_support::system_environment()));
}

gibkit::PluginSpec<gibkit::Signer> keystone_plugin() {
  return {
      .name = "signer-keystone",
      .version = "1.0.0",
      .description = "Hash-reveal keystone identities (post-quantum minded, ibgib compatible)",
      .config = {{.key = "secrets_dir",
                  .type = gibkit::ConfigType::kString,
                  .required = false,
                  .description = "Directory holding one 0600 master-secret file per identity; "
                                 "absent: secrets in memory only"}},
      .create = make_signer,
  };
}

}  // namespace

GIBKIT_PLUGIN(keystone_plugin)
