// File: gibkit/record_graph.h
//
// Reading ibgib records out of spaces and walking their graph: dependency
// closures, the frames of a timeline, stones. For plugins and tools as much
// as for the kernel's saga, which is built on it.
//
// The dependency closure of an address is the record plus everything it
// relates, transitively, through every rel8n (past, ancestor, dna, tjp and
// the domain's own), primitives (`X^gib`) excluded. Spaces keep an invariant
// the saga relies on: a durable space holds the complete closure of every
// record it holds, because Commit only ever stores complete closures. So a
// walk may stop at any address known to be held by the other side.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit {

// Looks records up in several spaces, first match wins.
class RecordReader {
 public:
  explicit RecordReader(std::vector<Space*> spaces) : spaces_(std::move(spaces)) {}

  // The parsed record, nullopt when no space holds it; kDataLoss when a
  // stored record does not parse.
  [[nodiscard]] Result<std::optional<IbGib>> load(std::string_view address) const;
  // The stored JSON text, nullopt when no space holds it.
  [[nodiscard]] Result<std::optional<std::string>> load_text(std::string_view address) const;
  [[nodiscard]] Result<bool> has(std::string_view address) const;
  // Every address the record relates (IbGib::all_rel8d(), same order),
  // nullopt when no space holds it. Only the rel8ns member is decoded: a
  // dependency walk never needs the data, often most of a record's bytes.
  [[nodiscard]] Result<std::optional<std::vector<std::string>>> relations(std::string_view address) const;

 private:
  std::vector<Space*> spaces_;
};

struct ClosureOptions {
  // Addresses not to enter (their closures are known to be held elsewhere).
  const std::unordered_set<std::string>* stop = nullptr;
};

// The dependency closure of `roots`, in dependency order: every address comes
// after all addresses it relates (so a receiver can check each record's
// dependencies as it goes). kNotFound names the first address that is
// related but not held by the reader: the graph is incomplete.
[[nodiscard]] Result<std::vector<std::string>> dependency_closure(
    const RecordReader& reader, const std::vector<std::string>& roots, const ClosureOptions& options = {});

// Whether `address` names a primitive (`X^gib`), which is never stored.
[[nodiscard]] bool is_primitive_address(std::string_view address);

// Timelines. A frame's `past` lists its predecessors oldest first; ts-gib
// accumulates the whole history there unless the timeline was made with
// linked `past`, in which case only the immediate predecessor is kept. The
// walks below follow the immediate predecessor either way.
// Frames of the timeline ending at `head`, oldest first, `head` last.
[[nodiscard]] Result<std::vector<std::string>> timeline_frames(const RecordReader& reader, std::string_view head);

// Whether `ancestor` is `head` or one of its predecessors.
[[nodiscard]] Result<bool> timeline_contains(const RecordReader& reader, std::string_view head,
                                             std::string_view ancestor);

// A stone (no timeline) with its gib computed.
[[nodiscard]] IbGib make_stone(std::string ib, json::Object data, json::Object rel8ns);

}  // namespace gibkit
