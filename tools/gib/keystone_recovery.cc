#include "keystone_recovery.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/json.h"
#include "gibkit/kernel/plugin/loaded_plugin.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "keystone";

// The frames of identity `tjp` this registry holds, genesis first, walking
// back from its head by each frame's past (identity frames link only the
// frame before them).
Result<std::vector<std::string>> held_frames(Space& space, std::string_view tjp) {
  identity::IdentityRegistry registry(space);
  GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> head, registry.latest(tjp));
  if (!head) return not_found("no identity " + std::string(tjp) + " in this node's registry");
  std::vector<std::string> newest_first;
  std::optional<std::string> at = *head;
  while (at) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, space.get(*at));
    if (!text) return data_loss("identity " + std::string(tjp) + ": frame " + *at + " is not stored");
    GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(*text));
    newest_first.push_back(std::move(*text));
    const std::vector<std::string> past = frame.rel8d(kRel8nPast);
    if (frame.address() == tjp || past.empty()) break;
    at = past.back();
  }
  return std::vector<std::string>(newest_first.rbegin(), newest_first.rend());
}

struct FramesFile {
  std::string identity;
  std::vector<std::string> frames;
};

Result<FramesFile> parse_frames_file(std::string_view text) {
  GIBKIT_ASSIGN_OR_RETURN(json::Value value, json::parse(text));
  if (!value.is_object()) return invalid_argument("expected the object `gib keystone frames` writes");
  FramesFile file;
  GIBKIT_ASSIGN_OR_RETURN(file.identity, json::get_string(value.as_object(), "identity"));
  GIBKIT_ASSIGN_OR_RETURN(const json::Array* frames, json::get_array(value.as_object(), "frames"));
  for (const json::Value& frame : *frames) {
    if (!frame.is_string()) return invalid_argument("\"frames\" must hold each frame's JSON text as a string");
    file.frames.push_back(frame.as_string());
  }
  return file;
}

}  // namespace

int keystone_frames(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) return usage_error(io, kName, "frames expects one IDENTITY (its tjp address)");
  const std::string identity(args.positionals()[1]);
  if (Status address = Address::parse(identity).status(); !address.ok()) {
    return usage_error(io, kName, "IDENTITY must be an address: " + address.message());
  }
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::vector<std::string>> frames = held_frames(session->durable(), identity);
  if (!frames.ok()) return report_failure(io, kName, frames.status());
  json::Array texts;
  for (std::string& frame : *frames) texts.emplace_back(std::move(frame));
  io.out << json::stringify(json::Value(json::Object{{"identity", identity}, {"frames", std::move(texts)}})) << '\n';
  return kExitOk;
}

