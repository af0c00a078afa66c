// fork, mut8 and rel8, following ts-gib's V1 transforms step by step (the
// order of every key written matters: it is what JSON.stringify would emit).
#include "gibkit/transforms.h"

#include <algorithm>
#include <array>
#include <botan/system_rng.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

namespace gibkit {
namespace {

constexpr std::string_view kRootAddress = "ib^gib";

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

json::Array strings_to_array(const std::vector<std::string>& strings) {
  return json::Array(strings.begin(), strings.end());
}

// The src as the reference re-reads it: data and rel8ns only when non-empty.
Result<json::Object> src_data_object(const IbGib& src) {
  if (!src.data) return json::Object();
  if (!src.data->is_object()) {
    return invalid_argument("src data is a " + std::string(json::type_name(src.data->type())) +
                            "; transforms need object data");
  }
  return src.data->as_object();
}

Status check_src(const IbGib& src, std::string_view transform, bool allow_primitive) {
  if (src.ib.empty()) return invalid_argument(std::string(transform) + ": src.ib required");
  if (src.gib.empty()) return invalid_argument(std::string(transform) + ": src.gib required");
  if (src.ib.find('^') != std::string::npos) return invalid_argument(std::string(transform) + ": src.ib contains '^'");
  if (!allow_primitive && src.gib == kPrimitiveGib) {
    return invalid_argument(std::string(transform) + ": cannot transform a primitive (" + src.address() + ")");
  }
  return {};
}

// data.n: incremented when present (reset to 0 when negative), set to 0 when
// absent and n_counter is set. A non-integer n is refused, as the reference does.
Status update_n(json::Object& data, const TransformCommon& options) {
  json::Value* n = data.find("n");
  if (n == nullptr) {
    if (options.n_counter.value_or(false)) data.set("n", 0);
    return {};
  }
  if (!n->is_number() || std::trunc(n->as_number()) != n->as_number() || !std::isfinite(n->as_number())) {
    return invalid_argument("cannot increment data.n: it is not an integer");
  }
  *n = n->as_number() >= 0 ? json::Value(n->as_number() + 1) : json::Value(0);
  return {};
}

void set_timestamp(json::Object& data, const TransformCommon& options, const TransformEnv& env) {
  const std::int64_t now = env.now_ms();
  data.set("timestamp", utc_timestamp(now));
  if (options.timestamp_ms) data.set("timestampMs", static_cast<double>(((now % 1000) + 1000) % 1000));
}

// If src was the tjp, the new frame points at it and is no longer a tjp.
void carry_tjp(json::Object& data, json::Object& rel8ns, const std::string& src_address) {
  const json::Value* is_tjp = data.find("isTjp");
  if (is_tjp == nullptr || !is_tjp->truthy()) return;
  json::Value& tjp = rel8ns["tjp"];
  if (!tjp.is_array()) tjp = json::Array();
  tjp.as_array().push_back(src_address);
  data.erase("isTjp");
}

void append_rel8n(json::Object& rel8ns, std::string_view name, const std::string& address, bool linked) {
  json::Value& list = rel8ns[name];
  if (linked || !list.is_array()) list = json::Array();
  list.as_array().push_back(address);
}

// The fields every options struct shares, written where the reference's
// callers put them.
void put_common_head(json::Object& out, const TransformCommon& options) {
  out.set("dna", true);
  if (options.n_counter) out.set("nCounter", *options.n_counter);
}
void put_common_tail(json::Object& out, const TransformCommon& options, std::string_view type) {
  if (options.no_timestamp) out.set("noTimestamp", *options.no_timestamp);
  if (!options.linked_rel8ns.empty()) out.set("linkedRel8ns", strings_to_array(options.linked_rel8ns));
  out.set("type", std::string(type));
}

Result<IbGib> build_dna(std::string_view type, json::Object options_json, GibAlgorithm algorithm) {
  IbGib dna;
  dna.ib = std::string(type);
  dna.data = json::Value(std::move(options_json));
  dna.rel8ns = json::Object{{"ancestor", json::Array{json::Value(std::string(type) + "^gib")}}};
  GIBKIT_ASSIGN_OR_RETURN(dna.gib, compute_gib(dna, algorithm));
  return dna;
}

// Adds the dna record (when asked) and its address under rel8ns.dna.
Result<std::optional<IbGib>> attach_dna(std::string_view type, const TransformCommon& options,
                                        json::Object options_json, json::Object* rel8ns) {
  if (!options.dna) return std::optional<IbGib>();
  GIBKIT_ASSIGN_OR_RETURN(IbGib dna, build_dna(type, std::move(options_json), options.algorithm));
  if (rel8ns != nullptr) append_rel8n(*rel8ns, kRel8nDna, dna.address(), contains(options.linked_rel8ns, kRel8nDna));
  return std::optional<IbGib>(std::move(dna));
}

// renameOrRemove of the reference: string values name the new key (rename)
// or mark removal; object values recurse into the same-named sub-object.
Status rename_or_remove(json::Object& data, const json::Object& info, bool rename) {
  for (const auto& [key, instruction] : info) {
    if (key == "timestamp") return invalid_argument("cannot rename or remove data.timestamp");
    json::Value* current = data.find(key);
    if (current == nullptr) continue;
    if (instruction.is_string()) {
      if (instruction.as_string() == "timestamp") return invalid_argument("cannot rename to data.timestamp");
      json::Value moved = std::move(*current);
      data.erase(key);
      if (rename) data.set(instruction.as_string(), std::move(moved));
    } else if (instruction.is_object() && current->is_object()) {
      GIBKIT_RETURN_IF_ERROR(rename_or_remove(current->as_object(), instruction.as_object(), rename));
    } else {
      return invalid_argument("rename/remove instruction for \"" + key + "\" must be a string or an object matching the data");
    }
  }
  return {};
}

// patch of the reference: arrays replace, objects merge key by key, anything
// else replaces. (A null patch value replaces; the reference would throw.)
void patch(json::Object& data, const json::Object& changes) {
  for (const auto& [key, change] : changes) {
    json::Value* current = data.find(key);
    if (current != nullptr && current->truthy() && current->is_object() && change.is_object()) {
      patch(current->as_object(), change.as_object());
    } else {
      data.set(key, change);
    }
  }
}

// The reference's check on rel8 addresses: "x^..." with a non-empty ib.
Status check_rel8n_lists(const json::Object& lists, std::string_view what) {
  for (const auto& [name, list] : lists) {
    if (name == kRel8nPast || name == kRel8nAncestor || name == kRel8nDna || name == kRel8nTjp) {
      return invalid_argument(std::string(what) + ": rel8n \"" + name + "\" is reserved");
    }
    if (!list.is_array()) return invalid_argument(std::string(what) + "." + name + " must be an array of addresses");
    for (const json::Value& address : list.as_array()) {
      if (!address.is_string() || address.as_string().size() < 2 || address.as_string().find('^') == 0 ||
          address.as_string().find('^') == std::string::npos) {
        return invalid_argument(std::string(what) + "." + name + " holds an invalid address");
      }
    }
  }
  return {};
}

bool array_contains(const json::Array& list, const json::Value& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

template <typename Fn>
Result<TransformResult> guarded(std::string_view transform, Fn&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return internal_error(std::string(transform) + ": " + e.what());
  }
}

Result<TransformResult> fork_impl(const IbGib& src, const ForkOptions& o, const TransformEnv& env) {
  GIBKIT_RETURN_IF_ERROR(check_src(src, "fork", /*allow_primitive=*/true));
  if (o.dest_ib && o.dest_ib->find('^') != std::string::npos) return invalid_argument("fork: destIb contains '^'");
  const bool tjp_timestamp = o.tjp_timestamp.value_or(false);
  const bool tjp_uuid = o.tjp_uuid.value_or(false);
  if (o.no_timestamp.value_or(false) && tjp_timestamp) {
    return invalid_argument("fork: both noTimestamp and tjp.timestamp selected");
  }
  const std::string src_address = src.address();

  json::Object rel8ns;
  if (o.clone_rel8ns.value_or(false) && src.rel8ns) rel8ns = *src.rel8ns;
  json::Object data;
  if (o.clone_data.value_or(false)) {
    GIBKIT_ASSIGN_OR_RETURN(data, src_data_object(src));
  }
  if (o.n_counter.value_or(false)) data.set("n", 0);
  append_rel8n(rel8ns, kRel8nAncestor, src_address, contains(o.linked_rel8ns, kRel8nAncestor));
  rel8ns.erase(kRel8nTjp);
  if (!o.no_timestamp.value_or(false) || tjp_timestamp) set_timestamp(data, o, env);
  if (tjp_uuid || o.uuid.value_or(false)) data.set("uuid", env.uuid ? env.uuid() : new_uuid(env.random_bytes));
  if (tjp_uuid || tjp_timestamp) {
    data.set("isTjp", true);
  } else {
    data.erase("isTjp");
  }

  // The reference's callers write destIb, dna, tjp, nCounter, in that order.
  json::Object options_json;
  if (o.dest_ib) options_json.set("destIb", *o.dest_ib);
  options_json.set("dna", true);
  if (o.tjp_uuid || o.tjp_timestamp) {
    json::Object tjp;
    if (o.tjp_uuid) tjp.set("uuid", *o.tjp_uuid);
    if (o.tjp_timestamp) tjp.set("timestamp", *o.tjp_timestamp);
    options_json.set("tjp", std::move(tjp));
  }
  if (o.n_counter) options_json.set("nCounter", *o.n_counter);
  if (o.uuid) options_json.set("uuid", *o.uuid);
  if (o.clone_rel8ns) options_json.set("cloneRel8ns", *o.clone_rel8ns);
  if (o.clone_data) options_json.set("cloneData", *o.clone_data);
  put_common_tail(options_json, o, "fork");

  // Forking the root gives no rel8ns at all (so no dna link either).
  const bool keeps_rel8ns = src_address != kRootAddress;
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> dna,
                          attach_dna("fork", o, std::move(options_json), keeps_rel8ns ? &rel8ns : nullptr));
  TransformResult result;
  result.frame.ib = o.dest_ib && !o.dest_ib->empty() ? *o.dest_ib : "ib";
  if (!data.empty()) result.frame.data = json::Value(std::move(data));
  if (keeps_rel8ns) result.frame.rel8ns = std::move(rel8ns);
  GIBKIT_ASSIGN_OR_RETURN(result.frame.gib, compute_gib(result.frame, o.algorithm));
  result.dna = std::move(dna);
  return result;
}

Result<TransformResult> mut8_impl(const IbGib& src, const Mut8Options& o, const TransformEnv& env) {
  GIBKIT_RETURN_IF_ERROR(check_src(src, "mut8", /*allow_primitive=*/false));
  if (!o.mut8_ib && !o.data_to_rename && !o.data_to_remove && !o.data_to_add_or_patch) {
    return invalid_argument("mut8: give mut8Ib or some data to change");
  }
  if (o.mut8_ib && o.mut8_ib->find('^') != std::string::npos) return invalid_argument("mut8: mut8Ib contains '^'");
  const std::string src_address = src.address();
  json::Object rel8ns = src.rel8ns ? *src.rel8ns : json::Object();
  append_rel8n(rel8ns, kRel8nPast, src_address, contains(o.linked_rel8ns, kRel8nPast));
  GIBKIT_ASSIGN_OR_RETURN(json::Object data, src_data_object(src));
  if (o.data_to_rename) GIBKIT_RETURN_IF_ERROR(rename_or_remove(data, *o.data_to_rename, /*rename=*/true));
  if (o.data_to_remove) GIBKIT_RETURN_IF_ERROR(rename_or_remove(data, *o.data_to_remove, /*rename=*/false));
  if (o.data_to_add_or_patch) patch(data, *o.data_to_add_or_patch);
  if (!o.no_timestamp.value_or(false)) set_timestamp(data, o, env);
  GIBKIT_RETURN_IF_ERROR(update_n(data, o));
  carry_tjp(data, rel8ns, src_address);

  json::Object options_json;
  put_common_head(options_json, o);
  if (o.mut8_ib) options_json.set("mut8Ib", *o.mut8_ib);
  if (o.data_to_rename) options_json.set("dataToRename", *o.data_to_rename);
  if (o.data_to_remove) options_json.set("dataToRemove", *o.data_to_remove);
  if (o.data_to_add_or_patch) options_json.set("dataToAddOrPatch", *o.data_to_add_or_patch);
  put_common_tail(options_json, o, "mut8");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> dna, attach_dna("mut8", o, std::move(options_json), &rel8ns));

