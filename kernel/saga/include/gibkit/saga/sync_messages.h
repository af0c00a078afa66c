// File: gibkit/saga/sync_messages.h
//
// The sync saga's wire messages (docs/protocol.md, "Messages").
//
// Every message is one JSON object with "protocol": "gibkit-sync/2", a "leg"
// and a "sagaId". Requests (init, delta, commit, abort) and replies (ack,
// delta_reply, commit_reply, abort_reply) alike carry a context record and
// the session identity frame that signs it (its claim targets the context's
// address): the sender's session signs requests, the receiver's session
// signs replies. Init carries the sender's session bundle, Ack the
// receiver's. A failed request is answered with leg "error" and
// {code, message}; an error is never signed, so it can only end a saga on
// the side that reads it, never move anything.
// Records travel as JSON objects and are validated intrinsically
// (validate_intrinsically) on parse.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/status.h"

namespace gibkit::saga {

inline constexpr std::string_view kProtocol = "gibkit-sync/2";

// A record carried in a message. The sender fills address and json_text
// straight from its space (no parse); decoding fills all three from a
// record it has checked intrinsically, json_text in canonical form.
struct Payload {
  std::string address;
  std::string json_text;
  std::vector<std::string> related;  // every address it relates (decoded payloads only)

  [[nodiscard]] static Payload of(const IbGib& record);
  // Bytes this payload adds to a message.
  [[nodiscard]] std::size_t encoded_size() const noexcept { return json_text.size() + 1; }
  friend bool operator==(const Payload&, const Payload&) = default;
};

enum class Leg { kInit, kAck, kDelta, kDeltaReply, kCommit, kCommitReply, kAbort, kAbortReply, kError };

[[nodiscard]] std::string_view leg_name(Leg leg) noexcept;

// The reply leg that answers request leg `request` (ack for init, ...).
[[nodiscard]] Leg reply_leg(Leg request) noexcept;

// A signed turn the sender made but may not have delivered (the transport
// failed): an Abort carries it so that the receiver can verify the session
// chain up to the Abort. The receiver verifies it and never acts on it.
struct PendingTurn {
  IbGib context;
  std::string signed_frame_json;
};

struct SyncRequest {
  Leg leg = Leg::kInit;
  std::string saga_id;
  IbGib context;
  std::string signed_frame_json;  // session frame whose claim targets context.address()
  std::optional<identity::SessionBundle> session;  // init only
  std::vector<identity::EndorsementStep> earlier_endorsements;  // init only
  std::vector<Payload> payloads;  // delta only
  std::optional<PendingTurn> pending;  // abort only
  // decode_request_head only: the payloads array as received, checked as
  // JSON but not decoded (a view into the decoded text; empty when absent).
  std::string_view unparsed_payloads;
};

struct SyncResponse {
  Leg leg = Leg::kAck;
  std::string saga_id;
  IbGib context;                  // absent (empty ib) for errors
  std::string signed_frame_json;  // the receiver's session frame claiming context.address() (not for errors)
  std::optional<identity::SessionBundle> session;  // ack only: the receiver's session
  std::vector<identity::EndorsementStep> earlier_endorsements;  // ack only
  std::vector<Payload> payloads;  // delta_reply: records the sender asked for
  Status error;                   // leg kError only
};

// Encoding fails only if an embedded frame text is not JSON (kInvalidArgument).
[[nodiscard]] Result<std::string> encode(const SyncRequest& request);
[[nodiscard]] Result<std::string> encode(const SyncResponse& response);

// Parse and check the shape (not the meaning) of a message. Malformed input
// gives kInvalidArgument naming the field. Every embedded record must be
// intrinsically valid (kDataLoss otherwise).
[[nodiscard]] Result<SyncRequest> decode_request(std::string_view text);
// The same but for the payloads, which are left in unparsed_payloads: a
// receiver authenticates the turn from the small part of the message
// before it spends anything on the large part (decode_payloads).
[[nodiscard]] Result<SyncRequest> decode_request_head(std::string_view text);
// Runs fn(0..n-1), in any order and on any threads, and returns when all
// ran (a receiver passes its work pool's for_each).
using ParallelFor = std::function<void(std::size_t n, const std::function<void(std::size_t)>& fn)>;

// Decodes a payloads array text, one record at a time; the records are
// independent, so `parallel` (when given) spreads them over threads. The
// order of the result is the order of the array, and the error reported is
// that of the first bad record in it, whatever the threads did.
[[nodiscard]] Result<std::vector<Payload>> decode_payloads(std::string_view payloads_text,
                                                           const ParallelFor& parallel = {});
[[nodiscard]] Result<SyncResponse> decode_response(std::string_view text);

}  // namespace gibkit::saga
