#include "gibkit/saga/sync_messages.h"

#include <array>
#include <utility>

#include "gibkit/json.h"
#include "gibkit/validate.h"

namespace gibkit::saga {
namespace {

constexpr std::array<std::pair<Leg, std::string_view>, 9> kLegNames{{
    {Leg::kInit, "init"},
    {Leg::kAck, "ack"},
    {Leg::kDelta, "delta"},
    {Leg::kDeltaReply, "delta_reply"},
    {Leg::kCommit, "commit"},
    {Leg::kCommitReply, "commit_reply"},
    {Leg::kAbort, "abort"},
    {Leg::kAbortReply, "abort_reply"},
    {Leg::kError, "error"},
}};

Result<Leg> parse_leg(std::string_view name) {
  for (const auto& [leg, leg_text] : kLegNames) {
    if (leg_text == name) return leg;
  }
  return invalid_argument("unknown leg \"" + std::string(name) + "\"");
}

bool is_request_leg(Leg leg) {
  return leg == Leg::kInit || leg == Leg::kDelta || leg == Leg::kCommit || leg == Leg::kAbort;
}

Result<StatusCode> parse_status_code(std::string_view name) {
  for (int code = 1; code <= static_cast<int>(StatusCode::kInternal); ++code) {
    if (status_code_name(static_cast<StatusCode>(code)) == name) return static_cast<StatusCode>(code);
  }
  return invalid_argument("unknown error code \"" + std::string(name) + "\"");
}

// A record embedded in a message, checked intrinsically: the full
// validation, not just "the gib compute_gib gives", which is "gib" for any
// record claiming to be a primitive.
Result<IbGib> record_from(json::Value value, std::string_view field) {
  Result<IbGib> record = IbGib::from_json(std::move(value));
  if (!record) return record.status().with_context(field);
  Status valid = validate_intrinsically(*record);
  if (!valid.ok()) return valid.with_context(std::string(field) + " " + record->address());
  return record;
}

// The payloads array, decoded one record at a time: the array text is split
// without building any value, so a large message never exists as one tree
// of parsed values (that tree costs ~25x the text).
//
// A payload's text is stored as to_json_text() writes it. A sender sends
// what it stored, so the element usually is that text already: then it is
// kept as it came instead of written again (a tenth of a receiver's CPU at
// 100k records, docs/performance.md round 5); otherwise it is written.
Result<Payload> payload_from(std::string_view element) {
  bool stringified = false;
  GIBKIT_ASSIGN_OR_RETURN(json::Value value, json::parse_with_form(element, stringified));
  const bool as_stored = stringified && IbGib::has_json_text_layout(value);
  GIBKIT_ASSIGN_OR_RETURN(IbGib record, record_from(std::move(value), "payloads"));
  if (!as_stored) return Payload::of(record);
  return Payload{record.address(), std::string(element), record.all_rel8d()};
}

Result<std::vector<Payload>> payloads_from_text(std::string_view array_text, const ParallelFor& parallel) {
  std::vector<Payload> payloads;
  if (array_text.empty()) return payloads;
  Result<std::vector<std::string_view>> elements = json::split_array(array_text);
  if (!elements) return elements.status().with_context("payloads must be an array");
  if (!parallel) {
    payloads.reserve(elements->size());
    for (std::string_view element : *elements) {
      GIBKIT_ASSIGN_OR_RETURN(Payload payload, payload_from(element));
      payloads.push_back(std::move(payload));
    }
    return payloads;
  }
  // Each slot is written by exactly one thread; the first error in array
  // order wins, so the answer does not depend on scheduling.
  std::vector<std::optional<Result<Payload>>> decoded(elements->size());
  parallel(elements->size(), [&](std::size_t i) { decoded[i].emplace(payload_from((*elements)[i])); });
  payloads.reserve(decoded.size());
  for (std::optional<Result<Payload>>& slot : decoded) {
    if (!slot->ok()) return slot->status();
    payloads.push_back(std::move(**slot));
  }
  return payloads;
}

// Payload texts are spliced into the encoded envelope as they are, so that a
// sender never parses and re-serializes the records it sends.
std::string with_payloads(std::string envelope, const std::vector<Payload>& payloads) {
  if (payloads.empty()) return envelope;
  std::size_t size = envelope.size() + 16;
  for (const Payload& payload : payloads) size += payload.encoded_size();
  envelope.reserve(size);
  envelope.pop_back();  // the closing brace of the envelope object
  envelope += ",\"payloads\":[";
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    if (i != 0) envelope += ',';
    envelope += payloads[i].json_text;
  }
  envelope += "]}";
  return envelope;
}

// The envelope decoded, but for `payloads`, whose text is only checked as
// JSON and left in *payloads_text (a view into `text`; empty when absent).
Result<json::Object> parse_envelope(std::string_view text, std::string_view* payloads_text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return invalid_argument("a sync message must be a JSON object");
  GIBKIT_ASSIGN_OR_RETURN(std::vector<json::RawMember> members, json::split_object(text));
  std::vector<json::Object::Member> decoded;
  *payloads_text = {};
  for (json::RawMember& member : members) {
    if (member.key == "payloads") {
      *payloads_text = member.json_text;
      continue;
    }
    GIBKIT_ASSIGN_OR_RETURN(json::Value value, json::parse(member.json_text));
    decoded.emplace_back(std::move(member.key), std::move(value));
  }
  json::Object message = json::Object::from_members(std::move(decoded));
  GIBKIT_ASSIGN_OR_RETURN(std::string protocol, json::get_string(message, "protocol"));
  if (protocol != kProtocol) {
    return incompatible("unsupported protocol \"" + protocol + "\", expected " + std::string(kProtocol));
  }
  return message;
}

json::Object envelope(Leg leg, const std::string& saga_id) {
  return json::Object{{"protocol", std::string(kProtocol)},
                      {"leg", std::string(leg_name(leg))},
                      {"sagaId", saga_id}};
}

Result<json::Value> frame_value(std::string_view frame_json, std::string_view field) {
  Result<json::Value> value = json::parse(frame_json);
  if (!value) return value.status().with_context(field);
  return value;
}

Result<json::Value> step_to_json(const identity::EndorsementStep& step) {
  GIBKIT_ASSIGN_OR_RETURN(json::Value frame, frame_value(step.frame_json, "endorsement"));
  return json::Value(json::Object{{"frame", std::move(frame)}, {"target", step.endorsed_address}});
}

Result<identity::EndorsementStep> step_from(const json::Value& value) {
  if (!value.is_object()) return invalid_argument("an endorsement must be an object");
  const json::Value* frame = value.find("frame");
  if (frame == nullptr) return invalid_argument("endorsement.frame is missing");
  GIBKIT_ASSIGN_OR_RETURN(IbGib record, record_from(*frame, "endorsement.frame"));
  GIBKIT_ASSIGN_OR_RETURN(std::string target, json::get_string(value.as_object(), "target"));
  return identity::EndorsementStep{record.to_json_text(), std::move(target)};
}

Result<identity::SessionBundle> session_from(const json::Object& session) {
  identity::SessionBundle bundle;
  GIBKIT_ASSIGN_OR_RETURN(bundle.domain_tjp, json::get_string(session, "domain"));
  const json::Value* endorsement = session.find("endorsement");
  if (endorsement == nullptr) return invalid_argument("session.endorsement is missing");
  GIBKIT_ASSIGN_OR_RETURN(bundle.endorsement, step_from(*endorsement));
  const json::Value* genesis = session.find("genesis");
  if (genesis == nullptr) return invalid_argument("session.genesis is missing");
  GIBKIT_ASSIGN_OR_RETURN(IbGib genesis_record, record_from(*genesis, "session.genesis"));
  bundle.session_genesis_json = genesis_record.to_json_text();
  bundle.session_tjp = genesis_record.address();
  return bundle;
}

Result<json::Value> session_to_json(const identity::SessionBundle& bundle,
                                    const std::vector<identity::EndorsementStep>& earlier_steps) {
  GIBKIT_ASSIGN_OR_RETURN(json::Value endorsement, step_to_json(bundle.endorsement));
  GIBKIT_ASSIGN_OR_RETURN(json::Value genesis, frame_value(bundle.session_genesis_json, "session.genesis"));
  json::Array earlier;
  for (const identity::EndorsementStep& step : earlier_steps) {
    GIBKIT_ASSIGN_OR_RETURN(json::Value value, step_to_json(step));
    earlier.push_back(std::move(value));
  }
  return json::Value(json::Object{{"domain", bundle.domain_tjp},
                                  {"endorsement", std::move(endorsement)},
                                  {"genesis", std::move(genesis)},
                                  {"earlierEndorsements", std::move(earlier)}});
}

Status session_from_message(const json::Object& message, std::optional<identity::SessionBundle>& bundle,
                            std::vector<identity::EndorsementStep>& earlier_steps) {
  GIBKIT_ASSIGN_OR_RETURN(const json::Object* session, json::get_object(message, "session"));
  GIBKIT_ASSIGN_OR_RETURN(identity::SessionBundle parsed, session_from(*session));
  bundle = std::move(parsed);
  if (const json::Value* earlier = session->find("earlierEndorsements"); earlier != nullptr) {
    if (!earlier->is_array()) return invalid_argument("session.earlierEndorsements must be an array");
    for (const json::Value& step : earlier->as_array()) {
      GIBKIT_ASSIGN_OR_RETURN(identity::EndorsementStep step_parsed, step_from(step));
      earlier_steps.push_back(std::move(step_parsed));
    }
  }
  return {};
}

// The context and the session frame that signs it, common to every leg but error.
Status signed_context_to_json(json::Object& message, const IbGib& context, std::string_view frame_json) {
  message.set("context", context.to_json());
  GIBKIT_ASSIGN_OR_RETURN(json::Value signed_frame, frame_value(frame_json, "signedSessionIdentity"));
  message.set("signedSessionIdentity", std::move(signed_frame));
  return {};
}

Status signed_context_from(const json::Object& message, IbGib& context, std::string& frame_json) {
  const json::Value* context_value = message.find("context");
  if (context_value == nullptr) return invalid_argument("context is missing");
  GIBKIT_ASSIGN_OR_RETURN(context, record_from(*context_value, "context"));
  const json::Value* signed_frame = message.find("signedSessionIdentity");
  if (signed_frame == nullptr) return permission_denied("signedSessionIdentity is missing: every turn must be signed");
  GIBKIT_ASSIGN_OR_RETURN(IbGib frame, record_from(*signed_frame, "signedSessionIdentity"));
  frame_json = frame.to_json_text();
  return {};
}

}  // namespace

