// IbGib: reading a record from JSON, writing it back, and rel8n queries.
#include <string>
#include <type_traits>
#include <utility>

#include "gibkit/ibgib.h"
#include "json/quote.h"

namespace gibkit {
namespace {

// rel8ns must map names to arrays of strings.
Status check_rel8ns_shape(const json::Object& rel8ns) {
  for (const auto& [name, value] : rel8ns) {
    if (!value.is_array()) {
      return invalid_argument("rel8ns." + name + " must be an array of addresses, not " +
                              std::string(json::type_name(value.type())));
    }
    const json::Array& addresses = value.as_array();
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (!addresses[i].is_string()) {
        return invalid_argument("rel8ns." + name + "[" + std::to_string(i) + "] must be a string, not " +
                                std::string(json::type_name(addresses[i].type())));
      }
    }
  }
  return {};
}

// Copies from a const source, moves from a mutable one, so one body serves
// both from_json overloads.
template <class T>
auto&& copy_or_move(T& source) {
  if constexpr (std::is_const_v<T>) {
    return source;
  } else {
    return std::move(source);
  }
}

// from_json for `Json` = const json::Value (copying) or json::Value (moving).
template <class Json>
Result<IbGib> record_from_json(Json& value) {
  if (!value.is_object()) {
    return invalid_argument("an ibgib record must be a JSON object, not " + std::string(json::type_name(value.type())));
  }
  auto& object = value.as_object();
  for (const auto& [key, member] : object) {
    if (key != "ib" && key != "gib" && key != "data" && key != "rel8ns") {
      return invalid_argument("unknown top-level key \"" + key + "\" (expected ib, gib, data, rel8ns)");
    }
  }
  IbGib record;
  GIBKIT_ASSIGN_OR_RETURN(record.ib, json::get_string(object, "ib"));
  GIBKIT_ASSIGN_OR_RETURN(record.gib, json::get_string(object, "gib"));
  if (auto* data = object.find("data"); data != nullptr && !data->is_null()) record.data = copy_or_move(*data);
  if (auto* rel8ns = object.find("rel8ns"); rel8ns != nullptr && !rel8ns->is_null()) {
    if (!rel8ns->is_object()) {
      return invalid_argument("rel8ns must be an object, not " + std::string(json::type_name(rel8ns->type())));
    }
    GIBKIT_RETURN_IF_ERROR(check_rel8ns_shape(rel8ns->as_object()));
    record.rel8ns = copy_or_move(rel8ns->as_object());
  }
  return record;
}

// The record's members in the order of its JSON form, absent parts left out;
// to_json and to_json_text both write this.
template <class Visit>
void visit_members(const IbGib& record, Visit&& visit) {
  visit("ib", record.ib);
  visit("gib", record.gib);
  if (record.data) visit("data", *record.data);
  if (record.rel8ns) visit("rel8ns", *record.rel8ns);
}

}  // namespace

Result<IbGib> IbGib::from_json(const json::Value& value) { return record_from_json(value); }

Result<IbGib> IbGib::from_json(json::Value&& value) { return record_from_json(value); }

Result<IbGib> IbGib::parse(std::string_view json_text) {
  GIBKIT_ASSIGN_OR_RETURN(json::Value value, json::parse(json_text));
  return from_json(std::move(value));
}

json::Value IbGib::to_json() const {
  json::Object object;
  visit_members(*this, [&](std::string_view key, const auto& member) { object.set(std::string(key), member); });
  return object;
}

// Written member by member: going through to_json() would copy data and rel8ns.
std::string IbGib::to_json_text() const {
  std::string out = "{";
  visit_members(*this, [&](std::string_view key, const auto& member) {
    if (out.size() > 1) out += ',';
    json::append_quoted(key, out);
    out += ':';
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, std::string>) {
      json::append_quoted(member, out);
    } else {
      json::stringify_to(member, out);
    }
  });
  out += '}';
  return out;
}

bool IbGib::has_json_text_layout(const json::Value& value) {
  if (!value.is_object()) return false;
  const json::Object& object = value.as_object();
  auto it = object.begin();
  const auto next_is = [&](std::string_view key) { return it != object.end() && it->first == key; };
  // visit_members' order: ib and gib always, then data and rel8ns when set.
  if (!next_is("ib") || !(it++)->second.is_string()) return false;
  if (!next_is("gib") || !(it++)->second.is_string()) return false;
  if (next_is("data") && (it++)->second.is_null()) return false;
  if (next_is("rel8ns") && (it++)->second.is_null()) return false;
  return it == object.end();
}

std::string IbGib::address() const { return ib + "^" + gib; }

std::vector<std::string> IbGib::rel8d(std::string_view name) const {
  std::vector<std::string> addresses;
  if (!rel8ns) return addresses;
  const json::Value* list = rel8ns->find(name);
  if (list == nullptr || !list->is_array()) return addresses;
  for (const json::Value& address : list->as_array()) {
    if (address.is_string()) addresses.push_back(address.as_string());
  }
  return addresses;
}

std::vector<std::string> IbGib::all_rel8d() const {
  std::vector<std::string> addresses;
  if (!rel8ns) return addresses;
  for (const auto& [name, list] : *rel8ns) {
    if (!list.is_array()) continue;
    for (const json::Value& address : list.as_array()) {
      if (address.is_string()) addresses.push_back(address.as_string());
    }
  }
  return addresses;
}

std::optional<std::string> IbGib::tjp_address() const {
  if (data) {
    const json::Value* is_tjp = data->find("isTjp");
    if (is_tjp != nullptr && is_tjp->truthy()) return address();
  }
  std::vector<std::string> tjps = rel8d(kRel8nTjp);
  if (tjps.empty()) return std::nullopt;
  return tjps.back();
}

std::optional<double> IbGib::n() const {
  if (!data) return std::nullopt;
  const json::Value* n = data->find("n");
  if (n == nullptr || !n->is_number()) return std::nullopt;
  return n->as_number();
}

}  // namespace gibkit
