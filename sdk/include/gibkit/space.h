// File: gibkit/space.h
//
// A space stores ibgib records by address and keeps the latest-head index of
// each timeline. The kernel uses one durable space per node plus temporary
// spaces where a sync stages payloads until Commit.
//
// Contract for implementations (checked by the shared conformance suite in
// tests/space_conformance):
//  * Records are immutable and content addressed: putting an address that is
//    already stored is a no-op (the first bytes stay).
//  * write() applies the whole batch or nothing, including head updates; a
//    durable space has the batch on stable storage when write() returns OK.
//  * A head update with `expected_head` set is a compare-and-swap: if the
//    current head differs, write() applies nothing and returns kAborted.
//    Head updates apply in order, so a later update in the same batch sees
//    the head an earlier one set. Puts apply before erases.
//  * Empty addresses, timelines or heads are rejected (kInvalidArgument, see
//    check_write_batch) before anything is applied.
//  * Methods are safe to call from several threads.
//  * No method throws; errors come back as Status.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/status.h"

namespace gibkit {

class SagaStaging;  // gibkit/saga_staging.h

struct StoredRecord {
  std::string address;    // "ib^gib"
  std::string json_text;  // the record, IbGib::to_json_text()
};

struct HeadUpdate {
  std::string timeline;  // tjp address of the timeline
  std::string head;      // new latest address
  // When set: apply only if the current head equals this ("" = no head yet).
  std::optional<std::string> expected_head;
};

struct WriteBatch {
  std::vector<StoredRecord> puts;
  std::vector<HeadUpdate> heads;
  std::vector<std::string> erases;  // addresses to remove (staging spaces)
  [[nodiscard]] bool empty() const { return puts.empty() && heads.empty() && erases.empty(); }
};

namespace space_detail {
// The checks of check_write_batch, for an owning batch and a view alike.
template <class Batch>
[[nodiscard]] Status check_batch(const Batch& batch) {
  for (const auto& r : batch.puts) {
    if (r.address.empty()) return invalid_argument("write batch: a put has an empty address");
    if (r.json_text.empty()) {
      return invalid_argument("write batch: put of " + std::string(r.address) + " has no record text");
    }
  }
  for (const auto& h : batch.heads) {
    if (h.timeline.empty()) return invalid_argument("write batch: a head update has an empty timeline");
    if (h.head.empty()) {
      return invalid_argument("write batch: head update of " + std::string(h.timeline) + " has an empty head");
    }
  }
  for (const auto& e : batch.erases) {
    if (e.empty()) return invalid_argument("write batch: an erase has an empty address");
  }
  return Status();
}
}  // namespace space_detail

// The input checks every space makes before applying a batch.
[[nodiscard]] inline Status check_write_batch(const WriteBatch& batch) { return space_detail::check_batch(batch); }

// A write batch that borrows its strings instead of owning them: what a
// space receives across the plugin ABI, where the kernel's batch arrives as
// views (gibkit_write_batch). Valid only during the write_view() call it is
// passed to. Same fields and meaning as WriteBatch.
struct StoredRecordView {
  std::string_view address;
  std::string_view json_text;
};

struct HeadUpdateView {
  std::string_view timeline;
  std::string_view head;
  std::optional<std::string_view> expected_head;
};

struct WriteBatchView {
  std::vector<StoredRecordView> puts;
  std::vector<HeadUpdateView> heads;
  std::vector<std::string_view> erases;
  [[nodiscard]] bool empty() const { return puts.empty() && heads.empty() && erases.empty(); }
};

// A copy that owns its strings (what Space::write_view's default passes on).
[[nodiscard]] inline WriteBatch to_write_batch(const WriteBatchView& view) {
  WriteBatch batch;
  batch.puts.reserve(view.puts.size());
  for (const StoredRecordView& r : view.puts) {
    batch.puts.push_back(StoredRecord{std::string(r.address), std::string(r.json_text)});
  }
  batch.heads.reserve(view.heads.size());
  for (const HeadUpdateView& h : view.heads) {
    HeadUpdate update{std::string(h.timeline), std::string(h.head), std::nullopt};
    if (h.expected_head) update.expected_head = std::string(*h.expected_head);
    batch.heads.push_back(std::move(update));
  }
  batch.erases.reserve(view.erases.size());
  for (std::string_view e : view.erases) batch.erases.emplace_back(e);
  return batch;
}

// check_write_batch for a view: the same checks and messages.
[[nodiscard]] inline Status check_write_batch(const WriteBatchView& batch) { return space_detail::check_batch(batch); }

class Space {
 public:
  virtual ~Space() = default;

  // Applies the batch atomically (see the contract above).
  virtual Status write(const WriteBatch& batch) = 0;

  // The record's JSON text, or nullopt when not stored.
  virtual Result<std::optional<std::string>> get(std::string_view address) = 0;
  virtual Result<bool> has(std::string_view address) = 0;

  // Latest address of a timeline, or nullopt when the timeline is unknown.
  virtual Result<std::optional<std::string>> head(std::string_view timeline) = 0;

  // Visits stored records / heads in unspecified order until the visitor
  // returns false. The visitor must not call back into the space.
  virtual Status for_each_record(
      const std::function<bool(std::string_view address, std::string_view json_text)>& visit) = 0;
  virtual Status for_each_head(
      const std::function<bool(std::string_view timeline, std::string_view head)>& visit) = 0;

  // Since SDK 1.4: the sagas' staging this space keeps (gibkit/saga_staging.h),
  // or nullptr when it keeps none (the default). The object lives as long as
  // the space.
  virtual SagaStaging* saga_staging() { return nullptr; }

  // Since SDK 1.4 (C++ only; the C ABI is unchanged): write() for a batch
  // that borrows its strings. A plugin's space receives every write through
  // this (the plugin ABI hands over views); the default copies the batch
  // into a WriteBatch and calls write(), so a space that does not override
  // it behaves as before. A space that copies the records into its own
  // storage anyway (space-leveldb) overrides it to skip that first copy. An
  // override keeps write()'s contract exactly (check_write_batch has a view
  // form).
  virtual Status write_view(const WriteBatchView& batch) { return write(to_write_batch(batch)); }
};

}  // namespace gibkit
