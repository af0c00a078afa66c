// gib log: a timeline's history, newest first, with what each frame changed
// (read from its dna record).
#include <ostream>

#include "address_lookup.h"
#include "command.h"
#include "gibkit/record_graph.h"
#include "gibkit/record_graph.h"
#include "timeline_edit.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "log";

std::string object_keys(const json::Value* object) {
  std::string keys;
  if (object == nullptr || !object->is_object()) return keys;
  for (const auto& [key, value] : object->as_object()) keys += (keys.empty() ? "" : ",") + key;
  return keys;
}

std::string rel8n_pairs(const json::Value* object, std::string_view sign) {
  std::string pairs;
  if (object == nullptr || !object->is_object()) return pairs;
  for (const auto& [name, list] : object->as_object()) {
    if (!list.is_array()) continue;
    for (const json::Value& address : list.as_array()) {
      if (address.is_string()) pairs += std::string(pairs.empty() ? "" : " ") + std::string(sign) + name + ":" + address.as_string();
    }
  }
  return pairs;
}

// "fork ib=note", "mut8 set=text,title removed=draft", "rel8 +target:a^B".
std::string describe(const IbGib& dna) {
  if (!dna.data || !dna.data->is_object()) return dna.ib;
  const json::Value& data = *dna.data;
  std::string change = dna.ib;
  auto add = [&](std::string_view label, const std::string& what) {
    if (!what.empty()) change += " " + std::string(label) + what;
  };
  if (dna.ib == "fork") {
    const json::Value* dest = data.find("destIb");
    add("ib=", dest != nullptr && dest->is_string() ? dest->as_string() : "ib");
  } else if (dna.ib == "mut8") {
    add("set=", object_keys(data.find("dataToAddOrPatch")));
    add("removed=", object_keys(data.find("dataToRemove")));
    add("renamed=", object_keys(data.find("dataToRename")));
  } else if (dna.ib == "rel8") {
    add("", rel8n_pairs(data.find("rel8nsToAddByAddr"), "+"));
    add("", rel8n_pairs(data.find("rel8nsToRemoveByAddr"), "-"));
  }
  return change;
}

std::string data_text(const IbGib& frame, std::string_view key) {
  const json::Value* value = frame.data ? frame.data->find(key) : nullptr;
  if (value == nullptr) return "-";
  return value->is_string() ? value->as_string() : json::stringify(*value);
}

Result<std::string> change_of(const RecordReader& reader, const IbGib& frame) {
  const std::vector<std::string> dna = frame.rel8d(kRel8nDna);
  // A timeline forked from the root has no dna: its first frame is the fork.
  if (dna.empty()) return frame.tjp_address() == frame.address() ? "fork ib=" + frame.ib : std::string("-");
  GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> record, reader.load(dna.back()));
  if (!record) return "(dna " + dna.back() + " not stored)";
  return describe(*record);
}

Status print_history(Space& space, std::string_view address, std::ostream& out) {
  GIBKIT_ASSIGN_OR_RETURN(TimelineHead head, find_timeline_head(space, address));
  const RecordReader reader({&space});
  GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> frames, timeline_frames(reader, head.frame.address()));
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(*it));
    if (!frame) return data_loss("frame " + *it + " of timeline " + head.tjp + " is not stored");
    GIBKIT_ASSIGN_OR_RETURN(std::string change, change_of(reader, *frame));
    out << data_text(*frame, "n") << '\t' << data_text(*frame, "timestamp") << '\t' << *it << '\t' << change << '\n';
  }
  return Status();
}

}  // namespace

int run_log(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (parsed->positionals().size() != 1) return usage_error(io, kName, "expected one ADDRESS");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::string> address = resolve_address(session->durable(), parsed->positionals()[0], /*by_timeline=*/true);
  if (!address.ok()) return report_failure(io, kName, address.status());
  Status printed = print_history(session->durable(), *address, io.out);
  if (!printed.ok()) return report_failure(io, kName, printed);
  return kExitOk;
}

}  // namespace gibkit::tools
