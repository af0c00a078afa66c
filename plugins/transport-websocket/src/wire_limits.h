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

// Each service thread's buffer (lws_context_creation_info.pt_serv_buf_size),
// which is also the most one read from a socket takes: at libwebsockets'
// default of 4096, a 4 MiB Delta took ~1,000 recv calls and RECEIVE
// callbacks (docs/performance.md, round 7). One buffer per context's service
// thread, so its size costs nothing per connection.
inline constexpr unsigned kServiceBufferBytes = kReadChunkBytes;

}  // namespace gibkit::plugins::websocket
