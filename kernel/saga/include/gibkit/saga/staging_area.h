// File: gibkit/saga/staging_area.h
//
// Domain payloads received in a saga wait here until Commit. Several sagas
// may stage the same (content-addressed) record, so the area counts
// references and drops a record only when no saga holds it.
//
// The area holds the staged texts itself, in this process's memory: the
// records were decoded in this process and Commit writes them from here, so
// a trip through a staging space's plugin ABI and back (a copy each way,
// ~15 % and part of the commit's ~24 % of a receiver's CPU,
// docs/performance.md) bought nothing. Past `spill_threshold_bytes` held in
// memory, further records go to the spill space (a temporary space on disk,
// e.g. LevelDB), so that what a node stages does not have to fit in memory.
//
// commit() is the only way payloads reach the durable space: it checks that
// the staged set plus the durable space hold every record the staged records
// relate (the durable space must only ever hold complete graphs), then writes
// the records and the head moves in one atomic batch -- or, for a set larger
// than the spill threshold, in dependency order in small batches, the head
// moves in the last one (see commit()).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gibkit/saga/sync_messages.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::saga {

// A saga's staged records: address -> the addresses it relates, kept so
// that commit() checks completeness without parsing the records again.
using StagedRecords = std::unordered_map<std::string, std::vector<std::string>>;

class StagingArea;

// A read-only Space over the records one saga staged: what a saga's checks
// read (with the durable space behind it), so that saga S2 never sees -- and
// can never commit a head on -- a record only saga S1 staged.
class StagedView : public Space {
 public:
  StagedView(StagingArea& area, const StagedRecords& held) : area_(area), held_(held) {}
  Status write(const WriteBatch&) override { return failed_precondition("a staged view is read-only"); }
  Result<std::optional<std::string>> get(std::string_view address) override;
  Result<bool> has(std::string_view address) override { return held_.count(std::string(address)) != 0; }
  Result<std::optional<std::string>> head(std::string_view) override { return std::optional<std::string>(); }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override;
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>&) override { return {}; }

 private:
  StagingArea& area_;
  const StagedRecords& held_;
};

class StagingArea {
 public:
  static constexpr std::size_t kNoSpill = std::numeric_limits<std::size_t>::max();
  // The largest batch a spilled commit writes at once.
  static constexpr std::size_t kMaxCommitBatchBytes = std::size_t{2} * 1024 * 1024;

  // `spill` (may be null: never spill) takes the records staged once the
  // area holds `spill_threshold_bytes` in memory.
  explicit StagingArea(Space& durable, Space* spill = nullptr, std::size_t spill_threshold_bytes = kNoSpill)
      : durable_(durable), spill_(spill), spill_threshold_(spill ? spill_threshold_bytes : kNoSpill) {}
  // The form from before the area held its records: the staging space
  // (`sync.staging`) is no longer written or read, kept so that callers and
  // configurations naming one still work.
  StagingArea(Space& /*staging*/, Space& durable, Space* spill = nullptr, std::size_t spill_threshold_bytes = kNoSpill)
      : StagingArea(durable, spill, spill_threshold_bytes) {}

  // Stages validated (decoded) payloads for one saga; adds them to `held`
  // (the saga's own set). Records already held by the saga are skipped.
  [[nodiscard]] Status stage(const std::vector<Payload>& payloads, StagedRecords& held);
  // The same, taking the payloads' texts and relations instead of copying
  // them (the receiver's path: a Delta's decoded payloads are not needed
  // once staged). On failure the payloads are left as they were.
  [[nodiscard]] Status stage(std::vector<Payload>&& payloads, StagedRecords& held);

  // Moves the saga's records to the durable space together with `heads`
  // (compare-and-swap updates), then releases them. kNotFound names a
  // related record that is neither staged nor durable; kAborted if a head
  // moved since it was read.
  //
  // Up to the spill threshold (always, without a spill space) it is one
  // atomic batch: on failure nothing reaches the durable space and the
  // saga's records stay staged. A larger set
  // would need the whole set in memory for one batch, which is what spilling
  // avoids; it is written in dependency order in batches of at most the
  // threshold and kMaxCommitBatchBytes, the head moves (and any CAS failure)
  // in the last one, and the
  // heads are checked before the first. Every batch leaves the durable space
  // with complete graphs, and no head moves before all its records are
  // durable; a failure part way leaves records that no head names (their
  // closures complete), never a head without its records.
  [[nodiscard]] Status commit(StagedRecords& held, const std::vector<HeadUpdate>& heads);

