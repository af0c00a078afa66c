// The transport-innerspace plugin: exports InnerspaceTransport through the
// gibkit plugin ABI (gibkit/plugin.h).
#include <memory>
#include <utility>

#include "gibkit/plugin.h"
#include "innerspace_config.h"
#include "innerspace_transport.h"

namespace {

using gibkit::plugins::innerspace::InnerspaceConfig;
using gibkit::plugins::innerspace::InnerspaceTransport;

gibkit::PluginSpec<gibkit::Transport> innerspace_plugin() {
  return {
      .name = "transport-innerspace",
      .version = "0.1.0",
      .description = "Connects kernels in one process (innerspace://<name>)",
      .config = gibkit::plugins::innerspace::innerspace_config_schema(),
      .create = [](const gibkit::json::Object& config) -> gibkit::Result<std::unique_ptr<gibkit::Transport>> {
        GIBKIT_ASSIGN_OR_RETURN(InnerspaceConfig parsed, gibkit::plugins::innerspace::parse_innerspace_config(config));
        return std::unique_ptr<gibkit::Transport>(std::make_unique<InnerspaceTransport>(std::move(parsed)));
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(innerspace_plugin)
