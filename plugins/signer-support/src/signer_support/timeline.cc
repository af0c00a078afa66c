#include "signer_support/timeline.h"

#include <utility>
#include <vector>

#include "gibkit/validate.h"

namespace gibkit::signer_support {

Status denied(std::string_view category, std::string_view detail) {
  return permission_denied(std::string(category) + ": " + std::string(detail));
}

Status check_gib(const IbGib& frame, std::string_view which) {
  // The whole intrinsic check, not only compute_gib(frame) == frame.gib:
  // compute_gib answers "gib" for any record whose gib is "gib", so a copy of
  // a real frame relabelled as a primitive would pass, and it does not look
  // at the gib's tjp suffix.
  const Status valid = validate_intrinsically(frame);
  if (!valid.ok()) {
    return denied("gib", std::string(which) + " frame's gib does not match its content (" + valid.message() + ")");
  }
  return {};
}

Status check_timeline_links(const IbGib& prev, const IbGib& next) {
  const std::optional<std::string> prev_tjp = prev.tjp_address();
  if (!prev_tjp) return invalid_argument("prev frame belongs to no timeline");
  if (next.ib != prev.ib) return denied("link", "next frame has another ib than prev");
  // Linked past: exactly [prev], nothing else, so what next says about
  // history is exactly the one frame the verifier holds.
  if (next.rel8d(kRel8nPast) != std::vector<std::string>{prev.address()}) {
    return denied("link", "next.past is not exactly [prev]");
  }
  if (next.rel8d(kRel8nTjp) != std::vector<std::string>{*prev_tjp}) return denied("link", "next.tjp is not prev's timeline");
  if (next.rel8d(kRel8nAncestor) != prev.rel8d(kRel8nAncestor)) return denied("link", "next.ancestor differs from prev");
  if (next.rel8ns) {
    for (const auto& [name, addresses] : *next.rel8ns) {
      if (name != kRel8nPast && name != kRel8nTjp && name != kRel8nAncestor) {
        return denied("link", "unexpected rel8n \"" + name + "\" on an identity frame");
      }
    }
  }
  const json::Value* prev_uuid = prev.data ? prev.data->find("uuid") : nullptr;
  const json::Value* next_uuid = next.data ? next.data->find("uuid") : nullptr;
  if ((prev_uuid == nullptr) != (next_uuid == nullptr) || (prev_uuid != nullptr && !(*prev_uuid == *next_uuid))) {
    return denied("link", "next.uuid differs from the timeline's");
  }
  if (next.data && next.data->find("isTjp") != nullptr) return denied("link", "next frame claims to start a timeline");
  return {};
}

Result<json::Object> next_rel8ns(const IbGib& prev) {
  const std::optional<std::string> tjp = prev.tjp_address();
  if (!tjp) return invalid_argument("the latest frame belongs to no timeline");
  // ts-gib's linkedRel8ns: ["past"]: only the previous frame, so a frame's
  // size does not grow with its timeline (the full history made identity
  // frames grow by an address per turn, to hundreds of KiB).
  json::Array past{json::Value(prev.address())};
  json::Array ancestor;
  for (const std::string& a : prev.rel8d(kRel8nAncestor)) ancestor.emplace_back(a);
  return json::Object{{std::string(kRel8nAncestor), std::move(ancestor)},
                      {std::string(kRel8nPast), std::move(past)},
                      {std::string(kRel8nTjp), json::Array{json::Value(*tjp)}}};
}

Result<std::string> identity_of(const IbGib& frame) {
  const std::optional<std::string> tjp = frame.tjp_address();
  if (!tjp) return invalid_argument("frame belongs to no timeline");
  GIBKIT_ASSIGN_OR_RETURN(const Address address, Address::parse(*tjp));
  return address.gib();
}

Result<FramePair> parse_frame_pair(std::string_view who, std::string_view prev_frame_json,
                                   std::string_view next_frame_json) {
  Result<IbGib> prev = IbGib::parse(prev_frame_json);
  if (!prev.ok()) return prev.status().with_context(std::string(who) + ": prev frame");
  Result<IbGib> next = IbGib::parse(next_frame_json);
  if (!next.ok()) return next.status().with_context(std::string(who) + ": next frame");
  return FramePair{std::move(*prev), std::move(*next)};
}

}  // namespace gibkit::signer_support
