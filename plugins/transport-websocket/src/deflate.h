// File: plugins/transport-websocket/src/deflate.h
//
// permessage-deflate (RFC 7692) as both ends of the websocket transport use
// it, on libwebsockets' built-in extension. The sender offers it with both
// no_context_takeover parameters and the receiver accepts only such an offer:
// then each end drops its zlib state at the end of every message (libwebsockets
// calls inflateEnd/deflateEnd), so an idle connection holds none, and the
// ~300 KiB a deflater and inflater cost with 15 window bits are held only by
// connections that are sending or receiving a message at that moment. Cross-
// message context gains little here: a message is up to max_frame_bytes of
// many records, and its own window already sees their repeated keys.
//
// Limits: libwebsockets hands the application inflated bytes, at most one
// inflate buffer (1 KiB by default) per RECEIVE callback, so every limit the
// receiver and sender check on received bytes counts inflated bytes, checked
// before each chunk is kept. A message that inflates past max_frame_bytes is
// refused after at most max_frame_bytes + 1 KiB of memory.
//
// Writing: libwebsockets deflates a message into 1 KiB fragments; lws_write
// sends the first and keeps a pointer into the caller's buffer for the rest,
// which it sends on its own WRITEABLE events before the application gets the
// next one. So both ends keep the buffer they last wrote until their next
// WRITEABLE callback (Session::written, Link::written).
#pragma once

#include <string_view>

#include <libwebsockets.h>

namespace gibkit::plugins::websocket {

// The extension table for lws_context_creation_info::extensions (the sender's
// offer included), terminated as libwebsockets wants.
[[nodiscard]] const lws_extension* deflate_extensions();

// Whether the first permessage-deflate offer in a Sec-WebSocket-Extensions
// header (the one libwebsockets would accept) asks both ends to drop their
// context after each message.
[[nodiscard]] bool offer_drops_context(std::string_view header);

// For LWS_CALLBACK_CONFIRM_EXTENSION_OKAY on the receiver: 0 (accept) when the
// offer on `wsi` drops both contexts, 1 (decline, the connection stays
// uncompressed) otherwise.
[[nodiscard]] int confirm_deflate_offer(lws* wsi);

// Whether permessage-deflate was negotiated on `wsi` (once established).
[[nodiscard]] bool deflate_active(lws* wsi);

}  // namespace gibkit::plugins::websocket
