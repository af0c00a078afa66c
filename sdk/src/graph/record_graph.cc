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

Result<std::optional<RecordRelations>> RecordReader::load_with_relations(std::string_view address) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, load_text(address));
  if (!text) return std::optional<RecordRelations>();
  auto unreadable = [&](const Status& why) {
    return data_loss("stored record " + std::string(address) + " does not parse: " + why.message());
  };
  RecordRelations record;
  {
    // Only the rel8ns member is decoded: a dependency walk never needs the
    // data, often most of a record's bytes.
    Result<std::vector<json::RawMember>> members = json::split_object(*text);
    if (!members) return unreadable(members.status());
    // The last rel8ns member, as parsing the whole record would keep it.
    std::string_view rel8ns_text;
    for (const json::RawMember& member : *members) {
      if (member.key == "rel8ns") rel8ns_text = member.json_text;
    }
    if (!rel8ns_text.empty()) {
      Result<json::Value> rel8ns = json::parse(rel8ns_text);
      if (!rel8ns) return unreadable(rel8ns.status());
      if (rel8ns->is_object()) {  // null: relates nothing
        for (const auto& [name, list] : rel8ns->as_object()) {
          if (!list.is_array()) continue;
          for (const json::Value& related : list.as_array()) {
            if (related.is_string()) record.related.push_back(related.as_string());
          }
        }
      }
    }
  }
  record.json_text = std::move(*text);
  return std::optional<RecordRelations>(std::move(record));
}

Result<std::optional<std::vector<std::string>>> RecordReader::relations(std::string_view address) const {
  GIBKIT_ASSIGN_OR_RETURN(std::optional<RecordRelations> record, load_with_relations(address));
  if (!record) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(std::move(record->related));
}

bool is_primitive_address(std::string_view address) {
  const std::size_t caret = address.rfind('^');
  return caret != std::string_view::npos && address.substr(caret + 1) == kPrimitiveGib;
}

ClosureWalk::ClosureWalk(const RecordReader& reader, std::vector<std::string> roots, ClosureOptions options)
    : reader_(reader), roots_(std::move(roots)), options_(options) {}

Status ClosureWalk::enter(const std::string& address) {
  if (is_primitive_address(address) || seen_.count(address) != 0) return {};
  if (options_.stop != nullptr && options_.stop->count(address) != 0) return {};
  seen_.insert(address);
  GIBKIT_ASSIGN_OR_RETURN(std::optional<RecordRelations> record, reader_.load_with_relations(address));
  if (!record) return not_found("the dependency graph is incomplete: " + address + " is not held");
  Frame frame{address, std::string(), std::move(record->related), 0};
  if (texts_ && held_bytes_ + record->json_text.size() <= options_.held_text_bytes) {
    held_bytes_ += record->json_text.size();
    frame.json_text = std::move(record->json_text);
  }
  stack_.push_back(std::move(frame));
  return {};
}

Result<std::optional<StoredRecord>> ClosureWalk::next() {
  // Past an error the walk's state is half-way through a step (the failed
  // address is marked seen): going on would skip it.
  if (!failed_.ok()) return failed_;
  Result<std::optional<StoredRecord>> record = step();
  if (!record.ok()) failed_ = record.status();
  return record;
}

std::unordered_set<std::string> ClosureWalk::take_visited() {
  if (!failed_.ok() || next_root_ < roots_.size() || !stack_.empty()) return seen_;
  std::unordered_set<std::string> taken = std::move(seen_);
  seen_.clear();  // a moved-from set is valid but unspecified
  return taken;
}

Result<std::optional<StoredRecord>> ClosureWalk::step() {
  // Post-order: a record is given once everything it relates has been.
  while (true) {
    if (stack_.empty()) {
      if (next_root_ == roots_.size()) return std::optional<StoredRecord>();
      GIBKIT_RETURN_IF_ERROR(enter(roots_[next_root_++]));
      continue;
    }
    Frame& top = stack_.back();
    if (top.next_child < top.children.size()) {
      std::string child = top.children[top.next_child++];
      GIBKIT_RETURN_IF_ERROR(enter(child));
      continue;
    }
    StoredRecord record{std::move(top.address), std::move(top.json_text)};
    stack_.pop_back();
    held_bytes_ -= record.json_text.size();
    if (texts_ && record.json_text.empty()) {  // not kept (held_text_bytes): read again
      GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, reader_.load_text(record.address));
      if (!text) return data_loss("record " + record.address + " vanished during the dependency walk");
      record.json_text = std::move(*text);
    }
    ++given_;
    return std::optional<StoredRecord>(std::move(record));
  }
}

Result<std::vector<std::string>> dependency_closure(const RecordReader& reader,
                                                    const std::vector<std::string>& roots,
                                                    const ClosureOptions& options) {
  ClosureWalk walk(reader, roots, options);
  walk.texts_ = false;
  std::vector<std::string> order;
  while (true) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<StoredRecord> record, walk.next());
    if (!record) return order;
    order.push_back(std::move(record->address));
  }
}

}  // namespace gibkit
