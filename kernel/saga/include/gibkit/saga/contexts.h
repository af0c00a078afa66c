// File: gibkit/saga/contexts.h
//
// Context records: the message stones of the saga. Every context is signed
// by its author's session frame (the frame's claim targets the context's
// address). A request context relates `sessionIdentity` = [the sender's
// session frame before the signing one] and `previous` = [the saga's
// previous request context]; a reply context relates `sessionIdentity` =
// [the receiver's session frame before the signing one] and `request` =
// [the request context], binding the answer to exactly one signed turn.
//
// Binding to audience and freshness: every context's data names its
// `audience` (the domain identity of the node it is meant for) and a
// `nonce`. A reply's nonce is fresh; a request's nonce is the one the
// receiver issued in its previous reply (Init: a fresh one, with a validity
// window `issuedAtMs`..`expiresAtMs`), so a turn replayed to another node or
// at a later time fails, as Matrix federation signs the destination and git
// push certificates carry the server's nonce.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/saga/sync_messages.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::saga {

inline constexpr std::string_view kRel8nSessionIdentity = "sessionIdentity";
inline constexpr std::string_view kRel8nPrevious = "previous";
inline constexpr std::string_view kRel8nRequest = "request";

// 128 random bits as lower-case hex (saga ids, nonces).
[[nodiscard]] std::string random_token();

// Checks a context's `audience` and `nonce` (nonce skipped when `nonce` is empty).
[[nodiscard]] Status check_binding(const IbGib& context, std::string_view audience, std::string_view nonce);

// `fields` are added after {sagaId, leg}.
[[nodiscard]] IbGib make_request_context(Leg leg, std::string_view saga_id, json::Object fields,
                                         std::string_view session_frame, std::string_view previous_context);
[[nodiscard]] IbGib make_reply_context(Leg leg, std::string_view saga_id, json::Object fields,
                                       std::string_view signing_frame, std::string_view request_context);

// Writes a control record (a context) to the durable space at once, so the
// saga leaves its trail even when it fails later.
[[nodiscard]] Status store_control(Space& durable, const IbGib& record);

// Checks a context's sagaId and leg against the message it came in.
[[nodiscard]] Status check_context_header(const IbGib& context, Leg leg, std::string_view saga_id);

// The single address related under `name`, or empty when none;
// kInvalidArgument when there are several.
[[nodiscard]] Result<std::string> single_rel8n(const IbGib& record, std::string_view name);

}  // namespace gibkit::saga
