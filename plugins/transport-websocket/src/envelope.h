// File: plugins/transport-websocket/src/envelope.h
//
// The websocket wire format (docs/transport.md). Every websocket message is a
// text message holding one part of one gibkit message:
//
//   {"v":1,"id":7,"kind":"request","part":0,"parts":3}\n<body bytes>
//
// The header is a one-line JSON object; the body follows the first '\n'
// unescaped. Carrying the body raw instead of as a JSON string inside the
// envelope spares an escape pass on send and an unescape pass on receive
// (saga messages are JSON, so roughly every tenth byte is a quote that would
// need escaping). An error part carries "code", "message" and, when the
// connection is closing because of it, "fatal":true in the header, and no
// body; id 0 marks an error that belongs to no request.
//
// A message longer than max_frame_bytes is split into parts at UTF-8
// character boundaries, so that each part is valid UTF-8 as text frames must
// be. Parts of one message are sent in order and never interleaved with
// another message's parts by this implementation; the receiver reassembles
// them by id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/status.h"

namespace gibkit::plugins::websocket {

enum class PartKind { kRequest, kResponse, kError };

// Longest header a receiver accepts; a header is a few dozen bytes, and error
// messages are truncated to fit.
inline constexpr std::size_t kMaxHeaderBytes = 1024;
// Error messages put on the wire are cut to this many bytes.
inline constexpr std::size_t kMaxErrorMessageBytes = 512;
// Request ids are JavaScript-safe integers so that any JSON peer can echo them.
inline constexpr std::uint64_t kMaxRequestId = (std::uint64_t{1} << 53) - 1;

struct PartHeader {
  PartKind kind = PartKind::kRequest;
  std::uint64_t id = 0;      // 0 only for protocol errors
  std::uint32_t part = 0;    // 0-based; requests and responses only
  std::uint32_t parts = 1;
  StatusCode code = StatusCode::kOk;  // errors only
  std::string message;                // errors only
  // Errors only: the sender of the error is closing the connection (a
  // protocol violation), so nothing more sent on it will be answered.
  bool fatal = false;
};

// One websocket message as parsed from the wire: the header and a view of the
// body inside the original buffer.
struct Part {
  PartHeader header;
  std::string_view body;
};

// Splits `message` into the websocket messages that carry it, each body at
// most `max_frame_bytes` (>= 4, so a UTF-8 character always fits). Each
// returned string starts with `headroom` spare bytes (libwebsockets needs
// LWS_PRE bytes in front of the payload it writes).
[[nodiscard]] std::vector<std::string> encode_message(PartKind kind, std::uint64_t id, std::string_view message,
                                                      std::size_t max_frame_bytes, std::size_t headroom);

// The single websocket message that reports `status` (not OK) for request
// `id`; `fatal` when the connection is being closed because of it.
[[nodiscard]] std::string encode_error(std::uint64_t id, const Status& status, bool fatal, std::size_t headroom);

// Parses and validates one received websocket message. kInvalidArgument
// describes what is wrong (missing newline, header not JSON, unknown kind,
// part out of range, ...). `max_body_bytes` bounds each part's body.
[[nodiscard]] Result<Part> decode_part(std::string_view wire, std::size_t max_body_bytes);

// The Status an error part stands for, naming the peer as its source.
[[nodiscard]] Status status_from_error(const PartHeader& header);

}  // namespace gibkit::plugins::websocket