int keystone_recover(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) return usage_error(io, kName, "recover expects one FILE ('-' for stdin)");
  Result<std::string> text = read_text(args.positionals()[1], io);
  if (!text.ok()) return report_failure(io, kName, text.status(), kExitUsage);
  Result<FramesFile> file = parse_frames_file(*text);
  if (!file.ok()) return report_failure(io, kName, file.status().with_context(args.positionals()[1]), kExitUsage);
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::unique_ptr<saga::SyncNode>> sync = session->sync_node(saga::SyncNode::Setup::kOwnIdentity);
  if (!sync.ok()) return report_failure(io, kName, sync.status().with_context("cannot set up the node's sync"), kExitFailed);
  const std::string domain = (*sync)->domain_tjp();
  sync->reset();
  identity::IdentityRegistry registry(session->durable());
  if (file->identity != domain) {
    // A peer's identity this node trusts, which moved on while this node's
    // space was older: its frames are verified and stored as incoming ones
    // would be (a peer could have sent them in an Init or Ack), no more.
    Result<std::optional<std::string>> known = registry.latest(file->identity);
    if (!known.ok()) return report_failure(io, kName, known.status(), kExitFailed);
    if (!*known) {
      return report_failure(io, kName,
                            invalid_argument("the file holds frames of identity " + file->identity +
                                             ", which is neither this node's domain identity " + domain +
                                             " nor an identity it trusts"),
                            kExitInvalid);
    }
    Result<Signer*> verifier = session->identity_signer();
    if (!verifier.ok()) return report_failure(io, kName, verifier.status(), kExitUsage);
    Result<std::size_t> added = registry.recover_frames(**verifier, file->identity, file->frames, /*own=*/false);
    if (!added.ok()) {
      return report_failure(io, kName, added.status().with_context("recovering " + file->identity), kExitInvalid);
    }
    io.out << "identity " << file->identity << " (a peer's): " << *added << " frame(s) recovered, head "
           << registry.latest(file->identity)->value_or("") << '\n';
    return kExitOk;
  }
  Result<Signer*> signer = session->identity_signer();
  if (!signer.ok()) return report_failure(io, kName, signer.status(), kExitUsage);
  // Each frame is verified by the signer that declares its ib, as an
  // incoming frame would be; the node's own signer made the domain.
  Result<std::optional<std::string>> genesis_text = session->durable().get(domain);
  if (!genesis_text.ok() || !*genesis_text) {
    return report_failure(io, kName, data_loss("domain genesis " + domain + " is not stored"), kExitFailed);
  }
  Result<IbGib> genesis = IbGib::parse(**genesis_text);
  const std::vector<std::string>& declared = kernel::signer_frame_ibs(**signer);
  if (!genesis.ok() || (!declared.empty() && std::find(declared.begin(), declared.end(), genesis->ib) == declared.end())) {
    return report_failure(io, kName,
                          failed_precondition("the node's signer does not verify frames of ib '" +
                                              (genesis.ok() ? genesis->ib : std::string("?")) + "'"),
                          kExitFailed);
  }

  Result<std::optional<std::string>> before = registry.latest(domain);
  if (!before.ok() || !*before) return report_failure(io, kName, not_found("no domain head"), kExitFailed);
  Result<std::size_t> added = registry.recover_frames(**signer, domain, file->frames);
  if (!added.ok()) {
    return report_failure(io, kName, added.status().with_context("recovering domain " + domain), kExitInvalid);
  }
  Result<std::optional<std::string>> head = registry.latest(domain);
  if (!head.ok() || !*head) return report_failure(io, kName, not_found("no domain head"), kExitFailed);
  io.out << "domain " << domain << ": " << *added << " frame(s) recovered, head " << **head << '\n';

  // The proof that the node can sign again: one endorsement, of the head
  // just recovered, by the node's signer. It succeeds when the frame the
  // signer made last is the head, or the frame right after it (then the
  // signer hands that frame out first: signer_support/own_frames.h); a peer
  // that verifies it just follows one more frame. It fails, moving nothing,
  // in exactly the cases recovery cannot mend (docs/security.md).
  Result<std::string> probe =
      registry.sign(**signer, domain, Claim{std::string(identity::kVerbEndorse), **head});
  if (!probe.ok()) {
    if (probe.status().code() == StatusCode::kFailedPrecondition) {
      return report_failure(
          io, kName,
          failed_precondition(
              "the node's signer cannot evolve domain " + domain + " from head " + **head +
              ": the last frame it made is neither that head nor the frame right after it. Either its "
              "secrets_dir was restored from a backup older than the frames peers hold (it must never sign "
              "from them: it may already have used their one-time keys), or the frames it made after this "
              "head are held by no peer given here (recover again with the frames of a peer that holds "
              "them). If no peer holds them, this domain identity cannot sign again: give the node a new "
              "domain identity and have its peers trust it (docs/security.md, \"Recovering a restored "
              "node\"). Signer: " +
              probe.status().message()),
          kExitFailed);
    }
    return report_failure(io, kName, probe.status(), kExitFailed);
  }
  Result<IbGib> signed_frame = IbGib::parse(*probe);
  io.out << "the node's signer evolves it: frame " << json::number_to_string(signed_frame.ok() ? signed_frame->n().value_or(0) : 0)
         << ' ' << (signed_frame.ok() ? signed_frame->address() : std::string()) << '\n';
  return kExitOk;
}

}  // namespace gibkit::tools
