// File: gibkit/saga/staging_area.h
//
// Domain payloads received in a saga wait in the staging space until Commit.
// Several sagas may stage the same (content-addressed) record, so the area
// counts references and erases a record only when no saga holds it.
//
// commit() is the only way payloads reach the durable space: it checks that
// the staged set plus the durable space hold every record the staged records
// relate (the durable space must only ever hold complete graphs), then writes
// the records and the head moves in one atomic batch.
#pragma once

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

// A read-only Space over the records one saga staged: what a saga's checks
// read (with the durable space behind it), so that saga S2 never sees -- and
// can never commit a head on -- a record only saga S1 staged.
class StagedView : public Space {
 public:
  StagedView(Space& staging, const StagedRecords& held) : staging_(staging), held_(held) {}
  Status write(const WriteBatch&) override { return failed_precondition("a staged view is read-only"); }
  Result<std::optional<std::string>> get(std::string_view address) override;
  Result<bool> has(std::string_view address) override { return held_.count(std::string(address)) != 0; }
  Result<std::optional<std::string>> head(std::string_view) override { return std::optional<std::string>(); }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override;
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>&) override { return {}; }

 private:
  Space& staging_;
  const StagedRecords& held_;
};

class StagingArea {
 public:
  StagingArea(Space& staging, Space& durable) : staging_(staging), durable_(durable) {}

  // Stages validated (decoded) payloads for one saga; adds them to `held`
  // (the saga's own set). Records already held by the saga are skipped.
  [[nodiscard]] Status stage(const std::vector<Payload>& payloads, StagedRecords& held);

  // Moves the saga's records to the durable space together with `heads`
  // (compare-and-swap updates), then releases them. kNotFound names a
  // related record that is neither staged nor durable; kAborted if a head
  // moved since it was read. On failure nothing reaches the durable space.
  [[nodiscard]] Status commit(StagedRecords& held, const std::vector<HeadUpdate>& heads);

  // What one saga staged, read-only (see StagedView).
  [[nodiscard]] StagedView view(const StagedRecords& held) { return StagedView(staging_, held); }

  // Drops the saga's references; records no saga holds are erased.
  [[nodiscard]] Status release(StagedRecords& held);

  // JSON bytes of the records staged now, by all sagas (each record once).
  [[nodiscard]] std::size_t staged_bytes();

  // JSON bytes of what `payloads` would add to `held` (records it already
  // holds do not count).
  [[nodiscard]] static std::size_t added_bytes(const std::vector<Payload>& payloads, const StagedRecords& held);

 private:
  Space& staging_;
  Space& durable_;
  std::mutex mutex_;
  struct Entry {
    int references = 0;
    std::size_t bytes = 0;
  };
  std::unordered_map<std::string, Entry> references_;
  std::size_t bytes_ = 0;  // sum of the entries' bytes
};

}  // namespace gibkit::saga
