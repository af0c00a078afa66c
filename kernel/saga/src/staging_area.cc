#include "gibkit/saga/staging_area.h"

#include <algorithm>
#include <memory>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "gibkit/record_graph.h"

namespace gibkit::saga {

// What a release frees (see release_into).
struct StagingArea::Freed {
  std::vector<std::unordered_map<std::string, Entry>::node_type> entries;
  StagedRecords held;
  WriteBatch batch;
};

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
  {
    std::lock_guard lock(mutex_);
    auto it = references_.find(std::string(address));
    if (it == references_.end()) return std::optional<std::string>();
    if (it->second.lent) return failed_precondition("staged record " + std::string(address) + " is being committed");
    if (!it->second.spilled) return std::optional<std::string>(it->second.text);
  }
  // Read outside the lock: the caller's saga holds a reference, so the
  // record stays until that saga releases it.
  return spill_->get(address);
}

Status StagingArea::stage(const std::vector<Payload>& payloads, StagedRecords& held) {
  std::vector<Payload> copies = payloads;
  return stage(std::move(copies), held);
}

Status StagingArea::stage(std::vector<Payload>&& payloads, StagedRecords& held) {
  // Writes and reference changes happen under one lock so that a concurrent
  // release() cannot erase a record between another saga's write and count.
  std::lock_guard lock(mutex_);
  WriteBatch spilled;
  std::vector<std::pair<Payload*, bool>> added;  // new to the saga: where it goes
  std::unordered_set<std::string_view> seen;       // a payload list naming a record twice
  std::size_t unspilled = bytes_ - spilled_bytes_;
  for (Payload& payload : payloads) {
    if (held.count(payload.address) != 0 || !seen.insert(payload.address).second) continue;
    if (references_.count(payload.address) != 0) {
      added.emplace_back(&payload, false);  // another saga staged it: only a reference more
      continue;
    }
    const bool spill = unspilled + payload.json_text.size() > spill_threshold_;
    if (spill) {
      spilled.puts.push_back(StoredRecord{payload.address, payload.json_text});
    } else {
      unspilled += payload.json_text.size();
    }
    added.emplace_back(&payload, spill);
  }
  if (added.empty()) return {};
  // The only step that can fail comes first: on failure nothing was staged.
  if (!spilled.empty()) GIBKIT_RETURN_IF_ERROR(spill_->write(spilled).with_context("staging spill"));
  for (const auto& [payload, spill] : added) {
    Entry& entry = references_[payload->address];
    const bool first = entry.references++ == 0;
    if (first) {
      entry.bytes = payload->json_text.size();
      entry.spilled = spill;
      bytes_ += entry.bytes;
      if (spill) spilled_bytes_ += entry.bytes;
    }
    // A new record, or one whose text a commit has moved out (lent): the
    // committing saga may yet fail and release it, this one needs it.
    if ((first && !spill) || entry.lent) {
      entry.text = std::move(payload->json_text);
      entry.lent = false;
    }
    held.emplace(payload->address, std::move(payload->related));
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

Status StagingArea::check_relations(const StagedRecords& held) noexcept {
  try {
    for (const auto& [address, relations] : held) {
      for (const std::string& related : relations) {
        if (is_primitive_address(related) || held.count(related) != 0) continue;
        GIBKIT_ASSIGN_OR_RETURN(bool durable, durable_.has(related));
        if (!durable) {
          return not_found("incomplete graph: " + address + " relates " + related + ", which was never sent");
        }
      }
    }
    return {};
  } catch (const std::exception& e) {  // bad_alloc: reported, not thrown across the thread
    return resource_exhausted(std::string("checking the staged records' relations: ") + e.what());
  }
}

Status StagingArea::commit(StagedRecords& held, const std::vector<HeadUpdate>& heads) {
  // A large saga's relations are checked beside the collecting below; a
  // failed check then gives the texts back as a failed write does. Nothing
  // reaches the durable space before the check has answered.
  Status related;
  std::jthread checker;  // joined on every path out, an early return's too
  if (held.size() >= kCheckRelationsAsideFrom) {
    try {
      checker = std::jthread([&] { related = check_relations(held); });
    } catch (const std::system_error&) {
      // no thread to be had: checked here, below
    }
  }
  if (!checker.joinable()) GIBKIT_RETURN_IF_ERROR(check_relations(held));
  // The saga's entries, looked up once. The pointers stay valid after the
  // lock is let go: the saga holds a reference to each, so none is erased
  // (and an unordered_map does not move its elements when it grows).
  std::vector<Entry*> entries;
  entries.reserve(held.size());
  std::size_t total = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [address, relations] : held) {
      auto it = references_.find(address);
      entries.push_back(it == references_.end() ? nullptr : &it->second);
      if (it != references_.end()) total += it->second.bytes;
    }
  }
  if (total > spill_threshold_) {
    if (checker.joinable()) {
      checker.join();
      GIBKIT_RETURN_IF_ERROR(related);
    }
    return commit_in_batches(held, heads);
  }

  // The texts only this saga holds are moved into the batch, not copied:
  // they are released right after it is written. A failed write gives them
  // back (below), so the saga's records stay staged either way.
  WriteBatch batch;
  batch.puts.reserve(held.size());
  std::vector<std::size_t> lent;  // the puts whose text was moved out of the area
  std::vector<std::size_t> spilled;
  Status written;
  {
    std::lock_guard lock(mutex_);
    std::size_t i = 0;
    for (const auto& [address, relations] : held) {
      Entry* entry = entries[i++];
      if (entry == nullptr) {
        written = data_loss("staged record " + address + " vanished from the staging area");
        break;  // what was lent so far goes back below
      }
      if (entry->spilled) {
        spilled.push_back(batch.puts.size());
        batch.puts.push_back(StoredRecord{address, std::string()});
      } else if (entry->references == 1) {
        lent.push_back(batch.puts.size());
        batch.puts.push_back(StoredRecord{address, std::move(entry->text)});
        entry->text.clear();
        entry->lent = true;
      } else {
        batch.puts.push_back(StoredRecord{address, entry->text});
      }
    }
  }
  for (std::size_t index : spilled) {
    if (!written.ok()) break;
    StoredRecord& put = batch.puts[index];
    Result<std::optional<std::string>> text = spill_->get(put.address);
    if (!text.ok()) {
      written = text.status();
      break;
    }
    if (!text->has_value()) {
      written = data_loss("staged record " + put.address + " vanished from the staging spill");
      break;
    }
    put.json_text = std::move(**text);
  }
  if (checker.joinable()) {
    checker.join();
    if (written.ok()) written = related;
  }
  if (written.ok()) {
    batch.heads = heads;
    written = durable_.write(batch);
  }
  if (written.ok()) {
    auto freed = std::make_shared<Freed>();
    freed->entries.reserve(held.size());  // so that release_into() cannot throw half-way
    Status released = release_into(held, *freed);
    freed->batch = std::move(batch);
    if (!defer_) return released;
    // Counted until freed (reclaiming_bytes()), so the staging limits hold
    // while the task waits behind other jobs of the pool.
    const std::size_t bytes = total;
    reclaiming_->fetch_add(bytes);
    try {
      defer_([freed = std::move(freed), reclaiming = reclaiming_, bytes]() mutable {
        freed.reset();
        reclaiming->fetch_sub(bytes);
      });
    } catch (...) {
      reclaiming_->fetch_sub(bytes);  // not deferred: freed here, as `freed` goes
    }
    return released;
  }
  std::lock_guard lock(mutex_);
  for (std::size_t index : lent) {
    StoredRecord& put = batch.puts[index];
    auto it = references_.find(put.address);  // found: the saga still holds it
    if (it == references_.end() || !it->second.lent) continue;  // another saga refilled it meanwhile
    it->second.text = std::move(put.json_text);
    it->second.lent = false;
  }
  return written;
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
    // Copied (get()), not moved: if a later batch fails the saga still holds
    // its records (a resumed saga may commit them), and another saga may
    // hold the same one.
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, get(*address));
    if (!text) return data_loss("staged record " + *address + " vanished from the staging area");
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

std::size_t StagingArea::reclaiming_bytes() const { return reclaiming_->load(); }

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
  Freed freed;
  return release_into(held, freed);
}

Status StagingArea::release_into(StagedRecords& held, Freed& freed) {
  WriteBatch spilled;
  std::lock_guard lock(mutex_);
  for (const auto& [address, relations] : held) {
    auto it = references_.find(address);
    if (it == references_.end()) continue;
    if (--it->second.references == 0) {
      bytes_ -= it->second.bytes;
      if (it->second.spilled) {
        spilled_bytes_ -= it->second.bytes;
        spilled.erases.push_back(address);
      }
      freed.entries.push_back(references_.extract(it));
    }
  }
  freed.held.swap(held);  // leaves `held` empty
  // Erased under the lock: a saga staging the same record again meanwhile
  // would otherwise see its new spill copy erased.
  return spilled.empty() ? Status() : spill_->write(spilled);
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
