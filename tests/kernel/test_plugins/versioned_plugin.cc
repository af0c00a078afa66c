// A space plugin stamped with an SDK version other than this one's, as a
// plugin built against a future SDK would be. The descriptor is written by
// hand (not through GIBKIT_PLUGIN) because the version is the point; the
// factory must never run, and says so loudly if it does.
#include <cstdlib>

#include "gibkit/plugin.h"

namespace {

int never_create(gibkit_str, gibkit_space*, gibkit_sink) { std::abort(); }

const gibkit_plugin_descriptor* describe() {
  static const gibkit_plugin_descriptor kDescriptor = {
      GIBKIT_TEST_SDK_MAJOR,
      GIBKIT_TEST_SDK_MINOR,
      sizeof(gibkit_plugin_descriptor),
      GIBKIT_PLUGIN_KIND_SPACE,
      GIBKIT_TEST_PLUGIN_NAME,
      "0.0.1",
      "test plugin with a foreign SDK version",
      "[]",
      &never_create,
      nullptr,
      nullptr,
      nullptr,  // signer_frame_ibs
      nullptr,  // attach_host
  };
  return &kDescriptor;
}

}  // namespace

GIBKIT_PLUGIN_ENTRY(describe)