std::string_view leg_name(Leg leg) noexcept {
  for (const auto& [known, name] : kLegNames) {
    if (known == leg) return name;
  }
  return "unknown";
}

Leg reply_leg(Leg request) noexcept {
  switch (request) {
    case Leg::kInit: return Leg::kAck;
    case Leg::kDelta: return Leg::kDeltaReply;
    case Leg::kCommit: return Leg::kCommitReply;
    default: return Leg::kAbortReply;
  }
}

Payload Payload::of(const IbGib& record) { return Payload{record.address(), record.to_json_text(), record.all_rel8d()}; }

Result<std::string> encode(const SyncRequest& request) {
  json::Object message = envelope(request.leg, request.saga_id);
  GIBKIT_RETURN_IF_ERROR(signed_context_to_json(message, request.context, request.signed_frame_json));
  if (request.session) {
    GIBKIT_ASSIGN_OR_RETURN(json::Value session, session_to_json(*request.session, request.earlier_endorsements));
    message.set("session", std::move(session));
  }
  if (request.pending) {
    json::Object pending;
    GIBKIT_RETURN_IF_ERROR(signed_context_to_json(pending, request.pending->context, request.pending->signed_frame_json));
    message.set("pending", std::move(pending));
  }
  return with_payloads(json::stringify(message), request.payloads);
}

