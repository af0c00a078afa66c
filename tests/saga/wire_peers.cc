#include "wire_peers.h"

#include "gibkit/saga/contexts.h"

namespace gibkit::saga::testing {
namespace {


}  // namespace

WireSender::WireSender(TestNode& me, TestNode& receiver)
    : WireSender(me, connect(me, receiver), receiver.domain_tjp) {}

WireSender::WireSender(TestNode& me, std::unique_ptr<Connection> connection, std::string audience)
    : me_(me), registry_(*me.durable), connection_(std::move(connection)), audience_(std::move(audience)),
      saga_id_(random_token()) {}

Result<std::string> WireSender::encode_turn(Leg leg, json::Object fields, std::vector<Payload> payloads) {
  if (leg == Leg::kInit) {
    GIBKIT_ASSIGN_OR_RETURN(session_, registry_.begin_session(*me_.signer, *me_.signer, me_.domain_tjp));
  }
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, registry_.latest(session_.session_tjp));
  fields.set("audience", audience_);
  fields.set("nonce", leg == Leg::kInit ? random_token() : nonce_);
  SyncRequest request;
  request.leg = leg;
  request.saga_id = saga_id_;
  request.context = make_request_context(leg, saga_id_, std::move(fields), *head, previous_context_);
  GIBKIT_ASSIGN_OR_RETURN(request.signed_frame_json,
                          registry_.sign(*me_.signer, session_.session_tjp,
                                         Claim{std::string(identity::kVerbSync), request.context.address()}));
  if (leg == Leg::kInit) {
    // Endorsements the receiver may have missed, as the real sender sends.
    request.session = session_;
    GIBKIT_ASSIGN_OR_RETURN(request.earlier_endorsements,
                            registry_.endorsements_before(me_.domain_tjp,
                                                          IbGib::parse(session_.endorsement.frame_json)->address(),
                                                          {}, 16));
  }
  request.payloads = std::move(payloads);
  previous_context_ = request.context.address();
  return encode(request);
}

Result<SyncResponse> WireSender::send(const std::string& message) {
  GIBKIT_ASSIGN_OR_RETURN(std::string answer, connection_->request(message, std::chrono::seconds(10)));
  GIBKIT_ASSIGN_OR_RETURN(SyncResponse reply, decode_response(answer));
  if (reply.leg != Leg::kError) nonce_ = reply.context.data->find("nonce")->as_string();
  return reply;
}

Result<SyncResponse> WireSender::turn(Leg leg, json::Object fields, std::vector<Payload> payloads) {
  GIBKIT_ASSIGN_OR_RETURN(std::string message, encode_turn(leg, std::move(fields), std::move(payloads)));
  return send(message);
}

Result<SyncResponse> WireSender::init(json::Object heads, std::vector<std::string> stones) {
  const double now = static_cast<double>(*me_.clock_ms);
  return turn(Leg::kInit, json::Object{{"domain", me_.domain_tjp},
                                       {"issuedAtMs", now},
                                       {"expiresAtMs", now + 60000},
                                       {"heads", std::move(heads)},
                                       {"stones", json::Array(stones.begin(), stones.end())}});
}

Result<SyncResponse> WireSender::delta(std::vector<Payload> payloads, std::vector<std::string> want) {
  json::Array names;
  for (const Payload& payload : payloads) names.emplace_back(payload.address);
  json::Object fields{{"seq", static_cast<double>(seq_++)}, {"payloadAddrs", std::move(names)}};
  if (!want.empty()) fields.set("want", json::Array(want.begin(), want.end()));
  return turn(Leg::kDelta, std::move(fields), std::move(payloads));
}

Result<SyncResponse> WireSender::commit(json::Object heads) {
  return turn(Leg::kCommit, json::Object{{"heads", std::move(heads)}});
}

Result<SyncResponse> WireSender::abort() { return turn(Leg::kAbort, json::Object{{"reason", "test"}}); }

WireReceiver::WireReceiver(TestNode& me, AnswerFn answer)
    : me_(me), registry_(*me.durable), answer_(std::move(answer)) {}

Result<std::string> WireReceiver::request(std::string_view message, std::chrono::milliseconds) {
  GIBKIT_ASSIGN_OR_RETURN(SyncRequest request, decode_request(message));
  if (request.leg == Leg::kInit) {
    GIBKIT_ASSIGN_OR_RETURN(session_, registry_.begin_session(*me_.signer, *me_.signer, me_.domain_tjp));
  }
  Answer answer = answer_(request);
  // The sender's domain, as its Init named it (kept across turns).
  if (request.session) sender_domains_[request.saga_id] = request.session->domain_tjp;
  answer.fields.set("audience", sender_domains_[request.saga_id]);
  answer.fields.set("nonce", random_token());
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, registry_.latest(session_.session_tjp));
  SyncResponse response;
  response.leg = reply_leg(request.leg);
  response.saga_id = request.saga_id;
  response.context = make_reply_context(response.leg, request.saga_id, std::move(answer.fields), *head,
                                        request.context.address());
  GIBKIT_ASSIGN_OR_RETURN(response.signed_frame_json,
                          registry_.sign(*me_.signer, session_.session_tjp,
                                         Claim{std::string(identity::kVerbSync), response.context.address()}));
  if (request.leg == Leg::kInit) response.session = session_;
  response.payloads = std::move(answer.payloads);
  return encode(response);
}

}  // namespace gibkit::saga::testing