  TransformResult result;
  result.frame.ib = o.mut8_ib ? *o.mut8_ib : src.ib;
  if (!data.empty()) result.frame.data = json::Value(std::move(data));
  result.frame.rel8ns = std::move(rel8ns);
  GIBKIT_ASSIGN_OR_RETURN(result.frame.gib, compute_gib(result.frame, o.algorithm));
  result.dna = std::move(dna);
  return result;
}

Result<TransformResult> rel8_impl(const IbGib& src, const Rel8Options& o, const TransformEnv& env) {
  GIBKIT_RETURN_IF_ERROR(check_src(src, "rel8", /*allow_primitive=*/false));
  const bool adding = o.rel8ns_to_add && !o.rel8ns_to_add->empty();
  const bool removing = o.rel8ns_to_remove && !o.rel8ns_to_remove->empty();
  if (!adding && !removing) return invalid_argument("rel8: give rel8nsToAddByAddr or rel8nsToRemoveByAddr");
  if (o.rel8ns_to_add) GIBKIT_RETURN_IF_ERROR(check_rel8n_lists(*o.rel8ns_to_add, "rel8nsToAddByAddr"));
  if (o.rel8ns_to_remove) GIBKIT_RETURN_IF_ERROR(check_rel8n_lists(*o.rel8ns_to_remove, "rel8nsToRemoveByAddr"));
  const std::string src_address = src.address();

  GIBKIT_ASSIGN_OR_RETURN(json::Object data, src_data_object(src));
  GIBKIT_RETURN_IF_ERROR(update_n(data, o));
  if (!o.no_timestamp.value_or(false)) set_timestamp(data, o, env);

  json::Object rel8ns = src.rel8ns ? *src.rel8ns : json::Object();
  if (o.rel8ns_to_add) {
    for (const auto& [name, to_add] : *o.rel8ns_to_add) {
      json::Value& list = rel8ns[name];
      if (!list.is_array()) list = json::Array();
      const json::Array existing = list.as_array();
      for (const json::Value& address : to_add.as_array()) {
        if (!array_contains(existing, address)) list.as_array().push_back(address);
      }
    }
  }
  if (o.rel8ns_to_remove) {
    for (const auto& [name, to_remove] : *o.rel8ns_to_remove) {
      json::Array pruned;
      if (const json::Value* list = rel8ns.find(name); list != nullptr && list->is_array()) {
        for (const json::Value& address : list->as_array()) {
          if (!array_contains(to_remove.as_array(), address)) pruned.push_back(address);
        }
      }
      if (pruned.empty()) {
        rel8ns.erase(name);
      } else {
        rel8ns.set(name, std::move(pruned));
      }
    }
  }
  append_rel8n(rel8ns, kRel8nPast, src_address, /*linked=*/false);
  for (const std::string& linked : o.linked_rel8ns) {
    json::Value* list = rel8ns.find(linked);
    if (list != nullptr && list->is_array() && list->as_array().size() > 1) {
      *list = json::Array{list->as_array().back()};
    }
  }
  carry_tjp(data, rel8ns, src_address);

  json::Object options_json;
  put_common_head(options_json, o);
  if (o.rel8ns_to_add) options_json.set("rel8nsToAddByAddr", *o.rel8ns_to_add);
  if (o.rel8ns_to_remove) options_json.set("rel8nsToRemoveByAddr", *o.rel8ns_to_remove);
  put_common_tail(options_json, o, "rel8");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> dna, attach_dna("rel8", o, std::move(options_json), &rel8ns));

  TransformResult result;
  result.frame.ib = src.ib;
  result.frame.data = json::Value(std::move(data));  // the reference keeps even {} here
  result.frame.rel8ns = std::move(rel8ns);
  GIBKIT_ASSIGN_OR_RETURN(result.frame.gib, compute_gib(result.frame, o.algorithm));
  result.dna = std::move(dna);
  return result;
}

}  // namespace

