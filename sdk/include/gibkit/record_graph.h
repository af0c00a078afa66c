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

#include <cstddef>
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

// A stored record's text and every address it relates (IbGib::all_rel8d()
// order), read together.
struct RecordRelations {
  std::string json_text;
  std::vector<std::string> related;
};

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
  // The stored text and the relations of one record, from one read;
  // nullopt when no space holds it.
  [[nodiscard]] Result<std::optional<RecordRelations>> load_with_relations(std::string_view address) const;

 private:
  std::vector<Space*> spaces_;
};

struct ClosureOptions {
  // Addresses not to enter (their closures are known to be held elsewhere).
  // Read during the walk: it must not change meanwhile.
  const std::unordered_set<std::string>* stop = nullptr;
  // ClosureWalk only: how many bytes of record text the walk may keep for
  // records it has read but not yet given (a frame waits on the walk's
  // stack until everything it relates has been given). Past it, such a
  // record is read again when its turn comes, so a deep graph (a long
  // timeline walked through `past`) costs a bounded amount of memory.
  std::size_t held_text_bytes = std::size_t{16} << 20;
};

// The dependency closure of `roots`, in dependency order: every address comes
// after all addresses it relates (so a receiver can check each record's
// dependencies as it goes). kNotFound names the first address that is
// related but not held by the reader: the graph is incomplete.
[[nodiscard]] Result<std::vector<std::string>> dependency_closure(
    const RecordReader& reader, const std::vector<std::string>& roots, const ClosureOptions& options = {});

// The dependency closure walked one record at a time, each record read
// once: next() gives the records in the order dependency_closure() lists
// them, each with its stored text. A sender sends as it walks instead of
// first reading the whole closure and then every record again to send it.
// The reader (and options.stop) must outlive the walk.
class ClosureWalk {
 public:
  ClosureWalk(const RecordReader& reader, std::vector<std::string> roots, ClosureOptions options = {});

  // The next record of the closure, nullopt once all are given; kNotFound
  // names a related record that no space holds (the graph is incomplete),
  // kDataLoss a stored record that does not parse or vanished meanwhile.
  // An error ends the walk: later calls return it again.
  [[nodiscard]] Result<std::optional<StoredRecord>> next();

  // How many records next() has given.
  [[nodiscard]] std::size_t given() const noexcept { return given_; }
  // The addresses the walk has entered; once next() has returned nullopt,
  // exactly those it gave (primitives and the stop set are never entered).
  [[nodiscard]] const std::unordered_set<std::string>& visited() const noexcept { return seen_; }
  // visited(), moved out of a walk that is through (next() returned
  // nullopt), which stays through and leaves visited() empty: a sender
  // keeps the set of what it sent without copying 100k addresses. A walk
  // not through (or ended by an error) still needs its set, so it gets a
  // copy.
  [[nodiscard]] std::unordered_set<std::string> take_visited();

 private:
  friend Result<std::vector<std::string>> dependency_closure(const RecordReader&, const std::vector<std::string>&,
                                                             const ClosureOptions&);
  struct Frame {
    std::string address;
    std::string json_text;  // empty when it did not fit held_text_bytes: read again when given
    std::vector<std::string> children;
    std::size_t next_child = 0;
  };
  [[nodiscard]] Status enter(const std::string& address);
  [[nodiscard]] Result<std::optional<StoredRecord>> step();

  const RecordReader& reader_;
  std::vector<std::string> roots_;
  ClosureOptions options_;
  std::size_t next_root_ = 0;
  std::unordered_set<std::string> seen_;
  // Iterative: timelines are long linked lists through `past`, so recursion
  // could exhaust the stack.
  std::vector<Frame> stack_;
  std::size_t held_bytes_ = 0;
  std::size_t given_ = 0;
  bool texts_ = true;  // false for dependency_closure(), which gives addresses only
  Status failed_;      // the error that ended the walk
};

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
