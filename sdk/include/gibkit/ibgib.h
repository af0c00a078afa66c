// File: gibkit/ibgib.h
//
// The ibgib record {ib, gib, data, rel8ns} and its address `ib^gib`.
//
// A record is content addressed: `gib` is a hash of ib, rel8ns and data (see
// gib_hash.h), so a record whose gib does not match its content is invalid.
// Records cross module and plugin boundaries as JSON text (to_json_text()).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/json.h"
#include "gibkit/status.h"

namespace gibkit {

// Well-known rel8n names.
inline constexpr std::string_view kRel8nPast = "past";
inline constexpr std::string_view kRel8nAncestor = "ancestor";
inline constexpr std::string_view kRel8nDna = "dna";
inline constexpr std::string_view kRel8nTjp = "tjp";
inline constexpr std::string_view kRel8nIdentity = "identity";

// The literal gib of primitives (`X^gib`) and the root `ib^gib`.
inline constexpr std::string_view kPrimitiveGib = "gib";

// An address `ib^gib`, parsed and validated (core-gib-notes 1.2):
//  * it contains '^' and does not start with it; the last '^' separates ib
//    from gib; neither part may contain '^' (so exactly one '^');
//  * gib is "gib" (a primitive), or "<hash>" or "<hash>.<tjpHash>" where each
//    hash is 32 or 64 hex characters.
// Lower-case hex is accepted by the parser (the reference does) but gibkit
// only ever produces upper case.
class Address {
 public:
  [[nodiscard]] static Result<Address> parse(std::string_view text);
  // Builds without validation; for ib/gib already known to be valid.
  static Address from_parts(std::string ib, std::string gib);

  [[nodiscard]] const std::string& ib() const noexcept { return ib_; }
  [[nodiscard]] const std::string& gib() const noexcept { return gib_; }
  [[nodiscard]] std::string str() const;  // "ib^gib"

  [[nodiscard]] bool is_primitive() const noexcept { return gib_ == kPrimitiveGib; }
  // The hash before the first '.', or the whole gib.
  [[nodiscard]] std::string_view punctiliar_hash() const noexcept;
  // The part after the first '.' (the tjp's gib), or empty when none.
  [[nodiscard]] std::string_view tjp_gib() const noexcept;

  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;

 private:
  Address(std::string ib, std::string gib) : ib_(std::move(ib)), gib_(std::move(gib)) {}
  std::string ib_;
  std::string gib_;
};

// One ibgib record. `data` and `rel8ns` are optional, as in the reference:
// absent differs from present-but-empty in the JSON text, not in the gib.
struct IbGib {
  std::string ib;
  std::string gib;
  std::optional<json::Value> data;
  // rel8n name -> array of address strings.
  std::optional<json::Object> rel8ns;

  // Reads a record from parsed JSON. Requires a string `ib`, a string `gib`,
  // `data` (any JSON value; null is treated as absent), `rel8ns` an object
  // whose members are arrays of strings (null treated as absent). Unknown
  // top-level keys are rejected (kInvalidArgument naming the key).
  [[nodiscard]] static Result<IbGib> from_json(const json::Value& value);
  // The same, but data and rel8ns are moved out of `value` (left valid but
  // unspecified) instead of copied: for a value parsed only to be read.
  [[nodiscard]] static Result<IbGib> from_json(json::Value&& value);
  // parse() + from_json().
  [[nodiscard]] static Result<IbGib> parse(std::string_view json_text);

  // {"ib":..,"gib":..,"data":..,"rel8ns":..}, absent parts left out.
  [[nodiscard]] json::Value to_json() const;
  [[nodiscard]] std::string to_json_text() const;
  // Whether `value` (a record's JSON, not yet read) has its members in
  // to_json_text()'s order and none that from_json() drops (a null data or
  // rel8ns): then to_json_text() of the record read from it equals
  // json::stringify(value). With json::parse_with_form, a reader keeps the
  // text it was given, byte for byte what to_json_text() would write,
  // without writing it again.
  [[nodiscard]] static bool has_json_text_layout(const json::Value& value);

  [[nodiscard]] std::string address() const;  // "ib^gib"

  // Addresses related under `name` (empty when none).
  [[nodiscard]] std::vector<std::string> rel8d(std::string_view name) const;
  // All related addresses, every rel8n, in order, duplicates kept.
  [[nodiscard]] std::vector<std::string> all_rel8d() const;

  // The timeline this record belongs to: its own address if data.isTjp is
  // truthy (as the reference tests it), else the last rel8ns.tjp address, else nullopt (not a timeline frame).
  [[nodiscard]] std::optional<std::string> tjp_address() const;

  // data.n when it is a number, else nullopt.
  [[nodiscard]] std::optional<double> n() const;

  friend bool operator==(const IbGib&, const IbGib&) = default;
};

}  // namespace gibkit
