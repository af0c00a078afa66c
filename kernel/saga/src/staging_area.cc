#include "gibkit/saga/staging_area.h"

#include <algorithm>
#include <unordered_set>

#include "gibkit/record_graph.h"

namespace gibkit::saga {

Result<std::optional<std::string>> StagedView::get(std::string_view address) {
  if (held_.count(std::string(address)) == 0) return std::optional<std::string>();
  return area_.get(address);
}

Status StagedView::for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) {
  for (const auto& [address, relations] : held_) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, area_.get(address));
    if (text && !visit(address, *text)) break;
  }
  return {};
}

Result<std::optional<std::string>> StagingArea::get(std::string_view address) {
  Space* space = &staging_;
  {
    std::lock_guard lock(mutex_);
    auto it = references_.find(std::string(address));
    if (it == references_.end()) return std::optional<std::string>();
    if (it->second.spilled) space = spill_;
  }
  // Read outside the lock: the caller's saga holds a reference, so the
  // record stays until that saga releases it.
  return space->get(address);
}

Status StagingArea::stage(const std::vector<Payload>& payloads, StagedRecords& held) {
  // Writes and reference changes happen under one lock so that a concurrent
  // release() cannot erase a record between another saga's write and count.
  std::lock_guard lock(mutex_);
  WriteBatch in_memory;
  WriteBatch spilled;
  std::vector<std::pair<const Payload*, bool>> added;  // new to the area: where it goes
  std::unordered_set<std::string_view> seen;             // a payload list naming a record twice
  std::size_t unspilled = bytes_ - spilled_bytes_;
  for (const Payload& payload : payloads) {
    if (held.count(payload.address) != 0 || !seen.insert(payload.address).second) continue;
    if (references_.count(payload.address) != 0) {
      added.emplace_back(&payload, false);  // another saga staged it: only a reference more
      continue;
    }
    const bool spill = unspilled + payload.json_text.size() > spill_threshold_;
    (spill ? spilled : in_memory).puts.push_back(StoredRecord{payload.address, payload.json_text});
    if (!spill) unspilled += payload.json_text.size();
    added.emplace_back(&payload, spill);
  }
  if (added.empty()) return {};
  if (!in_memory.empty()) GIBKIT_RETURN_IF_ERROR(staging_.write(in_memory));
  if (!spilled.empty()) GIBKIT_RETURN_IF_ERROR(spill_->write(spilled).with_context("staging spill"));
  for (const auto& [payload, spill] : added) {
    Entry& entry = references_[payload->address];
    if (entry.references++ == 0) {
      entry.bytes = payload->json_text.size();
      entry.spilled = spill;
      bytes_ += entry.bytes;
      if (spill) spilled_bytes_ += entry.bytes;
    }
    held.emplace(payload->address, payload->related);
  }
  return {};
}

std::vector<const std::string*> StagingArea::dependency_order(const StagedRecords& held) {
  // Iterative depth-first walk: a record is emitted after everything staged
  // that it relates (post-order), so each prefix is closed under relations.
  std::vector<const std::string*> order;
  order.reserve(held.size());
  std::unordered_set<std::string_view> visited;
  visited.reserve(held.size());
  struct Frame {
    StagedRecords::const_iterator record;
    std::size_t next = 0;
  };
  std::vector<Frame> stack;
  for (auto root = held.begin(); root != held.end(); ++root) {
    if (!visited.insert(root->first).second) continue;
    stack.push_back({root});
    while (!stack.empty()) {
      Frame& top = stack.back();
      const std::vector<std::string>& relations = top.record->second;
      if (top.next < relations.size()) {
        auto child = held.find(relations[top.next++]);
        if (child != held.end() && visited.insert(child->first).second) stack.push_back({child});
        continue;
      }
      order.push_back(&top.record->first);
      stack.pop_back();
    }
  }
  return order;
}

