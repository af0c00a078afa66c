// File: gibkit/saga/saga_log.h
//
// The audit trail of one saga on one node: a timeline of `sync_saga` frames
// in the durable space, one per state change, each relating the context of
// the leg that caused it. Written at once, so a failed saga still leaves its
// trail.
#pragma once

#include <string>
#include <string_view>

#include "gibkit/ibgib.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::saga {

// The head-index key of saga log `tjp` ('^' first: no address starts so).
[[nodiscard]] std::string saga_log_head_key(std::string_view tjp);

class SagaLog {
 public:
  // Starts the timeline (state "started").
  [[nodiscard]] static Result<SagaLog> start(Space& durable, std::string_view saga_id, std::string_view role);

  // Appends a frame with `state`, relating `context_address` (if not empty)
  // and a human-readable `detail` (if not empty).
  [[nodiscard]] Status record(std::string_view state, std::string_view context_address,
                              std::string_view detail = {});

  // record() in two steps, for a caller that writes the frame in a batch of
  // its own (a turn's entry goes with the session frame of that turn, one
  // durable write instead of two): next() makes the frame and the batch
  // that would store it (the frame and the head's compare-and-swap), and
  // took() makes it the head once that batch is written. Until took(), the
  // log is unchanged; a batch not written is simply dropped.
  struct Entry {
    IbGib frame;
    WriteBatch batch;
  };
  [[nodiscard]] Result<Entry> next(std::string_view state, std::string_view context_address,
                                   std::string_view detail = {}) const;
  void took(Entry entry);

 private:
  SagaLog(Space& durable, IbGib genesis);

  Space* durable_;
  std::string tjp_;
  IbGib head_;
  std::string head_address_;
};

}  // namespace gibkit::saga
