#include "gibkit/saga/sync_service.h"

#include "gibkit/saga/contexts.h"
#include "service_state.h"

namespace gibkit::saga {

std::string_view outcome_name(TimelineOutcome::Kind kind) noexcept {
  switch (kind) {
    case TimelineOutcome::Kind::kInSync: return "in_sync";
    case TimelineOutcome::Kind::kSent: return "sent";
    case TimelineOutcome::Kind::kReceived: return "received";
    case TimelineOutcome::Kind::kMerged: return "merged";
    case TimelineOutcome::Kind::kConflict: return "conflict";
  }
  return "unknown";
}

Result<Signer*> SyncService::State::verifier_for(std::string_view frame_json) const {
  GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(frame_json));
  Signer* verifier = services.verifier_for ? services.verifier_for(frame.ib) : nullptr;
  if (verifier == nullptr) {
    return permission_denied("unknown identity: no signer here verifies \"" + frame.ib + "\" frames");
  }
  return verifier;
}

std::int64_t SyncService::State::now_ms() const {
  if (services.now_ms) return services.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t SyncService::State::monotonic_ms() const {
  if (services.monotonic_ms) return services.monotonic_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string SyncService::State::random_token() const {
  return services.random_token ? services.random_token() : saga::random_token();
}

Status SyncService::State::refuse_protected_timeline(std::string_view tjp, const IbGib& frame) const {
  const auto refuse = [&](std::string_view what) {
    return permission_denied("protected: timeline " + std::string(tjp) + " is " + std::string(what) +
                             "; it moves only through verified identity evolution, never by sync or edit");
  };
  if (services.verifier_for && services.verifier_for(frame.ib) != nullptr) return refuse("an identity timeline");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> identity, registry.latest(tjp));
  if (identity) return refuse("an identity timeline");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> saga_log, services.durable->head(saga_log_head_key(tjp)));
  if (saga_log || frame.ib == "sync_saga") return refuse("a saga log");
  return {};
}

Status SyncService::State::accept_signed_context(std::string_view session_tjp, const IbGib& context,
                                                std::string_view frame_json, WriteBatch also) {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> session_head, registry.latest(session_tjp));
  if (!session_head) return permission_denied("unknown identity: session " + std::string(session_tjp));
  GIBKIT_ASSIGN_OR_RETURN(std::string claimed_prev, single_rel8n(context, kRel8nSessionIdentity));
  if (claimed_prev != *session_head) {
    return permission_denied("replay: the context builds on session frame " + claimed_prev +
                             " but the session is at " + *session_head);
  }
  GIBKIT_ASSIGN_OR_RETURN(Signer * verifier, verifier_for(frame_json));
  // The context is stored with the frame that signs it: one durable write.
  also.puts.push_back(StoredRecord{context.address(), context.to_json_text()});
  return registry.accept(*verifier, session_tjp, frame_json, Claim{std::string(identity::kVerbSync), context.address()},
                         std::move(also));
}

Result<std::string> SyncService::State::sign_context(std::string_view session_tjp, const IbGib& context,
                                                     WriteBatch also) {
  // Stored only with the frame: a context no frame signs is of no use, and a
  // frame the signer made but the batch did not store is adopted by the
  // next signature (IdentityRegistry::sign, catch-up).
  also.puts.push_back(StoredRecord{context.address(), context.to_json_text()});
  return registry.sign(session_signer(), session_tjp, Claim{std::string(identity::kVerbSync), context.address()},
                       std::move(also));
}

SyncService::SyncService(SyncServices services, std::string domain_tjp, SyncOptions options)
    : state_(std::make_unique<State>(std::move(services), std::move(domain_tjp), options)) {}

SyncService::~SyncService() = default;

Result<Answer> SyncService::answer(std::string_view request) { return handle_request(*state_, request); }

Result<std::string> SyncService::handle(std::string_view request) {
  GIBKIT_ASSIGN_OR_RETURN(Answer answered, handle_request(*state_, request));
  return std::move(answered.message);
}

Result<SyncReport> SyncService::sync(Connection& peer, std::string_view peer_domain,
                                     const std::vector<std::string>& addresses, const ProgressCallback& progress) {
  return run_sender(*state_, peer, peer_domain, addresses, progress);
}

Status SyncService::refuse_protected_timeline(std::string_view tjp, const IbGib& frame) const {
  return state_->refuse_protected_timeline(tjp, frame);
}

std::size_t SyncService::expire_idle_sagas() { return saga::expire_idle_sagas(*state_); }

std::size_t SyncService::open_sagas() const { return state_->sagas.size(); }

std::vector<std::string> SyncService::staged_addresses() const { return state_->staging.addresses(); }

Status SyncService::trust_peer(std::string_view domain_genesis_json) {
  return state_->registry.trust(domain_genesis_json);
}

}  // namespace gibkit::saga
