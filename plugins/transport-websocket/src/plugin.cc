// The transport-websocket plugin: exports WebsocketTransport through the
// gibkit plugin ABI (gibkit/plugin.h).
#include <memory>
#include <utility>

#include "gibkit/plugin.h"
#include "websocket_config.h"
#include "websocket_transport.h"

namespace {

using gibkit::plugins::websocket::WebsocketConfig;
using gibkit::plugins::websocket::WebsocketTransport;

gibkit::PluginSpec<gibkit::Transport> websocket_plugin() {
  return {
      .name = "transport-websocket",
      .version = "0.1.0",
      .description = "Sync over websockets (ws:// and wss://) with libwebsockets",
      .config = gibkit::plugins::websocket::websocket_config_schema(),
      .create = [](const gibkit::json::Object& config) -> gibkit::Result<std::unique_ptr<gibkit::Transport>> {
        GIBKIT_ASSIGN_OR_RETURN(WebsocketConfig parsed, gibkit::plugins::websocket::parse_websocket_config(config));
        return std::unique_ptr<gibkit::Transport>(std::make_unique<WebsocketTransport>(std::move(parsed)));
      },
  };
}

}  // namespace

GIBKIT_PLUGIN(websocket_plugin)