Result<std::string> encode(const SyncResponse& response) {
  json::Object message = envelope(response.leg, response.saga_id);
  if (response.leg == Leg::kError) {
    message.set("error", json::Object{{"code", std::string(status_code_name(response.error.code()))},
                                      {"message", response.error.message()}});
    return json::stringify(message);
  }
  GIBKIT_RETURN_IF_ERROR(signed_context_to_json(message, response.context, response.signed_frame_json));
  if (response.session) {
    GIBKIT_ASSIGN_OR_RETURN(json::Value session, session_to_json(*response.session, response.earlier_endorsements));
    message.set("session", std::move(session));
  }
  return with_payloads(json::stringify(message), response.payloads);
}

Result<std::vector<Payload>> decode_payloads(std::string_view payloads_text, const ParallelFor& parallel) {
  return payloads_from_text(payloads_text, parallel);
}

Result<SyncRequest> decode_request(std::string_view text) {
  GIBKIT_ASSIGN_OR_RETURN(SyncRequest request, decode_request_head(text));
  GIBKIT_ASSIGN_OR_RETURN(request.payloads, decode_payloads(request.unparsed_payloads));
  request.unparsed_payloads = {};
  return request;
}

Result<SyncRequest> decode_request_head(std::string_view text) {
  std::string_view payloads_text;
  GIBKIT_ASSIGN_OR_RETURN(json::Object message, parse_envelope(text, &payloads_text));
  SyncRequest request;
  GIBKIT_ASSIGN_OR_RETURN(std::string leg, json::get_string(message, "leg"));
  GIBKIT_ASSIGN_OR_RETURN(request.leg, parse_leg(leg));
  if (!is_request_leg(request.leg)) return invalid_argument("\"" + leg + "\" is not a request leg");
  GIBKIT_ASSIGN_OR_RETURN(request.saga_id, json::get_string(message, "sagaId"));
  GIBKIT_RETURN_IF_ERROR(signed_context_from(message, request.context, request.signed_frame_json));
  if (request.leg == Leg::kInit) {
    GIBKIT_RETURN_IF_ERROR(session_from_message(message, request.session, request.earlier_endorsements));
  }
  if (const json::Value* pending = message.find("pending"); pending != nullptr) {
    if (request.leg != Leg::kAbort || !pending->is_object()) return invalid_argument("only an abort carries a pending turn");
    PendingTurn turn;
    GIBKIT_RETURN_IF_ERROR(signed_context_from(pending->as_object(), turn.context, turn.signed_frame_json)
                               .with_context("pending"));
    request.pending = std::move(turn);
  }
  if (!payloads_text.empty() && request.leg != Leg::kDelta) return invalid_argument("only a delta carries payloads");
  request.unparsed_payloads = payloads_text;
  return request;
}