Status StagingArea::commit(StagedRecords& held, const std::vector<HeadUpdate>& heads) {
  std::size_t total = 0;
  for (const auto& [address, relations] : held) {
    for (const std::string& related : relations) {
      if (is_primitive_address(related) || held.count(related) != 0) continue;
      GIBKIT_ASSIGN_OR_RETURN(bool durable, durable_.has(related));
      if (!durable) {
        return not_found("incomplete graph: " + address + " relates " + related + ", which was never sent");
      }
    }
    std::lock_guard lock(mutex_);
    if (auto it = references_.find(address); it != references_.end()) total += it->second.bytes;
  }
  if (total > spill_threshold_) return commit_in_batches(held, heads);

  WriteBatch batch;
  batch.puts.reserve(held.size());
  for (const auto& [address, relations] : held) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, get(address));
    if (!text) return data_loss("staged record " + address + " vanished from the staging space");
    batch.puts.push_back(StoredRecord{address, std::move(*text)});
  }
  batch.heads = heads;
  GIBKIT_RETURN_IF_ERROR(durable_.write(batch));
  return release(held);
}

Status StagingArea::commit_in_batches(StagedRecords& held, const std::vector<HeadUpdate>& heads) {
  // The compare-and-swap itself is in the last batch; checking first only
  // spares writing records for a commit that would fail anyway.
  for (const HeadUpdate& update : heads) {
    if (!update.expected_head) continue;
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> current, durable_.head(update.timeline));
    if (current.value_or(std::string()) != *update.expected_head) {
      return aborted("head of " + update.timeline + " moved since it was read (now " +
                     current.value_or(std::string("none")) + ")");
    }
  }
  const std::vector<const std::string*> order = dependency_order(held);
  // A batch is copied several times on its way (the space's ABI, LevelDB's
  // own batch and memtable), so batches stay small whatever the threshold.
  const std::size_t batch_limit = std::min(spill_threshold_, kMaxCommitBatchBytes);
  WriteBatch batch;
  std::size_t batch_bytes = 0;
  for (const std::string* address : order) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, get(*address));
    if (!text) return data_loss("staged record " + *address + " vanished from the staging space");
    batch_bytes += text->size();
    batch.puts.push_back(StoredRecord{*address, std::move(*text)});
    if (batch_bytes >= batch_limit) {
      GIBKIT_RETURN_IF_ERROR(durable_.write(batch).with_context("commit, a batch of records before the heads"));
      batch = WriteBatch{};
      batch_bytes = 0;
    }
  }
  batch.heads = heads;
  GIBKIT_RETURN_IF_ERROR(durable_.write(batch));
  return release(held);
}

std::size_t StagingArea::staged_bytes() {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t StagingArea::spilled_bytes() {
  std::lock_guard lock(mutex_);
  return spilled_bytes_;
}

std::vector<std::string> StagingArea::addresses() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(references_.size());
  for (const auto& [address, entry] : references_) out.push_back(address);
  return out;
}

std::size_t StagingArea::added_bytes(const std::vector<Payload>& payloads, const StagedRecords& held) {
  std::size_t bytes = 0;
  for (const Payload& payload : payloads) {
    if (held.count(payload.address) == 0) bytes += payload.json_text.size();
  }
  return bytes;
}

Status StagingArea::release(StagedRecords& held) {
  WriteBatch in_memory;
  WriteBatch spilled;
  std::lock_guard lock(mutex_);
  for (const auto& [address, relations] : held) {
    auto it = references_.find(address);
    if (it == references_.end()) continue;
    if (--it->second.references == 0) {
      bytes_ -= it->second.bytes;
      if (it->second.spilled) spilled_bytes_ -= it->second.bytes;
      (it->second.spilled ? spilled : in_memory).erases.push_back(address);
      references_.erase(it);
    }
  }
  held.clear();
  Status erased = in_memory.empty() ? Status() : staging_.write(in_memory);
  if (!spilled.empty()) {
    Status spill_erased = spill_->write(spilled);
    if (erased.ok()) erased = spill_erased;
  }
  return erased;
}

Status StagingArea::clear_spill() {
  if (spill_ == nullptr) return {};
  std::lock_guard lock(mutex_);
  WriteBatch batch;
  GIBKIT_RETURN_IF_ERROR(spill_->for_each_record([&](std::string_view address, std::string_view) {
    if (references_.count(std::string(address)) == 0) batch.erases.emplace_back(address);
    return true;
  }));
  if (batch.empty()) return {};
  return spill_->write(batch).with_context("clearing the staging spill");
}

}  // namespace gibkit::saga
