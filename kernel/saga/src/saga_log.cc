#include "gibkit/saga/saga_log.h"

#include <utility>

#include "gibkit/gib_hash.h"

namespace gibkit::saga {
namespace {

// The frame and the compare-and-swap of the log's head onto it.
WriteBatch batch_storing(const IbGib& frame, const std::string& tjp, std::optional<std::string> expected) {
  WriteBatch batch;
  batch.puts.push_back(StoredRecord{frame.address(), frame.to_json_text()});
  batch.heads.push_back(HeadUpdate{saga_log_head_key(tjp), frame.address(), std::move(expected)});
  return batch;
}

}  // namespace

std::string saga_log_head_key(std::string_view tjp) { return "^saga " + std::string(tjp); }

SagaLog::SagaLog(Space& durable, IbGib genesis)
    : durable_(&durable), tjp_(genesis.address()), head_(std::move(genesis)), head_address_(tjp_) {}

Result<SagaLog> SagaLog::start(Space& durable, std::string_view saga_id, std::string_view role) {
  IbGib genesis;
  genesis.ib = "sync_saga";
  genesis.data = json::Object{{"sagaId", std::string(saga_id)},
                              {"role", std::string(role)},
                              {"state", "started"},
                              {"n", 0},
                              {"isTjp", true}};
  genesis.rel8ns = json::Object{{"ancestor", json::Array{"sync_saga^gib"}}};
  GIBKIT_ASSIGN_OR_RETURN(genesis.gib, compute_gib(genesis));
  GIBKIT_RETURN_IF_ERROR(durable.write(batch_storing(genesis, genesis.address(), std::string())));
  return SagaLog(durable, std::move(genesis));
}

Result<SagaLog::Entry> SagaLog::next(std::string_view state, std::string_view context_address,
                                     std::string_view detail) const {
  IbGib next;
  next.ib = head_.ib;
  json::Object data = head_.data->as_object();
  data.erase("isTjp");
  data.erase("detail");
  data.set("state", std::string(state));
  data.set("n", head_.n().value_or(0) + 1);
  if (!detail.empty()) data.set("detail", std::string(detail));
  next.data = std::move(data);

  // Linked past (ts-gib's linkedRel8ns: ["past"]): only the frame before,
  // so a frame's size does not grow with the saga's length.
  json::Object rel8ns;
  rel8ns.set("ancestor", json::Array{"sync_saga^gib"});
  rel8ns.set("past", json::Array{head_address_});
  rel8ns.set("tjp", json::Array{tjp_});
  if (!context_address.empty()) rel8ns.set("context", json::Array{std::string(context_address)});
  next.rel8ns = std::move(rel8ns);
  GIBKIT_ASSIGN_OR_RETURN(next.gib, compute_gib(next));

  Entry entry;
  entry.batch = batch_storing(next, tjp_, head_address_);
  entry.frame = std::move(next);
  return entry;
}

void SagaLog::took(Entry entry) {
  head_address_ = entry.frame.address();
  head_ = std::move(entry.frame);
}

Status SagaLog::record(std::string_view state, std::string_view context_address, std::string_view detail) {
  GIBKIT_ASSIGN_OR_RETURN(Entry entry, next(state, context_address, detail));
  GIBKIT_RETURN_IF_ERROR(durable_->write(entry.batch));
  took(std::move(entry));
  return {};
}

}  // namespace gibkit::saga