TransformEnv TransformEnv::system() {
  TransformEnv env;
  env.now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  env.random_bytes = [](std::span<std::uint8_t> out) { Botan::system_rng().randomize(out.data(), out.size()); };
  return env;
}

std::string utc_timestamp(std::int64_t ms_since_epoch) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const sys_time<milliseconds> instant{milliseconds(ms_since_epoch)};
  const sys_days day = floor<days>(instant);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> time(floor<seconds>(instant - day));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[weekday(day).c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return buf;
}

std::string new_uuid(const std::function<void(std::span<std::uint8_t>)>& random_bytes) {
  std::array<std::uint8_t, 16> bytes{};
  random_bytes(bytes);
  std::string joined;
  for (std::uint8_t b : bytes) joined += std::to_string(b);
  std::string hex = sha256_hex_upper(joined);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

std::vector<std::string> default_linked_rel8ns() {
  return {std::string(kRel8nPast), std::string(kRel8nDna)};
}

std::vector<ConfigKey> timelines_section_keys() {
  json::Array defaults;
  for (const std::string& name : default_linked_rel8ns()) defaults.emplace_back(name);
  return {
      {.key = "linked_rel8ns", .type = ConfigType::kStringList, .default_value = json::Value(std::move(defaults)),
       .description = "Rel8ns that keep only their newest address in the frames gib fork, mut8 and rel8 make "
                      "(ts-gib linkedRel8ns); [] accumulates the whole history in every frame",
       .one_of = {std::string(kRel8nPast), std::string(kRel8nDna), std::string(kRel8nAncestor)}},
  };
}

std::vector<std::string> linked_rel8ns_from(const json::Object* timelines_section) {
  const json::Value* names = timelines_section != nullptr ? timelines_section->find("linked_rel8ns") : nullptr;
  if (names == nullptr || !names->is_array()) return default_linked_rel8ns();
  std::vector<std::string> linked;
  for (const json::Value& name : names->as_array()) {
    // The schema (one_of) refused anything else; a repeated name is kept
    // once, so that the dna records of equal edits stay equal.
    if (name.is_string() && !contains(linked, name.as_string())) linked.push_back(name.as_string());
  }
  return linked;
}

bool is_dna(const IbGib& record) {
  for (const std::string& ancestor : record.rel8d(kRel8nAncestor)) {
    if (ancestor == "fork^gib" || ancestor == "mut8^gib" || ancestor == "rel8^gib" || ancestor == "plan^gib") return true;
  }
  return false;
}

Result<TransformResult> fork(const IbGib& src, const ForkOptions& options, const TransformEnv& env) {
  return guarded("fork", [&] { return fork_impl(src, options, env); });
}
Result<TransformResult> mut8(const IbGib& src, const Mut8Options& options, const TransformEnv& env) {
  return guarded("mut8", [&] { return mut8_impl(src, options, env); });
}
Result<TransformResult> rel8(const IbGib& src, const Rel8Options& options, const TransformEnv& env) {
  return guarded("rel8", [&] { return rel8_impl(src, options, env); });
}

}  // namespace gibkit
