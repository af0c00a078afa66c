// Intrinsic validation of a record (core-gib-notes 1.5, last bullet).
#include "gibkit/validate.h"

#include "gibkit/transforms.h"

namespace gibkit {
namespace {

Status check_rel8ns(const json::Object& rel8ns) {
  for (const auto& [name, list] : rel8ns) {
    if (!list.is_array()) return invalid_argument("bad rel8ns shape: rel8ns." + name + " is not an array");
    const json::Array& addresses = list.as_array();
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      const std::string where = "rel8ns." + name + "[" + std::to_string(i) + "]";
      if (!addresses[i].is_string()) return invalid_argument("bad rel8ns shape: " + where + " is not a string");
      Status s = Address::parse(addresses[i].as_string()).status();
      if (!s.ok()) return s.with_context("bad rel8ns shape: " + where);
    }
  }
  return {};
}

// The gib's suffix must name the timeline the rel8ns claim: none for a tjp
// (data.isTjp) or a record outside any timeline, else the last tjp's gib.
Status check_tjp_suffix(const IbGib& record, const Address& address) {
  const json::Value* is_tjp = record.data ? record.data->find("isTjp") : nullptr;
  const bool self_is_tjp = is_tjp != nullptr && is_tjp->truthy();
  const std::vector<std::string> tjps = record.rel8d(kRel8nTjp);
  const std::string_view suffix = address.tjp_gib();
  if (self_is_tjp || tjps.empty()) {
    if (suffix.empty()) return {};
    return data_loss("tjp suffix mismatch: gib has tjp suffix " + std::string(suffix) + " but the record " +
                     (self_is_tjp ? "is a tjp itself" : "has no rel8ns.tjp"));
  }
  const std::string_view last = tjps.back();
  const std::string_view expected = last.substr(last.rfind('^') + 1);
  if (suffix != expected) {
    return data_loss("tjp suffix mismatch: gib suffix \"" + std::string(suffix) + "\", rel8ns.tjp says \"" +
                     std::string(expected) + "\"");
  }
  return {};
}

// The reference's retry for rel8 dna that still carries its source.
bool matches_without_src(const IbGib& record, GibAlgorithm algorithm) {
  if (record.ib != "rel8" || !is_dna(record) || !record.data || !record.data->is_object()) return false;
  IbGib stripped = record;
  json::Object& data = stripped.data->as_object();
  const bool had_src = data.erase("src");
  const bool had_src_addr = data.erase("srcAddr");
  if (!had_src && !had_src_addr) return false;
  Result<std::string> gib = compute_gib(stripped, algorithm);
  return gib.ok() && *gib == record.gib;
}

}  // namespace

Status validate_intrinsically(const IbGib& record, GibAlgorithm algorithm) {
  if (record.ib.empty()) return invalid_argument("malformed ib: empty");
  if (record.ib.find('^') != std::string::npos) return invalid_argument("malformed ib: contains '^'");
  Result<Address> address = Address::parse(record.address());
  if (!address.ok()) return address.status();
  if (record.rel8ns) GIBKIT_RETURN_IF_ERROR(check_rel8ns(*record.rel8ns));
  if (address->is_primitive()) {
    if (record.data || (record.rel8ns && !record.rel8ns->empty())) {
      return invalid_argument("primitive " + record.address() + " carries data or rel8ns");
    }
    return {};
  }
  GIBKIT_RETURN_IF_ERROR(check_tjp_suffix(record, *address));
  Result<std::string> computed = compute_gib(record, algorithm);
  if (!computed.ok()) return computed.status().with_context("cannot compute gib");
  if (*computed != record.gib && !matches_without_src(record, algorithm)) {
    return data_loss("gib mismatch: expected " + record.gib + ", computed " + *computed);
  }
  return {};
}

}  // namespace gibkit
