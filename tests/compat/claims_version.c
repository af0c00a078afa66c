/* A space plugin that claims to be built for SDK CLAIMED_MAJOR.CLAIMED_MINOR
 * (compile definitions): a future minor or another major, which the kernel
 * must refuse from the first two fields alone, before it reads anything
 * else (so the rest may stay empty). */
#include <gibkit/plugin_abi.h>

static const gibkit_plugin_descriptor kDescriptor = {
    .sdk_version_major = CLAIMED_MAJOR,
    .sdk_version_minor = CLAIMED_MINOR,
    .struct_size = sizeof(gibkit_plugin_descriptor),
    .kind = GIBKIT_PLUGIN_KIND_SPACE,
    .name = "claims-version",
};

GIBKIT_PLUGIN_EXPORT const gibkit_plugin_descriptor* gibkit_plugin_v1(void);
GIBKIT_PLUGIN_EXPORT const gibkit_plugin_descriptor* gibkit_plugin_v1(void) { return &kDescriptor; }
