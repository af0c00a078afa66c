// File: gibkit/saga/divergence.h
//
// Resolving a timeline that moved on at both ends ("optimistic" strategy,
// docs/protocol.md "Divergent timelines"): the receiver's branch wins as the
// base, and each sender-only frame is replayed onto it by re-applying the
// transform its dna records (mut8 or rel8), producing new frames that
// descend from both histories. Nothing is deleted: the sender's original
// frames stay stored on both sides. When a sender-only frame has no dna (a
// stone-like timeline, or a fork), no replay is possible and the divergence
// is reported as a conflict with both heads kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/record_graph.h"
#include "gibkit/status.h"
#include "gibkit/transforms.h"

namespace gibkit::saga {

struct Replay {
  std::vector<IbGib> records;  // new frames and their dna, in dependency order
  std::string head;            // the merged head
};

// nullopt when the divergence cannot be replayed (a conflict). `reader` must
// hold both branches.
[[nodiscard]] Result<std::optional<Replay>> replay_onto(const RecordReader& reader, std::string_view base_head,
                                                        std::string_view own_head,
                                                        const TransformEnv& env = TransformEnv::system());

}  // namespace gibkit::saga
