#include "signer_support/own_frames.h"

#include <optional>
#include <utility>

#include "signer_support/timeline.h"

namespace gibkit::signer_support {

Status record_new_identity(SecretStore& store, const IbGib& genesis, const Secret& master, Lifetime lifetime) {
  GIBKIT_RETURN_IF_ERROR(store.put(genesis.gib, master, lifetime));
  return store.put_head(genesis.gib, genesis.address(), genesis.to_json_text());
}

Status forget_identity(SecretStore& store, std::string_view identity_tjp) {
  // The store keys an identity by its genesis gib.
  GIBKIT_ASSIGN_OR_RETURN(const Address genesis, Address::parse(identity_tjp));
  return store.forget(genesis.gib());
}

namespace {

// The frame this signer made last, when it is the one right after `asked`
// (its past is exactly [asked], as timeline links require) and the whole
// frame is recorded: the caller lost it before storing it (catch-up,
// own_frames.h). nullopt when it is not such a frame.
Result<std::optional<IbGib>> adoptable(const SecretStore& store, const OwnFrame& asked, std::string_view recorded) {
  Result<std::string> json = store.get_head_frame(asked.identity);
  if (!json.ok()) {
    if (json.status().code() == StatusCode::kNotFound) return std::optional<IbGib>();
    return json.status();
  }
  Result<IbGib> made = IbGib::parse(*json);
  // The record is ours and was checked when written: anything else here
  // means the file was damaged, never a reason to evolve something else.
  if (!made.ok() || made->address() != recorded || !check_gib(*made, "recorded").ok()) {
    return data_loss("the recorded latest frame " + std::string(recorded) + " of identity " + asked.identity +
                     " does not match its address");
  }
  if (!check_timeline_links(asked.frame, *made).ok() || made->n() != std::optional<double>(*asked.frame.n() + 1)) {
    return std::optional<IbGib>();
  }
  return std::optional<IbGib>(std::move(*made));
}

}  // namespace

Result<OwnFrame> own_latest_frame(const SecretStore& store, std::string_view who, std::string_view latest_frame_json) {
  const std::string context(who);
  OwnFrame own;
  GIBKIT_ASSIGN_OR_RETURN(own.frame, IbGib::parse(latest_frame_json));
  GIBKIT_RETURN_IF_ERROR(check_gib(own.frame, "latest").with_context(context));
  Result<std::string> identity = identity_of(own.frame);
  if (!identity.ok()) return identity.status().with_context(context);
  own.identity = std::move(*identity);
  // The secret first: a signer that does not control the identity says so
  // (kNotFound) rather than that the frame is not its latest.
  GIBKIT_ASSIGN_OR_RETURN(own.master, store.get(own.identity));
  Result<std::string> head = store.get_head(own.identity);
  if (!head.ok() && head.status().code() != StatusCode::kNotFound) return head.status();
  if (head.ok() && *head != own.frame.address() && own.frame.n()) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> made, adoptable(store, own, *head));
    if (made) {
      own.adopted_json = made->to_json_text();
      own.frame = std::move(*made);
      return own;
    }
  }
  if (!head.ok() || *head != own.frame.address()) {
    return failed_precondition(context + ": frame " + own.frame.address() +
                               " is not the latest frame this signer made for its identity" +
                               (head.ok() ? "" : " (none is recorded)") + "; refusing to evolve it");
  }
  return own;
}

Status record_own_frame(SecretStore& store, const OwnFrame& from, const IbGib& next) {
  return store.put_head(from.identity, next.address(), next.to_json_text());
}

std::vector<std::string> frames_made(const OwnFrame& from, const IbGib& next) {
  std::vector<std::string> frames;
  if (!from.adopted_json.empty()) frames.push_back(from.adopted_json);
  frames.push_back(next.to_json_text());
  return frames;
}

}  // namespace gibkit::signer_support
