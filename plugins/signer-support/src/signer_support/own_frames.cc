#include "signer_support/own_frames.h"

#include "signer_support/timeline.h"

namespace gibkit::signer_support {

Status record_new_identity(SecretStore& store, const IbGib& genesis, const Secret& master) {
  GIBKIT_RETURN_IF_ERROR(store.put(genesis.gib, master));
  return store.put_head(genesis.gib, genesis.address());
}

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
  if (!head.ok() || *head != own.frame.address()) {
    return failed_precondition(context + ": frame " + own.frame.address() +
                               " is not the latest frame this signer made for its identity" +
                               (head.ok() ? "" : " (none is recorded)") + "; refusing to evolve it");
  }
  return own;
}

Status record_own_frame(SecretStore& store, const OwnFrame& from, const IbGib& next) {
  return store.put_head(from.identity, next.address());
}

}  // namespace gibkit::signer_support
