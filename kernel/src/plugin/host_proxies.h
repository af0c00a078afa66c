// Host side of the plugin ABI: C++ objects implementing gibkit::Space,
// Transport and Signer over a plugin's C tables. Private to the kernel;
// LoadedPlugin hands them out. Each proxy owns its C object (destroying it
// through the plugin) and keeps the library loaded while it lives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gibkit/plugin_abi.h"
#include "gibkit/signer.h"
#include "gibkit/space.h"
#include "gibkit/transport.h"

namespace gibkit::kernel {

// `library` is any owner whose lifetime keeps the plugin loaded.
std::unique_ptr<Space> make_space_proxy(gibkit_space space, std::shared_ptr<const void> library);
std::unique_ptr<Transport> make_transport_proxy(gibkit_transport transport, std::shared_ptr<const void> library);
// `frame_ibs`: what the plugin declared it verifies (signer_frame_ibs()).
std::unique_ptr<Signer> make_signer_proxy(gibkit_signer signer, std::shared_ptr<const void> library,
                                          std::vector<std::string> frame_ibs);

}  // namespace gibkit::kernel
