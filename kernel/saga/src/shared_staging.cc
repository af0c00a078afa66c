#include "shared_staging.h"

namespace gibkit::saga {

SharedStaging::SharedStaging(Space* space, std::int64_t keep_ms)
    : space_(space), staging_(space != nullptr ? space->saga_staging() : nullptr), keep_ms_(keep_ms) {}

Result<std::string> SharedStaging::store_id(const std::function<std::string()>& token) {
  if (!enabled()) return failed_precondition("no shared staging is configured");
  std::lock_guard lock(mutex_);
  if (store_id_) return *store_id_;
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> stored, space_->head(kStoreKey));
  if (!stored) {
    // Two nodes starting at once both propose; the compare-and-swap keeps
    // the first, and the other reads it.
    WriteBatch propose;
    // A primitive address ("...^gib", like the settled mark): a name, not
    // a record, which fsck and readers of the head index know not to look up.
    propose.heads.push_back(HeadUpdate{std::string(kStoreKey), "staging-store-" + token() + "^gib", std::string()});
    Status written = space_->write(propose);
    if (!written.ok() && written.code() != StatusCode::kAborted) return written.with_context("shared staging store id");
    GIBKIT_ASSIGN_OR_RETURN(stored, space_->head(kStoreKey));
    if (!stored) return internal_error("shared staging: the store id vanished after it was written");
  }
  store_id_ = *stored;
  return *store_id_;
}

Status SharedStaging::stage(const std::string& saga_id, const std::string& owner, std::int64_t now_ms,
                            const std::vector<Payload>& payloads) {
  if (!enabled()) return {};
  std::vector<StoredRecord> records;
  records.reserve(payloads.size());
  for (const Payload& payload : payloads) records.push_back(StoredRecord{payload.address, payload.json_text});
  return staging_->stage(saga_id, owner, now_ms + keep_ms_, records).with_context("shared staging of saga " + saga_id);
}

Result<std::optional<std::vector<StoredRecord>>> SharedStaging::adopt(const std::string& from, const std::string& to,
                                                                      const std::string& owner, std::int64_t now_ms) {
  using Adopted = std::optional<std::vector<StoredRecord>>;
  if (!enabled()) return Adopted();
  GIBKIT_ASSIGN_OR_RETURN(bool moved, staging_->adopt(from, to, owner, now_ms + keep_ms_));
  if (!moved) return Adopted();
  std::vector<StoredRecord> records;
  GIBKIT_RETURN_IF_ERROR(staging_->for_each_staged(to, [&](std::string_view address, std::string_view text) {
    records.push_back(StoredRecord{std::string(address), std::string(text)});
    return true;
  }));
  return Adopted(std::move(records));
}

Status SharedStaging::rename(const std::string& from, const std::string& to, const std::string& owner,
                             std::int64_t now_ms) {
  if (!enabled()) return {};
  return staging_->adopt(from, to, owner, now_ms + keep_ms_).status();
}

Status SharedStaging::drop(const std::string& saga_id) {
  if (!enabled()) return {};
  return staging_->drop(saga_id);
}

Result<std::uint64_t> SharedStaging::reclaim(std::int64_t now_ms, std::int64_t monotonic_ms) {
  if (!enabled()) return std::uint64_t{0};
  {
    std::lock_guard lock(mutex_);
    if (next_reclaim_ms_ && monotonic_ms < *next_reclaim_ms_) return std::uint64_t{0};
    next_reclaim_ms_ = monotonic_ms + kReclaimEveryMs;
  }
  return staging_->reclaim(now_ms);
}

}  // namespace gibkit::saga
