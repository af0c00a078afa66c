// The built signer-keystone plugin, driven through its C ABI (plugin_abi.h)
// the way a node drives it: create_identity with the "domain" and "session"
// presets (wots) and the pool presets, sign, verify and revoke, every frame
// crossing the ABI as JSON. Loaded with dlopen and the Boost.DLL alias the
// plugin exports, so this suite needs the SDK headers only, not the kernel.
#include <dlfcn.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/plugin_abi.h"
#include "signer_testing.h"

namespace gibkit {
namespace {

using signer_testing::target;

gibkit_str view(const std::string& s) { return {s.data(), s.size()}; }

struct Collected {
  std::vector<std::string> items;
  gibkit_sink sink() {
    return {this, [](void* ctx, const char* data, std::size_t size) {
              static_cast<Collected*>(ctx)->items.emplace_back(data, size);
            }};
  }
  [[nodiscard]] std::string text() const { return items.empty() ? std::string() : items.back(); }
};

// One instance of the plugin's signer (secrets in memory).
class PluginSigner {
 public:
  PluginSigner() {
    library_ = ::dlopen(GIBKIT_KEYSTONE_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (library_ == nullptr) {
      ADD_FAILURE() << "dlopen: " << ::dlerror();
      return;
    }
    // BOOST_DLL_ALIAS exports a pointer to the entry function.
    void* alias = ::dlsym(library_, GIBKIT_PLUGIN_ENTRY_NAME);
    if (alias == nullptr) {
      ADD_FAILURE() << "no " << GIBKIT_PLUGIN_ENTRY_NAME;
      return;
    }
    const auto entry = *static_cast<gibkit_plugin_entry_fn*>(alias);
    const gibkit_plugin_descriptor* descriptor = entry();
    EXPECT_EQ(descriptor->kind, GIBKIT_PLUGIN_KIND_SIGNER);
    EXPECT_STREQ(descriptor->name, "signer-keystone");
    EXPECT_NE(descriptor->signer_frame_ibs, nullptr);
    if (descriptor->signer_frame_ibs != nullptr) {
      EXPECT_STREQ(descriptor->signer_frame_ibs[0], "keystone");
    }
    Collected error;
    const std::string config = "{}";
    const int code = descriptor->create_signer(view(config), &signer_, error.sink());
    EXPECT_EQ(code, 0) << error.text();
  }
  ~PluginSigner() {
    if (signer_.vtable != nullptr) signer_.vtable->destroy(signer_.self);
    // The plugin stays mapped (as the kernel keeps it, RTLD_NODELETE-like):
    // libraries it uses may leave thread-local state behind.
  }
  PluginSigner(const PluginSigner&) = delete;
  PluginSigner& operator=(const PluginSigner&) = delete;

  // The latest frame's JSON, or "" with the error in `error`.
  std::string create(const std::string& options, std::string* error = nullptr) {
    Collected records, latest, failure;
    const int code = signer_.vtable->create_identity(signer_.self, view(options), records.sink(), latest.sink(),
                                                     failure.sink());
    return finish(code, records, failure, error);
  }
  std::string sign(const std::string& latest_frame, const Claim& claim, std::string* error = nullptr) {
    Collected records, latest, failure;
    const gibkit_claim c{view(claim.verb), view(claim.target)};
    const int code = signer_.vtable->sign(signer_.self, view(latest_frame), &c, records.sink(), latest.sink(),
                                          failure.sink());
    return finish(code, records, failure, error);
  }
  std::string revoke(const std::string& latest_frame, const std::string& reason) {
    Collected records, latest, failure;
    const int code = signer_.vtable->revoke(signer_.self, view(latest_frame), view(reason), records.sink(),
                                            latest.sink(), failure.sink());
    return finish(code, records, failure, nullptr);
  }
  // The error text, "" when verified.
  std::string verify(const std::string& prev, const std::string& next, const Claim& claim) {
    Collected failure;
    const gibkit_claim c{view(claim.verb), view(claim.target)};
    const int code = signer_.vtable->verify(signer_.self, view(prev), view(next), &c, failure.sink());
    return code == 0 ? std::string() : "code " + std::to_string(code) + ": " + failure.text();
  }

 private:
  static std::string finish(int code, const Collected& records, const Collected& failure, std::string* error) {
    if (code != 0) {
      if (error != nullptr) {
        *error = failure.text();
      } else {
        ADD_FAILURE() << "code " << code << ": " << failure.text();
      }
      return {};
    }
    return records.text();
  }

  void* library_ = nullptr;
  gibkit_signer signer_{nullptr, nullptr};
};

std::string scheme_of(const std::string& frame) {
  const Result<IbGib> record = IbGib::parse(frame);
  const json::Value* scheme = record.ok() && record->data ? record->data->find("scheme") : nullptr;
  return scheme != nullptr && scheme->is_string() ? scheme->as_string() : "pools";
}

TEST(KeystonePluginTest, PresetsSignAndVerifyThroughTheAbi) {
  PluginSigner signer;
  struct Preset {
    const char* options;
    const char* verb;
    const char* scheme;
  };
  for (const Preset& preset : {Preset{R"({"preset":"domain"})", "endorse", "wots-w16-sha256"},
                               Preset{R"({"preset":"session"})", "sync", "wots-w16-sha256"},
                               Preset{"", "sync", "wots-w16-sha256"},
                               Preset{R"({"preset":"domain-pools"})", "endorse", "pools"},
                               Preset{R"({"preset":"session-pools"})", "sync", "pools"}}) {
    SCOPED_TRACE(preset.options);
    std::vector<std::string> frames{signer.create(preset.options)};
    ASSERT_FALSE(frames.back().empty());
    EXPECT_EQ(scheme_of(frames.back()), preset.scheme);
    for (int i = 0; i < 3; ++i) {
      const Claim claim{preset.verb, target(i)};
      frames.push_back(signer.sign(frames.back(), claim));
      ASSERT_FALSE(frames.back().empty());
      EXPECT_EQ(signer.verify(frames[frames.size() - 2], frames.back(), claim), "");
      EXPECT_NE(signer.verify(frames[frames.size() - 2], frames.back(), {preset.verb, target(i + 1)}), "");
    }
    if (std::string(preset.scheme) != "pools") {
      for (const std::string& frame : frames) EXPECT_LE(frame.size(), 8192u);
    }
    const std::string revoked = signer.revoke(frames.back(), "done");
    ASSERT_FALSE(revoked.empty());
    const std::string revoked_address = IbGib::parse(frames.back())->address();
    EXPECT_EQ(signer.verify(frames.back(), revoked, {"revoke", revoked_address}), "");
    std::string error;
    EXPECT_TRUE(signer.sign(revoked, {preset.verb, target(9)}, &error).empty());
    EXPECT_NE(error.find("revoked"), std::string::npos) << error;
  }
  std::string error;
  EXPECT_TRUE(signer.create(R"({"preset":"admin"})", &error).empty());
  EXPECT_NE(error.find("domain-pools"), std::string::npos) << error;
}

}  // namespace
}  // namespace gibkit
