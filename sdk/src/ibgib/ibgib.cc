// IbGib: reading a record from JSON, writing it back, and rel8n queries.
#include <string>

#include "gibkit/ibgib.h"

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

}  // namespace

Result<IbGib> IbGib::from_json(const json::Value& value) {
  if (!value.is_object()) {
    return invalid_argument("an ibgib record must be a JSON object, not " + std::string(json::type_name(value.type())));
  }
  const json::Object& object = value.as_object();
  for (const auto& [key, member] : object) {
    if (key != "ib" && key != "gib" && key != "data" && key != "rel8ns") {
      return invalid_argument("unknown top-level key \"" + key + "\" (expected ib, gib, data, rel8ns)");
    }
  }
  IbGib record;
  GIBKIT_ASSIGN_OR_RETURN(record.ib, json::get_string(object, "ib"));
  GIBKIT_ASSIGN_OR_RETURN(record.gib, json::get_string(object, "gib"));
  if (const json::Value* data = object.find("data"); data != nullptr && !data->is_null()) record.data = *data;
  if (const json::Value* rel8ns = object.find("rel8ns"); rel8ns != nullptr && !rel8ns->is_null()) {
    if (!rel8ns->is_object()) {
      return invalid_argument("rel8ns must be an object, not " + std::string(json::type_name(rel8ns->type())));
    }
    GIBKIT_RETURN_IF_ERROR(check_rel8ns_shape(rel8ns->as_object()));
    record.rel8ns = rel8ns->as_object();
  }
  return record;
}

Result<IbGib> IbGib::parse(std::string_view json_text) {
  GIBKIT_ASSIGN_OR_RETURN(json::Value value, json::parse(json_text));
  return from_json(value);
}

json::Value IbGib::to_json() const {
  json::Object object;
  object.set("ib", ib);
  object.set("gib", gib);
  if (data) object.set("data", *data);
  if (rel8ns) object.set("rel8ns", *rel8ns);
  return object;
}

std::string IbGib::to_json_text() const { return json::stringify(to_json()); }

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
