#include "envelope.h"

#include <cmath>
#include <optional>
#include <utility>

#include "gibkit/json.h"

namespace gibkit::plugins::websocket {
namespace {

constexpr int kWireVersion = 1;

std::string_view kind_name(PartKind kind) {
  switch (kind) {
    case PartKind::kRequest: return "request";
    case PartKind::kResponse: return "response";
    case PartKind::kError: return "error";
  }
  return "error";
}

// Appends the header line (with its '\n') after `headroom` spare bytes.
std::string start_part(const json::Object& header, std::size_t headroom, std::size_t body_size) {
  std::string out(headroom, '\0');
  out.reserve(headroom + 64 + body_size);
  json::stringify_to(json::Value(header), out);
  out.push_back('\n');
  return out;
}

// Length of the longest prefix of `text`, at most `limit` bytes, that does not
// end inside a UTF-8 sequence. A continuation byte (10xxxxxx) never starts a
// character, so backing up over at most three of them finds a boundary.
std::size_t utf8_prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t cut = limit;
  for (int back = 0; back < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++back) --cut;
  // Not UTF-8 after all (a run of continuation bytes): cut at the limit, and
  // let the peer's UTF-8 check reject it, rather than never making progress.
  return cut == 0 ? limit : cut;
}

// A header field that is missing or of the wrong type makes the part
// malformed, whatever code the JSON accessor chose.
Status malformed(const Status& status) { return invalid_argument("header: " + status.message()); }

Result<std::string> header_string(const json::Object& header, std::string_view key) {
  Result<std::string> text = json::get_string(header, key);
  if (!text.ok()) return malformed(text.status());
  return text;
}

Result<std::uint64_t> header_integer(const json::Object& header, std::string_view key, std::uint64_t max) {
  Result<double> number = json::get_number(header, key);
  if (!number.ok()) return malformed(number.status());
  double n = *number;
  if (!(n >= 0) || n != std::floor(n) || n > static_cast<double>(max)) {
    return invalid_argument("header \"" + std::string(key) + "\" is not an integer in [0, " + std::to_string(max) +
                            "]");
  }
  return static_cast<std::uint64_t>(n);
}

std::optional<StatusCode> code_from_name(std::string_view name) {
  for (int c = 1; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    if (status_code_name(static_cast<StatusCode>(c)) == name) return static_cast<StatusCode>(c);
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> encode_message(PartKind kind, std::uint64_t id, std::string_view message,
                                        std::size_t max_frame_bytes, std::size_t headroom) {
  std::vector<std::string> slices;
  std::vector<std::string_view> bodies;
  std::string_view rest = message;
  do {
    std::size_t n = utf8_prefix(rest, max_frame_bytes);
    bodies.push_back(rest.substr(0, n));
    rest.remove_prefix(n);
  } while (!rest.empty());

  slices.reserve(bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    json::Object header{{"v", json::Value(kWireVersion)},
                        {"id", json::Value(id)},
                        {"kind", json::Value(kind_name(kind))},
                        {"part", json::Value(static_cast<std::uint64_t>(i))},
                        {"parts", json::Value(static_cast<std::uint64_t>(bodies.size()))}};
    std::string out = start_part(header, headroom, bodies[i].size());
    out.append(bodies[i]);
    slices.push_back(std::move(out));
  }
  return slices;
}

std::string encode_error(std::uint64_t id, const Status& status, bool fatal, std::size_t headroom) {
  const std::string_view full = status.message();
  // The error part whose message is cut to at most `limit` bytes.
  auto encode_cut = [&](std::size_t limit) {
    json::Object header{{"v", json::Value(kWireVersion)},
                        {"id", json::Value(id)},
                        {"kind", json::Value(kind_name(PartKind::kError))},
                        {"code", json::Value(status_code_name(status.code()))},
                        {"message", json::Value(full.substr(0, utf8_prefix(full, limit)))}};
    if (fatal) header.set("fatal", json::Value(true));
    return start_part(header, headroom, 0);
  };
  // The header line, without headroom and '\n', must fit kMaxHeaderBytes or
  // the peer refuses it. Escaping can make a message up to six times longer
  // (512 quotes or control characters do not fit), so cut further when
  // needed: the largest cut that fits, by bisection (the header grows with
  // the cut; an empty message always fits).
  auto fits = [&](const std::string& part) { return part.size() - headroom - 1 <= kMaxHeaderBytes; };
  std::string part = encode_cut(kMaxErrorMessageBytes);
  if (fits(part)) return part;
  std::size_t good = 0;
  std::size_t bad = kMaxErrorMessageBytes;
  while (bad - good > 1) {
    const std::size_t mid = good + (bad - good) / 2;
    (fits(encode_cut(mid)) ? good : bad) = mid;
  }
  return encode_cut(good);
}

Result<Part> decode_part(std::string_view wire, std::size_t max_body_bytes) {
  std::size_t newline = wire.find('\n');
  if (newline == std::string_view::npos) {
    return invalid_argument(wire.size() > kMaxHeaderBytes ? "header longer than " + std::to_string(kMaxHeaderBytes) +
                                                                " bytes"
                                                          : std::string("no header line (missing '\\n')"));
  }
  if (newline > kMaxHeaderBytes) {
    return invalid_argument("header longer than " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  json::ParseOptions options;
  options.max_depth = 2;
  Result<json::Value> parsed = json::parse(wire.substr(0, newline), options);
  if (!parsed.ok()) return parsed.status().with_context("header is not JSON");
  if (!parsed->is_object()) return invalid_argument("header is not a JSON object");
  const json::Object& object = parsed->as_object();

  Result<std::uint64_t> version = header_integer(object, "v", 1000);
  if (!version.ok()) return version.status();
  if (*version != kWireVersion) return invalid_argument("unsupported wire version " + std::to_string(*version));

  Part part;
  part.body = wire.substr(newline + 1);
  Result<std::uint64_t> id = header_integer(object, "id", kMaxRequestId);
  if (!id.ok()) return id.status();
  part.header.id = *id;

  Result<std::string> kind = header_string(object, "kind");
  if (!kind.ok()) return kind.status();
  if (*kind == "error") {
    part.header.kind = PartKind::kError;
    Result<std::string> code = header_string(object, "code");
    if (!code.ok()) return code.status();
    std::optional<StatusCode> known = code_from_name(*code);
    if (!known) return invalid_argument("unknown error code \"" + *code + "\"");
    part.header.code = *known;
    Result<std::string> message = json::get_string(object, "message");
    part.header.message = message.ok() ? std::move(*message) : std::string();
    const json::Value* fatal = object.find("fatal");
    part.header.fatal = fatal != nullptr && fatal->is_bool() && fatal->as_bool();
    if (!part.body.empty()) return invalid_argument("error part carries a body");
    return part;
  }
  if (*kind == "request") {
    part.header.kind = PartKind::kRequest;
  } else if (*kind == "response") {
    part.header.kind = PartKind::kResponse;
  } else {
    return invalid_argument("unknown kind \"" + *kind + "\"");
  }
  if (part.header.id == 0) return invalid_argument("request id 0 is reserved");
  Result<std::uint64_t> parts = header_integer(object, "parts", UINT32_MAX);
  if (!parts.ok()) return parts.status();
  Result<std::uint64_t> index = header_integer(object, "part", UINT32_MAX);
  if (!index.ok()) return index.status();
  if (*parts == 0 || *index >= *parts) return invalid_argument("part index outside [0, parts)");
  part.header.parts = static_cast<std::uint32_t>(*parts);
  part.header.part = static_cast<std::uint32_t>(*index);
  if (part.body.size() > max_body_bytes) {
    return resource_exhausted("part body of " + std::to_string(part.body.size()) + " bytes exceeds max_frame_bytes " +
                              std::to_string(max_body_bytes));
  }
  return part;
}

Status status_from_error(const PartHeader& header) {
  return Status(header.code, "peer: " + header.message);
}

}  // namespace gibkit::plugins::websocket
