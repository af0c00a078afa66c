#include "gibkit/saga/staging_area.h"

#include "gibkit/saga/record_graph.h"

namespace gibkit::saga {

Result<std::optional<std::string>> StagedView::get(std::string_view address) {
  if (held_.count(std::string(address)) == 0) return std::optional<std::string>();
  return staging_.get(address);
}

Status StagedView::for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) {
  for (const auto& [address, relations] : held_) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, staging_.get(address));
    if (text && !visit(address, *text)) break;
  }
  return {};
}

Status StagingArea::stage(const std::vector<Payload>& payloads, StagedRecords& held) {
  WriteBatch batch;
  std::vector<const Payload*> added;
  for (const Payload& payload : payloads) {
    if (held.count(payload.address) != 0) continue;
    batch.puts.push_back(StoredRecord{payload.address, payload.json_text});
    added.push_back(&payload);
  }
  if (batch.empty()) return {};
  // Writes and reference changes happen under one lock so that a concurrent
  // release() cannot erase a record between another saga's write and count.
  std::lock_guard lock(mutex_);
  GIBKIT_RETURN_IF_ERROR(staging_.write(batch));
  for (const Payload* payload : added) {
    Entry& entry = references_[payload->address];
    if (entry.references++ == 0) {
      entry.bytes = payload->json_text.size();
      bytes_ += entry.bytes;
    }
    held.emplace(payload->address, payload->related);
  }
  return {};
}

Status StagingArea::commit(StagedRecords& held, const std::vector<HeadUpdate>& heads) {
  WriteBatch batch;
  batch.puts.reserve(held.size());
  for (const auto& [address, relations] : held) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, staging_.get(address));
    if (!text) return data_loss("staged record " + address + " vanished from the staging space");
    for (const std::string& related : relations) {
      if (is_primitive_address(related) || held.count(related) != 0) continue;
      GIBKIT_ASSIGN_OR_RETURN(bool durable, durable_.has(related));
      if (!durable) {
        return not_found("incomplete graph: " + address + " relates " + related + ", which was never sent");
      }
    }
    batch.puts.push_back(StoredRecord{address, std::move(*text)});
  }
  batch.heads = heads;
  GIBKIT_RETURN_IF_ERROR(durable_.write(batch));
  return release(held);
}

std::size_t StagingArea::staged_bytes() {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t StagingArea::added_bytes(const std::vector<Payload>& payloads, const StagedRecords& held) {
  std::size_t bytes = 0;
  for (const Payload& payload : payloads) {
    if (held.count(payload.address) == 0) bytes += payload.json_text.size();
  }
  return bytes;
}

Status StagingArea::release(StagedRecords& held) {
  WriteBatch batch;
  std::lock_guard lock(mutex_);
  for (const auto& [address, relations] : held) {
    auto it = references_.find(address);
    if (it == references_.end()) continue;
    if (--it->second.references == 0) {
      bytes_ -= it->second.bytes;
      references_.erase(it);
      batch.erases.push_back(address);
    }
  }
  held.clear();
  if (batch.empty()) return {};
  return staging_.write(batch);
}

}  // namespace gibkit::saga
