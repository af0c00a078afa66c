// The signer-keystone plugin: exports keystone::KeystoneSigner, configured
// as every signer plugin is (signer_support/signer_plugin.h: secrets_dir),
// and declares that it verifies keystone frames (ib "keystone").
#include "gibkit/plugin.h"
#include "keystone/keystone_frame.h"
#include "keystone/keystone_signer.h"
#include "signer_support/signer_plugin.h"

namespace {

gibkit::PluginSpec<gibkit::Signer> keystone_plugin() {
  return gibkit::signer_support::signer_plugin_spec<gibkit::keystone::KeystoneSigner>(
      "signer-keystone", "1.1.0",
      "Hash-based keystone identities (post-quantum minded): Winternitz one-time keys, or ibgib-compatible "
      "hash-reveal challenge pools");
}

}  // namespace

// The ib a keystone frame carries, from the code that makes and checks them,
// so the declaration cannot drift from the frames (a literal: NUL-terminated).
GIBKIT_SIGNER_PLUGIN(keystone_plugin, gibkit::keystone::kKeystoneIb.data())
