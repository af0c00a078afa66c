// libFuzzer target: the websocket wire envelope
// (plugins/transport-websocket/src/envelope.h). The input is
//  * decoded as one received websocket message (decode_part), and
//  * used to drive the sender side: its first bytes pick kind, id, code and
//    max_frame_bytes, the rest is a message that encode_message splits into
//    parts and encode_error puts in an error part. Every part the encoder
//    makes must decode, and the parts, reassembled in order, must give the
//    message back (the receiver's reassembly by id and index).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "envelope.h"

namespace ws = gibkit::plugins::websocket;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "%s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

// Strict UTF-8 (no surrogates, no overlong forms), as a text frame must be.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

void decode_any(std::string_view wire) {
  for (std::size_t max_body : {std::size_t{16}, std::size_t{1} << 20}) {
    gibkit::Result<ws::Part> part = ws::decode_part(wire, max_body);
    if (!part.ok()) continue;
    if (part->body.size() > max_body) fail("decode_part returned a body over max_body_bytes");
    if (part->header.kind == ws::PartKind::kError) {
      if (!part->body.empty()) fail("an error part with a body was accepted");
      (void)ws::status_from_error(part->header);
    } else if (part->header.id == 0 || part->header.part >= part->header.parts) {
      fail("decode_part accepted an out-of-range request header");
    }
  }
}

void round_trip(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return;
  const ws::PartKind kind = (data[0] & 1) != 0 ? ws::PartKind::kResponse : ws::PartKind::kRequest;
  // Mostly tiny frames (many parts, every split position), some up to 4 KiB.
  const std::size_t max_frame = data[1] < 192 ? 4 + data[1] % 61 : 4 + (data[1] - 192) * 64;
  const std::uint64_t id = 1 + (static_cast<std::uint64_t>(data[2]) * 0x1F3D5B79ULL) % ws::kMaxRequestId;
  const int code = 1 + data[3] % static_cast<int>(gibkit::StatusCode::kInternal);
  const std::size_t headroom = data[0] >> 4;
  const std::string_view message(reinterpret_cast<const char*>(data) + 4, size - 4);
  const bool utf8 = valid_utf8(message);

  std::vector<std::string> wire = ws::encode_message(kind, id, message, max_frame, headroom);
  if (wire.empty()) fail("encode_message made no parts");
  std::string joined;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    if (wire[i].size() < headroom || wire[i].compare(0, headroom, std::string(headroom, '\0')) != 0) {
      fail("headroom missing");
    }
    gibkit::Result<ws::Part> part = ws::decode_part(std::string_view(wire[i]).substr(headroom), max_frame);
    if (!part.ok()) fail("an encoded part does not decode", part.status().to_string());
    if (part->header.kind != kind || part->header.id != id || part->header.part != i ||
        part->header.parts != wire.size()) {
      fail("an encoded part decodes to another header");
    }
    if (utf8 && !valid_utf8(part->body)) fail("a part of a UTF-8 message is not UTF-8", std::to_string(i));
    if (wire.size() > 1 && part->body.empty()) fail("an empty part in a split message");
    joined.append(part->body);
  }
  if (joined != message) fail("the reassembled parts differ from the message");

  const bool fatal = (data[0] & 2) != 0;
  const std::string error_wire =
      ws::encode_error(id, gibkit::Status(static_cast<gibkit::StatusCode>(code), std::string(message)), fatal,
                       headroom);
  if (!utf8) return;  // the header would not be JSON; callers' messages are UTF-8
  gibkit::Result<ws::Part> error = ws::decode_part(std::string_view(error_wire).substr(headroom), 0);
  if (!error.ok()) fail("an encoded error part does not decode", error.status().to_string());
  if (error->header.kind != ws::PartKind::kError || error->header.id != id ||
      static_cast<int>(error->header.code) != code || error->header.fatal != fatal ||
      message.substr(0, error->header.message.size()) != error->header.message ||
      error->header.message.size() > ws::kMaxErrorMessageBytes) {
    fail("an encoded error part decodes to another header");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  decode_any(std::string_view(reinterpret_cast<const char*>(data), size));
  round_trip(data, size);
  return 0;
}
