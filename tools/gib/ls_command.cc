// gib ls: what a node holds, as `git branch -v` and `ipfs pin ls` show it:
// its timelines (n, last change, head, ib), its identities and its stones.
#include <map>
#include <ostream>
#include <vector>

#include "command.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/transforms.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "ls";

std::string data_text(const IbGib& frame, std::string_view key) {
  const json::Value* value = frame.data ? frame.data->find(key) : nullptr;
  if (value == nullptr) return "-";
  return value->is_string() ? value->as_string() : json::stringify(*value);
}

// Records that are the saga's or the registry's own, or transform dna:
// not what a user put in the node as a stone.
bool is_bookkeeping(const IbGib& record) {
  return record.ib.rfind("sync_context", 0) == 0 || record.ib == "identity_claim" ||
         record.ib == "identity_duplicity" || is_dna(record);
}

Status list(Space& space, std::ostream& out) {
  std::map<std::string, std::string> timelines;   // tjp -> head
  std::map<std::string, std::string> identities;  // tjp -> head
  GIBKIT_RETURN_IF_ERROR(space.for_each_head([&](std::string_view key, std::string_view head) {
    const std::string identity_prefix = identity::identity_head_key("");
    if (key.rfind(identity_prefix, 0) == 0) {
      identities.emplace(key.substr(identity_prefix.size()), head);
    } else if (!identity::is_protected_head_key(key) && Address::parse(key).ok()) {
      timelines.emplace(key, head);
    }
    return true;
  }));
  std::vector<std::string> stones;
  Status parsed = Status();
  GIBKIT_RETURN_IF_ERROR(space.for_each_record([&](std::string_view address, std::string_view text) {
    Result<IbGib> record = IbGib::parse(text);
    if (!record.ok()) {
      parsed = data_loss("stored record " + std::string(address) + " does not parse");
      return false;
    }
    if (!record->tjp_address() && !is_bookkeeping(*record)) stones.emplace_back(address);
    return true;
  }));
  GIBKIT_RETURN_IF_ERROR(parsed);

  auto frame_of = [&](const std::string& address) -> Result<IbGib> {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, space.get(address));
    if (!text) return data_loss("head " + address + " is indexed but not stored");
    return IbGib::parse(*text);
  };
  out << "timelines (" << timelines.size() << "): n, last change, head, ib\n";
  for (const auto& [tjp, head] : timelines) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib frame, frame_of(head));
    out << "  " << data_text(frame, "n") << '\t' << data_text(frame, "timestamp") << '\t' << head << '\t'
        << frame.ib << '\n';
  }
  identity::IdentityRegistry registry(space);
  out << "identities (" << identities.size() << "): n, head, identity\n";
  for (const auto& [tjp, head] : identities) {
    GIBKIT_ASSIGN_OR_RETURN(IbGib frame, frame_of(head));
    GIBKIT_ASSIGN_OR_RETURN(std::optional<identity::DuplicityEvidence> duplicity, registry.duplicity(tjp));
    out << "  " << data_text(frame, "n") << '\t' << head << '\t' << tjp << (duplicity ? "\tDUPLICITOUS" : "") << '\n';
  }
  out << "stones (" << stones.size() << ")\n";
  for (const std::string& stone : stones) out << "  " << stone << '\n';
  return Status();
}

}  // namespace

int run_ls(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (!parsed->positionals().empty()) return usage_error(io, kName, "ls takes no arguments");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Status listed = list(session->durable(), io.out);
  return listed.ok() ? kExitOk : report_failure(io, kName, listed, kExitFailed);
}

}  // namespace gibkit::tools
