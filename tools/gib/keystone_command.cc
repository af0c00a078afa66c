// gib keystone: the node's identities.
//   create [--preset P]                new identity with the node's signer
//   show ADDRESS                       its frames, genesis to latest
//   export FILE                        the node's domain genesis, for a peer's sync.trust
//   duplicity IDENTITY [--keep-held]   the duplicity evidence of an identity; --keep-held
//                                      is the operator's decision to trust it again
//   frames IDENTITY                    the frames held of an identity (for a peer's recover)
//   recover FILE                       a restored node takes its domain's newer frames from
//                                      a peer's `frames` output (keystone_recovery.cc)
//   trust FILE / untrust NAME / trusted  the operator's trust in peer domains (keystone_trust.cc)
#include <filesystem>
#include <fstream>
#include <ostream>

#include "command.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/record_graph.h"
#include "gibkit/record_graph.h"
#include "keystone_recovery.h"
#include "keystone_trust.h"
#include "timeline_edit.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "keystone";

int create(const Arguments& args, CommandIo& io) {
  const std::string preset = args.value("--preset").value_or("domain");
  if (preset != "domain" && preset != "session" && preset != "domain-pools" && preset != "session-pools") {
    return usage_error(io, kName, "--preset must be domain, session, domain-pools or session-pools, not '" + preset + "'");
  }
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  Result<Signer*> signer = session->identity_signer();
  if (!signer.ok()) return report_failure(io, kName, signer.status(), kExitUsage);
  identity::IdentityRegistry registry(session->durable());
  Result<std::string> tjp = registry.create_identity(**signer, json::Object{{"preset", preset}});
  if (!tjp.ok()) return report_failure(io, kName, tjp.status(), kExitFailed);
  io.out << *tjp << '\n';
  return kExitOk;
}

const json::Value* member(const IbGib& frame, std::string_view key) {
  return frame.data ? frame.data->find(key) : nullptr;
}

std::string text_of(const json::Value* value) {
  if (value == nullptr) return "-";
  return value->is_string() ? value->as_string() : json::stringify(*value);
}

// One frame: its counter, time and address, then what it claims and the
// challenge pools it leaves for the next frame.
void print_frame(const IbGib& frame, std::ostream& out) {
  out << "frame " << text_of(member(frame, "n")) << "  " << text_of(member(frame, "timestamp")) << "  "
      << frame.address() << '\n';
  bool claimed = false;
  if (const json::Value* proofs = member(frame, "proofs"); proofs != nullptr && proofs->is_array()) {
    for (const json::Value& proof : proofs->as_array()) {
      const json::Value* claim = proof.find("claim");
      if (claim == nullptr) continue;
      out << "  claim: " << text_of(claim->find("verb")) << ' ' << text_of(claim->find("target")) << '\n';
      claimed = true;
    }
  }
  if (!claimed) out << "  claim: none\n";
  if (const json::Value* revocation = member(frame, "revocationInfo"); revocation != nullptr) {
    out << "  revoked: " << text_of(revocation->find("reason")) << '\n';
  }
  if (const json::Value* scheme = member(frame, "scheme"); scheme != nullptr) {
    out << "  scheme: " << text_of(scheme) << ", next key commitment " << text_of(member(frame, "next")) << '\n';
  }
  if (const json::Value* pools = member(frame, "challengePools"); pools != nullptr && pools->is_array()) {
    for (const json::Value& pool : pools->as_array()) {
      const json::Value* challenges = pool.find("challenges");
      const std::size_t size = challenges != nullptr && challenges->is_object() ? challenges->as_object().size() : 0;
      out << "  pool " << text_of(pool.find("id")) << ": " << size << " challenges\n";
    }
  }
}

int show(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) return usage_error(io, kName, "show expects one ADDRESS");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  Space& space = session->durable();
  const RecordReader reader({&space});
  auto print_all = [&]() -> Status {
    GIBKIT_ASSIGN_OR_RETURN(TimelineHead head, find_timeline_head(space, args.positionals()[1]));
    GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> frames, timeline_frames(reader, head.frame.address()));
    io.out << "identity " << head.tjp << " (" << frames.size() << " frames)\n";
    identity::IdentityRegistry registry(space);
    GIBKIT_ASSIGN_OR_RETURN(std::optional<identity::DuplicityEvidence> evidence, registry.duplicity(head.tjp));
    if (evidence) {
      io.out << "DUPLICITOUS: two frames at n " << json::number_to_string(evidence->position) << " ("
             << evidence->held_frame << ", " << evidence->other_frame << "); see gib keystone duplicity\n";
    }
    for (const std::string& address : frames) {
      GIBKIT_ASSIGN_OR_RETURN(std::optional<IbGib> frame, reader.load(address));
      if (!frame) return data_loss("identity frame " + address + " is not stored");
      print_frame(*frame, io.out);
    }
    return Status();
  };
  Status printed = print_all();
  return printed.ok() ? kExitOk : report_failure(io, kName, printed);
}

