// The signer-keystone plugin: exports keystone::KeystoneSigner, configured
// as every signer plugin is (signer_support/signer_plugin.h: secrets_dir).
#include "gibkit/plugin.h"
#include "keystone/keystone_signer.h"
#include "signer_support/signer_plugin.h"

namespace {

gibkit::PluginSpec<gibkit::Signer> keystone_plugin() {
  return gibkit::signer_support::signer_plugin_spec<gibkit::keystone::KeystoneSigner>(
      "signer-keystone", "1.0.0", "Hash-reveal keystone identities (post-quantum minded, ibgib compatible)");
}

}  // namespace

GIBKIT_PLUGIN(keystone_plugin)
