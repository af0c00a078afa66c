// File: plugins/transport-websocket/src/wire_limits.h
//
// Constants both ends of the websocket transport agree on.
#pragma once

#include <cstddef>

namespace gibkit::plugins::websocket {

// The websocket subprotocol name; a peer that offers none is served too.
inline constexpr char kSubprotocol[] = "gibkit-v1";

// libwebsockets reads at most this much per RECEIVE callback.
inline constexpr std::size_t kReadChunkBytes = 64 * 1024;

}  // namespace gibkit::plugins::websocket