  // A staged record's text (from memory or the spill), nullopt when no saga
  // staged it.
  [[nodiscard]] Result<std::optional<std::string>> get(std::string_view address);

  // What one saga staged, read-only (see StagedView).
  [[nodiscard]] StagedView view(const StagedRecords& held) { return StagedView(*this, held); }

  // Drops the saga's references; records no saga holds are erased.
  [[nodiscard]] Status release(StagedRecords& held);

  // Where a commit's leftovers are freed: the texts it wrote, the entries
  // and the saga's set (for 100k records, a tenth of the commit's time).
  // `defer` runs its task later on another thread (the node's work pool),
  // so that the commit's reply does not wait for it; unset, commit()
  // frees them itself. Set before the first commit.
  void set_reclaimer(std::function<void(std::function<void()>)> defer) { defer_ = std::move(defer); }

  // Erases everything in the spill space: what a previous run of the node
  // left there belongs to no saga of this one. Call before the first stage().
  [[nodiscard]] Status clear_spill();

  // JSON bytes of the records staged now, by all sagas (each record once).
  [[nodiscard]] std::size_t staged_bytes();
  // JSON bytes of committed records whose memory a deferred task has yet to
  // free (set_reclaimer): still in memory, so staging limits count them.
  [[nodiscard]] std::size_t reclaiming_bytes() const;
  // The part of staged_bytes() held in the spill space.
  [[nodiscard]] std::size_t spilled_bytes();
  // The addresses staged now, by all sagas (each once), in no order.
  [[nodiscard]] std::vector<std::string> addresses();

  // JSON bytes of what `payloads` would add to `held` (records it already
  // holds do not count).
  [[nodiscard]] static std::size_t added_bytes(const std::vector<Payload>& payloads, const StagedRecords& held);

 private:
  // The records of `held` in an order where each comes after the staged
  // records it relates (a cycle cannot occur among content addresses; one
  // that did would be caught by the completeness check, not here).
  static std::vector<const std::string*> dependency_order(const StagedRecords& held);
  [[nodiscard]] Status commit_in_batches(StagedRecords& held, const std::vector<HeadUpdate>& heads);
  // Every relation of a record of `held` is staged there too, or durable, or
  // primitive (kNotFound naming the first that is none). Reads `held` and
  // the durable space only, so it may run beside the collecting of a batch.
  [[nodiscard]] Status check_relations(const StagedRecords& held) noexcept;
  // From this many records on, commit() checks relations on a thread of its
  // own while it collects the batch (at 100k, ~45 ms off the Commit turn).
  static constexpr std::size_t kCheckRelationsAsideFrom = 4096;
  // release(), with what it frees moved into `freed` instead (the entries
  // no saga holds any more, and `held`'s own contents).
  struct Freed;
  [[nodiscard]] Status release_into(StagedRecords& held, Freed& freed);

  Space& durable_;
  Space* spill_;
  std::size_t spill_threshold_;
  std::mutex mutex_;
  struct Entry {
    int references = 0;
    std::size_t bytes = 0;
    bool spilled = false;
    std::string text;  // the record, unless spilled or lent
    // Its text is in the write batch of the one saga that held it, which is
    // committing; a failed write puts it back, stage() refills it.
    bool lent = false;
  };
  std::unordered_map<std::string, Entry> references_;
  std::function<void(std::function<void()>)> defer_;  // set_reclaimer
  // Shared with the deferred tasks, so that they need no `this`.
  std::shared_ptr<std::atomic<std::size_t>> reclaiming_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::size_t bytes_ = 0;          // sum of the entries' bytes (texts in memory and spilled)
  std::size_t spilled_bytes_ = 0;  // the part of bytes_ in the spill space
};

}  // namespace gibkit::saga
