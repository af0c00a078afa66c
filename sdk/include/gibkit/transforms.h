// File: gibkit/transforms.h
//
// The three ways a record evolves, as the reference's ts-gib fork/mut8/rel8
// build them (core-gib-notes 1.5), so frames made here hash the same as
// frames made by an ibgib app:
//
//   fork  starts a new timeline from `src` (new ib, `ancestor` += src);
//   mut8  changes data (rename, remove, add/patch), `past` += src;
//   rel8  adds/removes named links (not past/ancestor/dna/tjp), `past` += src.
//
// mut8 and rel8 carry the timeline along: if src is the tjp (data.isTjp), the
// new frame gets rel8ns.tjp = [src] and loses isTjp; `n` is incremented when
// present (or set to 0 with n_counter). With `dna`, a separate dna record
// {ib: "<type>", data: <the options>, rel8ns: {ancestor: ["<type>^gib"]}} is
// made and its address appended to the frame's rel8ns.dna. The options appear
// in dna data under the reference's names (destIb, nCounter, ...) in a fixed
// order; a std::optional option that is unset is left out, as a JS caller that
// omits it would, so that dna records written by apps can be reproduced.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gibkit/gib_hash.h"
#include "gibkit/ibgib.h"
#include "gibkit/json.h"
#include "gibkit/plugin/config_key.h"
#include "gibkit/status.h"

namespace gibkit {

// Where a transform gets time and randomness; tests inject fixed ones.
struct TransformEnv {
  // Milliseconds since the Unix epoch. Default: the system clock.
  std::function<std::int64_t()> now_ms;
  // Fills the span with random bytes. Default: the system RNG (Botan).
  std::function<void(std::span<std::uint8_t>)> random_bytes;
  // When set, replaces uuid generation (to replay frames whose uuid is known
  // but whose random bytes are not). Default: new_uuid(random_bytes).
  std::function<std::string()> uuid;

  // The real clock and system randomness.
  [[nodiscard]] static TransformEnv system();
};

// Options every transform shares.
struct TransformCommon {
  bool dna = false;                        // also build a dna record
  std::optional<bool> n_counter;           // keep data.n ("nCounter")
  std::optional<bool> no_timestamp;        // do not set data.timestamp ("noTimestamp")
  std::vector<std::string> linked_rel8ns;  // rel8ns that keep only the newest address ("linkedRel8ns")
  // Current releases add data.timestampMs (0-999) next to data.timestamp;
  // ts-gib 0.4 (and the shared test vectors) did not.
  bool timestamp_ms = true;
  GibAlgorithm algorithm = GibAlgorithm::kSha256V1;
};

struct ForkOptions : TransformCommon {
  std::optional<std::string> dest_ib;  // "destIb"; the new ib, default "ib"
  // "tjp": {uuid, timestamp}; either one makes the new frame a tjp (isTjp).
  std::optional<bool> tjp_uuid;
  std::optional<bool> tjp_timestamp;
  std::optional<bool> uuid;           // add data.uuid without making a tjp
  std::optional<bool> clone_rel8ns;   // "cloneRel8ns": keep src rel8ns (minus tjp)
  std::optional<bool> clone_data;     // "cloneData": keep src data
};

struct Mut8Options : TransformCommon {
  std::optional<std::string> mut8_ib;              // "mut8Ib": new ib
  std::optional<json::Object> data_to_rename;      // "dataToRename": {old: "new"}, nested objects recurse
  std::optional<json::Object> data_to_remove;      // "dataToRemove": {key: ""}, nested objects recurse
  std::optional<json::Object> data_to_add_or_patch;  // "dataToAddOrPatch"
};

struct Rel8Options : TransformCommon {
  std::optional<json::Object> rel8ns_to_add;     // "rel8nsToAddByAddr": name -> [address]
  std::optional<json::Object> rel8ns_to_remove;  // "rel8nsToRemoveByAddr"
};

struct TransformResult {
  IbGib frame;
  std::optional<IbGib> dna;  // present when options.dna
};

// Each fails with kInvalidArgument on options the reference refuses (and on
// a primitive src for mut8/rel8), never with a half-built frame.
[[nodiscard]] Result<TransformResult> fork(const IbGib& src, const ForkOptions& options, const TransformEnv& env = TransformEnv::system());
[[nodiscard]] Result<TransformResult> mut8(const IbGib& src, const Mut8Options& options, const TransformEnv& env = TransformEnv::system());
[[nodiscard]] Result<TransformResult> rel8(const IbGib& src, const Rel8Options& options, const TransformEnv& env = TransformEnv::system());

// JS Date.prototype.toUTCString(): "Tue, 24 Nov 2026 21:04:23 GMT".
[[nodiscard]] std::string utc_timestamp(std::int64_t ms_since_epoch);

// The reference's uuid: lowercase hex SHA-256 of 16 random bytes written as
// decimal numbers joined without separator.
[[nodiscard]] std::string new_uuid(const std::function<void(std::span<std::uint8_t>)>& random_bytes);

// The rel8ns the timelines a node makes link, ts-gib's `linkedRel8ns`: a
// linked rel8n keeps only its newest address, so a frame names the frame
// before it and its own dna, and stays the same size however long its
// timeline grows (core-gib-notes 1.5). ts-gib links nothing unless told,
// and an unlinked `past` and `dna` list the whole history: a note edited
// 1,000 times ends with a 214 KB frame, and walking or sending it costs
// O(n^2). Both kinds are valid ibgib and hash the same in the reference.
//
// Default {"past", "dna"}. `ancestor` is not linked by default: only a fork
// extends it, gibkit forks from the root (whose fork has no rel8ns at all)
// and mut8/rel8 never touch it, so linking it would change no frame but
// add "ancestor" to every dna record (ionic-gib's index timelines name
// [past, ancestor] but are made with dna: false, and their forks never
// clone rel8ns, so their ancestor does not grow either).
[[nodiscard]] std::vector<std::string> default_linked_rel8ns();

// The keys of a deployment's `timelines:` section (docs/config.md), for
// DeploymentLoader::set_section: `linked_rel8ns`, a list of past, dna and
// ancestor (empty: accumulate everything, ts-gib's default).
[[nodiscard]] std::vector<ConfigKey> timelines_section_keys();

// The linked rel8ns a loaded `timelines:` section names; nullptr (no section)
// or a section without the key gives default_linked_rel8ns().
[[nodiscard]] std::vector<std::string> linked_rel8ns_from(const json::Object* timelines_section);

// Whether `record` is a dna record (its ancestor includes fork^gib, mut8^gib,
// rel8^gib or plan^gib).
[[nodiscard]] bool is_dna(const IbGib& record);

}  // namespace gibkit
