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

// The input checks every space makes before applying a batch.
[[nodiscard]] inline Status check_write_batch(const WriteBatch& batch) {
  for (const StoredRecord& r : batch.puts) {
    if (r.address.empty()) return invalid_argument("write batch: a put has an empty address");
    if (r.json_text.empty()) return invalid_argument("write batch: put of " + r.address + " has no record text");
  }
  for (const HeadUpdate& h : batch.heads) {
    if (h.timeline.empty()) return invalid_argument("write batch: a head update has an empty timeline");
    if (h.head.empty()) return invalid_argument("write batch: head update of " + h.timeline + " has an empty head");
  }
  for (const std::string& e : batch.erases) {
    if (e.empty()) return invalid_argument("write batch: an erase has an empty address");
  }
  return Status();
}

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
};

}  // namespace gibkit
