// Private to the saga library: the receiver's side of sagas' staging kept in
// a space several nodes share (gibkit/saga_staging.h, SyncServices::
// shared_staging). The node still stages in its own StagingArea, where its
// checks and its Commit read; this is a copy by saga that outlives the
// node, written through at each Delta, so that
//  * another node of the group adopts a broken saga (resume) without the
//    sender sending it again, and
//  * what a node that died staged is reclaimed by the others once expired.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gibkit/saga/sync_messages.h"
#include "gibkit/saga_staging.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::saga {

class SharedStaging {
 public:
  // How often reclaim() may run on one node at most: every sweep would be a
  // database round trip per request.
  static constexpr std::int64_t kReclaimEveryMs = 1000;
  // The head (in the shared space) naming the store: the same for every
  // node that shares it, announced in each Ack (`stagingStore`).
  static constexpr std::string_view kStoreKey = "^staging-store-id";

  // `space` may be null (disabled). `keep_ms`: how long staged rows outlive
  // the saga's last Delta (its idle timeout plus resume_keep: the longest
  // this node could still need them).
  SharedStaging(Space* space, std::int64_t keep_ms);

  [[nodiscard]] bool enabled() const noexcept { return staging_ != nullptr; }

  // The store's id, made (compare-and-swap, so every node of the group
  // agrees) on first use with `token`.
  [[nodiscard]] Result<std::string> store_id(const std::function<std::string()>& token);

  // Writes a Delta's records under the saga, owned by `owner` (the sender's
  // domain), expiring keep_ms after `now_ms`.
  [[nodiscard]] Status stage(const std::string& saga_id, const std::string& owner, std::int64_t now_ms,
                             const std::vector<Payload>& payloads);

  // Moves the rows of `from` (if `owner` staged them) to `to`; returns their
  // records, nullopt when there was nothing of `owner` to adopt.
  [[nodiscard]] Result<std::optional<std::vector<StoredRecord>>> adopt(const std::string& from, const std::string& to,
                                                                       const std::string& owner, std::int64_t now_ms);
  // Renames without reading (the node held the set already).
  [[nodiscard]] Status rename(const std::string& from, const std::string& to, const std::string& owner,
                              std::int64_t now_ms);

  // The saga ended (committed, aborted, failed, or its kept set released).
  // A failure is only logged by the caller: reclaim removes the rows later.
  [[nodiscard]] Status drop(const std::string& saga_id);

  // Drops expired sagas of any node, at most once per kReclaimEveryMs of
  // `monotonic_ms`; returns how many were dropped (0 when it did not run).
  [[nodiscard]] Result<std::uint64_t> reclaim(std::int64_t now_ms, std::int64_t monotonic_ms);

 private:
  Space* space_;
  SagaStaging* staging_;
  std::int64_t keep_ms_;
  std::mutex mutex_;
  std::optional<std::string> store_id_;
  std::optional<std::int64_t> next_reclaim_ms_;
};

}  // namespace gibkit::saga
