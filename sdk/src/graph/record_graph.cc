#include "gibkit/record_graph.h"

#include <utility>

#include "gibkit/json.h"

namespace gibkit {

Result<std::optional<std::string>> RecordReader::load_text(std::string_view address) const {
  for (Space* space : spaces_) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, space->get(address));
    if (text) return text;
  }
  return std::optional<std::string>();
}

Result<std::optional<IbGib>> RecordReader::load(std::string_view address) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, load_text(address));
  if (!text) return std::optional<IbGib>();
  Result<IbGib> record = IbGib::parse(*text);
  if (!record) {
    return data_loss("stored record " + std::string(address) + " does not parse: " +
                     record.status().message());
  }
  return std::optional<IbGib>(std::move(*record));
}

Result<bool> RecordReader::has(std::string_view address) const {
  for (Space* space : spaces_) {
    GIBKIT_ASSIGN_OR_RETURN(bool held, space->has(address));
    if (held) return true;
  }
  return false;
}

Result<std::optional<std::vector<std::string>>> RecordReader::relations(std::string_view address) const {
  using Relations = std::optional<std::vector<std::string>>;
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, load_text(address));
  if (!text) return Relations();
  auto unreadable = [&](const Status& why) {
    return data_loss("stored record " + std::string(address) + " does not parse: " + why.message());
  };
  Result<std::vector<json::RawMember>> members = json::split_object(*text);
  if (!members) return unreadable(members.status());
  // The last rel8ns member, as parsing the whole record would keep it.
  std::string_view rel8ns_text;
  for (const json::RawMember& member : *members) {
    if (member.key == "rel8ns") rel8ns_text = member.json_text;
  }
  std::vector<std::string> addresses;
  if (rel8ns_text.empty()) return Relations(std::move(addresses));
  Result<json::Value> rel8ns = json::parse(rel8ns_text);
  if (!rel8ns) return unreadable(rel8ns.status());
  if (!rel8ns->is_object()) return Relations(std::move(addresses));  // null: relates nothing
  for (const auto& [name, list] : rel8ns->as_object()) {
    if (!list.is_array()) continue;
    for (const json::Value& related : list.as_array()) {
      if (related.is_string()) addresses.push_back(related.as_string());
    }
  }
  return Relations(std::move(addresses));
}

bool is_primitive_address(std::string_view address) {
  const std::size_t caret = address.rfind('^');
  return caret != std::string_view::npos && address.substr(caret + 1) == kPrimitiveGib;
}

Result<std::vector<std::string>> dependency_closure(const RecordReader& reader,
                                                    const std::vector<std::string>& roots,
                                                    const ClosureOptions& options) {
  // Iterative post-order DFS: timelines are long linked lists through `past`,
  // so recursion could exhaust the stack.
  struct Frame {
    std::string address;
    std::vector<std::string> children;
    std::size_t next_child = 0;
  };
  std::vector<std::string> order;
  std::unordered_set<std::string> seen;
  std::vector<Frame> stack;

  auto enter = [&](const std::string& address) -> Status {
    if (is_primitive_address(address) || seen.count(address) != 0) return {};
    if (options.stop != nullptr && options.stop->count(address) != 0) return {};
    seen.insert(address);
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> related, reader.relations(address));
    if (!related) return not_found("the dependency graph is incomplete: " + address + " is not held");
    stack.push_back(Frame{address, std::move(*related), 0});
    return {};
  };

  for (const std::string& root : roots) {
    GIBKIT_RETURN_IF_ERROR(enter(root));
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next_child < top.children.size()) {
        std::string child = top.children[top.next_child++];
        GIBKIT_RETURN_IF_ERROR(enter(child));
        continue;
      }
      order.push_back(std::move(top.address));
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace gibkit