// Written next to FILE and renamed over it, so FILE is never half-written.
Status write_file_atomically(const std::filesystem::path& file, std::string_view text) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text << '\n';
    out.close();
    if (!out) return unavailable("cannot write " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, file, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return unavailable("cannot write " + file.string());
  }
  return Status();
}

int export_domain(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) return usage_error(io, kName, "export expects one FILE ('-' for stdout)");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  // Only the node's own identity: export must work before the peer's trust
  // file (named in sync.trust) exists.
  Result<std::unique_ptr<saga::SyncNode>> sync = session->sync_node(saga::SyncNode::Setup::kOwnIdentity);
  if (!sync.ok()) return report_failure(io, kName, sync.status().with_context("cannot set up the node's sync"), kExitFailed);
  const std::string& domain = (*sync)->domain_tjp();
  Result<std::optional<std::string>> genesis = session->durable().get(domain);
  if (!genesis.ok()) return report_failure(io, kName, genesis.status(), kExitFailed);
  if (!*genesis) return report_failure(io, kName, data_loss("domain genesis " + domain + " is not stored"), kExitFailed);
  const std::string& file = args.positionals()[1];
  if (file == "-") {
    io.out << **genesis << '\n';
    return kExitOk;
  }
  if (Status written = write_file_atomically(file, **genesis); !written.ok()) {
    return report_failure(io, kName, written, kExitFailed);
  }
  io.out << domain << '\n';
  return kExitOk;
}

}  // namespace

// An identity marked duplicitous (two valid frames at one position) is
// refused until the operator decides: --keep-held keeps following the
// branch this node had accepted; the other frame stays stored as evidence.
int duplicity(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) return usage_error(io, kName, "duplicity expects one IDENTITY (its tjp address)");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  identity::IdentityRegistry registry(session->durable());
  const std::string identity(args.positionals()[1]);
  if (Status address = Address::parse(identity).status(); !address.ok()) {
    return usage_error(io, kName, "IDENTITY must be an address: " + address.message());
  }
  Result<std::optional<std::string>> known = registry.latest(identity);
  if (!known.ok()) return report_failure(io, kName, known.status(), kExitFailed);
  if (!*known) return report_failure(io, kName, not_found("no identity " + identity + " in this node's registry"));
  Result<std::optional<identity::DuplicityEvidence>> evidence = registry.duplicity(identity);
  if (!evidence.ok()) return report_failure(io, kName, evidence.status(), kExitFailed);
  if (!*evidence) {
    io.out << "identity " << identity << ": no duplicity recorded\n";
    return kExitOk;
  }
  const identity::DuplicityEvidence& found = **evidence;
  io.out << "identity " << identity << ": DUPLICITOUS, refused\n"
         << "  two frames at n " << json::number_to_string(found.position) << ":\n"
         << "    held:  " << found.held_frame << '\n'
         << "    other: " << found.other_frame << '\n'
         << "  evidence " << found.evidence << '\n';
  if (!args.has("--keep-held")) return kExitOk;
  if (Status cleared = registry.clear_duplicity(identity); !cleared.ok()) {
    return report_failure(io, kName, cleared, kExitFailed);
  }
  io.out << "decision: keep following " << found.held_frame << "; the identity is accepted again\n";
  return kExitOk;
}

int run_keystone(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag, {"--preset", true}, {"--keep-held", false}});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  const std::string action = parsed->positionals().empty() ? "" : parsed->positionals()[0];
  if (parsed->has("--preset") && action != "create") return usage_error(io, kName, "--preset applies to create only");
  if (action == "create") {
    if (parsed->positionals().size() != 1) return usage_error(io, kName, "create takes no arguments");
    return create(*parsed, io);
  }
  if (action == "show") return show(*parsed, io);
  if (action == "export") return export_domain(*parsed, io);
  if (action == "duplicity") return duplicity(*parsed, io);
  if (action == "frames") return keystone_frames(*parsed, io);
  if (action == "recover") return keystone_recover(*parsed, io);
  if (action == "trust") return keystone_trust(*parsed, io);
  if (action == "untrust") return keystone_untrust(*parsed, io);
  if (action == "trusted") return keystone_trusted(*parsed, io);
  return usage_error(io, kName, action.empty() ? "missing action (create, show, export, duplicity, frames, recover, "
                                                 "trust, untrust or trusted)"
                                               : "unknown action '" + action + "'");
}

}  // namespace gibkit::tools
