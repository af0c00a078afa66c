// Signer plugins around the frame ibs a signer declares (SDK 1.1,
// gibkit_plugin_descriptor.signer_frame_ibs), chosen at build time
// (GIBKIT_TEST_VARIANT):
//  1  built against SDK 1.0: its descriptor is the 1.0 layout, which ends
//     before the field, and says so in struct_size. It must still load and
//     work, declaring nothing, and the kernel must not read past its end
//     (the sanitizer build would catch that: the descriptor is exactly 1.0's
//     size);
//  2  declares two ibs with GIBKIT_SIGNER_PLUGIN, as a third-party signer
//     would;
//  3  declares an ib that is not one ("a^b"): refused at load.
#include <cstddef>

#include <boost/dll/alias.hpp>  // variant 1 exports the entry point as SDK 1.0 did

#include "gibkit/plugin.h"

namespace {

using gibkit::Result;
using gibkit::Status;

// Signs by echoing the claim; verifies everything.
class EchoSigner final : public gibkit::Signer {
 public:
  Result<gibkit::IdentityFrames> create_identity(const gibkit::json::Value&) override {
    return gibkit::IdentityFrames{{R"({"ib":"test-frame","gib":"gib"})"}, "test-frame^gib"};
  }
  Result<gibkit::IdentityFrames> sign(std::string_view, const gibkit::Claim& claim) override {
    return gibkit::IdentityFrames{{claim.verb + ":" + claim.target}, "test-frame^gib"};
  }
  Result<gibkit::IdentityFrames> revoke(std::string_view, std::string_view) override {
    return gibkit::failed_precondition("never");
  }
  Status verify(std::string_view, std::string_view, const gibkit::Claim&) override { return Status(); }
};

gibkit::PluginSpec<gibkit::Signer> spec() {
  return {.name = GIBKIT_TEST_PLUGIN_NAME, .version = "0", .description = "echoes claims", .config = {},
          .create = [](const gibkit::json::Object&) -> Result<std::unique_ptr<gibkit::Signer>> {
            return std::unique_ptr<gibkit::Signer>(std::make_unique<EchoSigner>());
          }};
}

}  // namespace

#if GIBKIT_TEST_VARIANT == 1

namespace {

// gibkit_plugin_descriptor as SDK 1.0 laid it out.
struct DescriptorV1_0 {
  uint32_t sdk_version_major;
  uint32_t sdk_version_minor;
  size_t struct_size;
  int kind;
  const char* name;
  const char* version;
  const char* description;
  const char* config_schema_json;
  int (*create_space)(gibkit_str, gibkit_space*, gibkit_sink);
  int (*create_transport)(gibkit_str, gibkit_transport*, gibkit_sink);
  int (*create_signer)(gibkit_str, gibkit_signer*, gibkit_sink);
};
static_assert(sizeof(DescriptorV1_0) == GIBKIT_PLUGIN_DESCRIPTOR_SIZE_1_0);
static_assert(offsetof(DescriptorV1_0, create_signer) == offsetof(gibkit_plugin_descriptor, create_signer));

// Heap-allocated with exactly the 1.0 size, so that a read past its end is a
// heap-buffer-overflow under AddressSanitizer (a static could sit next to
// other data). Never freed: the library stays loaded (RTLD_NODELETE).
const gibkit_plugin_descriptor* describe() {
  static const DescriptorV1_0* const kDescriptor = new DescriptorV1_0{
      1, 0, sizeof(DescriptorV1_0), GIBKIT_PLUGIN_KIND_SIGNER, GIBKIT_TEST_PLUGIN_NAME, "0",
      "a signer built against SDK 1.0", "[]", nullptr, nullptr, &gibkit::plugin_detail::create<&spec>,
  };
  return reinterpret_cast<const gibkit_plugin_descriptor*>(kDescriptor);
}

}  // namespace

// Exported as every plugin built against SDK 1.0 to 1.2 did: a Boost.DLL
// alias (a data symbol pointing to the function), which the kernel still loads.
BOOST_DLL_ALIAS(describe, gibkit_plugin_v1)

#elif GIBKIT_TEST_VARIANT == 2
GIBKIT_SIGNER_PLUGIN(spec, "test-frame", "test-frame-v2")
#else
GIBKIT_SIGNER_PLUGIN(spec, "test-frame", "a^b")
#endif
