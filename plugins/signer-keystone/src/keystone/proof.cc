#include "keystone/proof.h"

#include "keystone/pool_config.h"

namespace gibkit::keystone {

namespace {

Status only_keys(const json::Object& o, std::initializer_list<std::string_view> keys, std::string_view where) {
  for (const auto& [key, value] : o) {
    bool known = false;
    for (std::string_view k : keys) known = known || key == k;
    if (!known) return invalid_argument(std::string(where) + ": unknown key \"" + key + "\"");
  }
  return {};
}

}  // namespace

json::Value Proof::to_json() const {
  json::Array solution_list;
  for (const Solution& s : solutions) {
    solution_list.emplace_back(json::Object{{"type", std::string(kHashRevealType)},
                                            {"poolId", s.pool_id},
                                            {"challengeId", s.challenge_id},
                                            {"value", s.value}});
  }
  json::Object proof{{"claim", json::Object{{"verb", claim.verb}, {"target", claim.target}}},
                     {"solutions", std::move(solution_list)}};
  if (!required_challenge_ids.empty()) {
    json::Array required;
    for (const std::string& id : required_challenge_ids) required.emplace_back(id);
    proof.set("requiredChallengeIds", std::move(required));
  }
  return proof;
}

Result<Proof> Proof::from_json(const json::Value& value) {
  if (!value.is_object()) return invalid_argument("proof must be an object");
  const json::Object& o = value.as_object();
  GIBKIT_RETURN_IF_ERROR(only_keys(o, {"claim", "solutions", "requiredChallengeIds"}, "proof"));
  Proof proof;
  GIBKIT_ASSIGN_OR_RETURN(const json::Object* claim, json::get_object(o, "claim"));
  GIBKIT_RETURN_IF_ERROR(only_keys(*claim, {"verb", "target"}, "proof claim"));
  GIBKIT_ASSIGN_OR_RETURN(proof.claim.verb, json::get_string(*claim, "verb"));
  GIBKIT_ASSIGN_OR_RETURN(proof.claim.target, json::get_string(*claim, "target"));
  GIBKIT_ASSIGN_OR_RETURN(const json::Array* solutions, json::get_array(o, "solutions"));
  for (const json::Value& s : *solutions) {
    if (!s.is_object()) return invalid_argument("proof: solution must be an object");
    const json::Object& so = s.as_object();
    GIBKIT_RETURN_IF_ERROR(only_keys(so, {"type", "poolId", "challengeId", "value"}, "proof solution"));
    GIBKIT_ASSIGN_OR_RETURN(const std::string type, json::get_string(so, "type"));
    if (type != kHashRevealType) return invalid_argument("proof: unsupported solution type \"" + type + "\"");
    Solution solution;
    GIBKIT_ASSIGN_OR_RETURN(solution.pool_id, json::get_string(so, "poolId"));
    GIBKIT_ASSIGN_OR_RETURN(solution.challenge_id, json::get_string(so, "challengeId"));
    GIBKIT_ASSIGN_OR_RETURN(solution.value, json::get_string(so, "value"));
    proof.solutions.push_back(std::move(solution));
  }
  if (o.contains("requiredChallengeIds")) {
    GIBKIT_ASSIGN_OR_RETURN(const json::Array* required, json::get_array(o, "requiredChallengeIds"));
    for (const json::Value& id : *required) {
      if (!id.is_string()) return invalid_argument("proof: requiredChallengeIds must hold strings");
      proof.required_challenge_ids.push_back(id.as_string());
    }
  }
  return proof;
}

}  // namespace gibkit::keystone
