// File: gibkit/kernel/config/sync_section.h
//
// Keys of the deployment's `sync:` section, read by the saga coordinator.
// Registered with every DeploymentLoader; the saga owns their meaning (see
// docs/config.md) and may replace them with DeploymentLoader::set_section.
#pragma once

#include <vector>

#include "gibkit/plugin/config_key.h"

namespace gibkit::kernel {

[[nodiscard]] std::vector<ConfigKey> sync_section_keys();

}  // namespace gibkit::kernel
