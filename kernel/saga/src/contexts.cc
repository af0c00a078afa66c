#include "gibkit/saga/contexts.h"

#include <random>

#include "gibkit/record_graph.h"

namespace gibkit::saga {
namespace {

IbGib make_context(Leg leg, std::string_view saga_id, json::Object fields, json::Object rel8ns) {
  json::Object data{{"sagaId", std::string(saga_id)}, {"leg", std::string(leg_name(leg))}};
  for (auto& [key, value] : fields) data.set(key, std::move(value));
  return make_stone("sync_context " + std::string(leg_name(leg)), std::move(data), std::move(rel8ns));
}

}  // namespace

IbGib make_request_context(Leg leg, std::string_view saga_id, json::Object fields, std::string_view session_frame,
                           std::string_view previous_context) {
  json::Object rel8ns{{std::string(kRel8nSessionIdentity), json::Array{std::string(session_frame)}}};
  if (!previous_context.empty()) rel8ns.set(std::string(kRel8nPrevious), json::Array{std::string(previous_context)});
  return make_context(leg, saga_id, std::move(fields), std::move(rel8ns));
}

IbGib make_reply_context(Leg leg, std::string_view saga_id, json::Object fields, std::string_view signing_frame,
                         std::string_view request_context) {
  json::Object rel8ns{{std::string(kRel8nSessionIdentity), json::Array{std::string(signing_frame)}},
                      {std::string(kRel8nRequest), json::Array{std::string(request_context)}}};
  return make_context(leg, saga_id, std::move(fields), std::move(rel8ns));
}

std::string random_token() {
  std::random_device device;  // non-deterministic on Linux (getrandom)
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 4; ++i) {
    std::uint32_t word = device();
    for (int nibble = 0; nibble < 8; ++nibble, word >>= 4) token += kHex[word & 0xF];
  }
  return token;
}

Status check_binding(const IbGib& context, std::string_view audience, std::string_view nonce) {
  const json::Object& data = context.data->as_object();
  GIBKIT_ASSIGN_OR_RETURN(std::string named, json::get_string(data, "audience"));
  if (named != audience) {
    return permission_denied("audience: the turn is meant for " + named + ", not this node (" + std::string(audience) +
                             ")");
  }
  if (nonce.empty()) return {};
  GIBKIT_ASSIGN_OR_RETURN(std::string echoed, json::get_string(data, "nonce"));
  if (echoed != nonce) return permission_denied("replay: the turn answers nonce " + echoed + ", not the one issued");
  return {};
}

Status store_control(Space& durable, const IbGib& record) {
  WriteBatch batch;
  batch.puts.push_back(StoredRecord{record.address(), record.to_json_text()});
  return durable.write(batch);
}

Status check_context_header(const IbGib& context, Leg leg, std::string_view saga_id) {
  if (!context.data || !context.data->is_object()) return invalid_argument("context " + context.address() + " has no data");
  const json::Object& data = context.data->as_object();
  GIBKIT_ASSIGN_OR_RETURN(std::string context_saga, json::get_string(data, "sagaId"));
  GIBKIT_ASSIGN_OR_RETURN(std::string context_leg, json::get_string(data, "leg"));
  if (context_saga != saga_id) {
    return invalid_argument("context belongs to saga " + context_saga + ", message to " + std::string(saga_id));
  }
  if (context_leg != leg_name(leg)) {
    return invalid_argument("context is for leg " + context_leg + ", message is " + std::string(leg_name(leg)));
  }
  return {};
}

Result<std::string> single_rel8n(const IbGib& record, std::string_view name) {
  std::vector<std::string> related = record.rel8d(name);
  if (related.size() > 1) return invalid_argument(record.address() + " relates several " + std::string(name));
  return related.empty() ? std::string() : related.front();
}

}  // namespace gibkit::saga
