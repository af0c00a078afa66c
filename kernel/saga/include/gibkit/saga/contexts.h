// File: gibkit/saga/contexts.h
//
// Context records: the message stones of the saga. A request context is
// what the sender's session frame signs (its claim targets the context's
// address); it relates `sessionIdentity` = [the session frame before the
// signing one] and `previous` = [the saga's previous request context]. A
// reply context relates `sessionIdentity` = [the frame that signed the
// request] and `request` = [the request context], binding the answer to
// exactly one signed turn.
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