Result<SyncResponse> decode_response(std::string_view text) {
  std::string_view payloads_text;
  GIBKIT_ASSIGN_OR_RETURN(json::Object message, parse_envelope(text, &payloads_text));
  SyncResponse response;
  GIBKIT_ASSIGN_OR_RETURN(std::string leg, json::get_string(message, "leg"));
  GIBKIT_ASSIGN_OR_RETURN(response.leg, parse_leg(leg));
  if (is_request_leg(response.leg)) return invalid_argument("\"" + leg + "\" is not a response leg");
  GIBKIT_ASSIGN_OR_RETURN(response.saga_id, json::get_string(message, "sagaId"));
  if (response.leg == Leg::kError) {
    GIBKIT_ASSIGN_OR_RETURN(const json::Object* error, json::get_object(message, "error"));
    GIBKIT_ASSIGN_OR_RETURN(std::string code_name, json::get_string(*error, "code"));
    GIBKIT_ASSIGN_OR_RETURN(StatusCode code, parse_status_code(code_name));
    GIBKIT_ASSIGN_OR_RETURN(std::string error_message, json::get_string(*error, "message"));
    response.error = Status(code, "peer: " + error_message);
    return response;
  }
  GIBKIT_RETURN_IF_ERROR(signed_context_from(message, response.context, response.signed_frame_json));
  if (response.leg == Leg::kAck) {
    GIBKIT_RETURN_IF_ERROR(session_from_message(message, response.session, response.earlier_endorsements));
  }
  GIBKIT_ASSIGN_OR_RETURN(response.payloads, payloads_from_text(payloads_text, {}));
  return response;
}

}  // namespace gibkit::saga
