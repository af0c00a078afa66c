#include "keystone_trust.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "gibkit/identity/identity_registry.h"
#include "gibkit/ibgib.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "keystone";

// A peer domain this node trusts or trusted, and why.
struct TrustedDomain {
  std::vector<std::string> config_files;  // sync.trust files naming it
  bool by_command = false;
};

// Every domain named by a sync.trust file of the deployment or trusted by
// command; unreadable files are reported on stderr and skipped.
Result<std::map<std::string, TrustedDomain>> trusted_domains(const NodeSession& session, CommandIo& io) {
  std::map<std::string, TrustedDomain> domains;
  const kernel::Deployment& deployment = session.deployment();
  if (auto sync = deployment.sections.find("sync"); sync != deployment.sections.end()) {
    if (const json::Value* files = sync->second.find("trust"); files != nullptr && files->is_array()) {
      for (const json::Value& file : files->as_array()) {
        if (!file.is_string()) continue;
        std::filesystem::path path(file.as_string());
        if (!path.is_absolute()) path = deployment.file.parent_path() / path;
        Result<std::string> text = read_text(path.string(), io);
        Result<IbGib> genesis = text.ok() ? IbGib::parse(*text) : Result<IbGib>(text.status());
        if (!genesis.ok()) {
          io.err << "gib " << kName << ": sync.trust " << path.string() << ": " << genesis.status().message() << '\n';
          continue;
        }
        domains[genesis->address()].config_files.push_back(path.string());
      }
    }
  }
  identity::IdentityRegistry registry(session.durable());
  GIBKIT_ASSIGN_OR_RETURN(std::vector<std::string> by_command, registry.trusted_by_operator());
  for (const std::string& tjp : by_command) domains[tjp].by_command = true;
  return domains;
}

// NAME as `untrust` takes it: a full address, else the one trusted domain
// whose ib equals it or whose gib starts with it.
Result<std::string> resolve_domain(const std::map<std::string, TrustedDomain>& domains, const std::string& name) {
  if (name.find('^') != std::string::npos) {
    GIBKIT_RETURN_IF_ERROR(Address::parse(name).status());
    return name;
  }
  std::vector<std::string> candidates;
  for (const auto& [tjp, domain] : domains) {
    Result<Address> address = Address::parse(tjp);
    if (!address.ok()) continue;
    const bool gib_prefix = name.size() >= 4 && address->gib().size() >= name.size() &&
                            std::equal(name.begin(), name.end(), address->gib().begin(),
                                       [](char a, char b) { return std::tolower(a) == std::tolower(b); });
    if (address->ib() == name || gib_prefix) candidates.push_back(tjp);
  }
  if (candidates.empty()) return not_found("no trusted domain is named '" + name + "' (see gib keystone trusted)");
  if (candidates.size() > 1) {
    std::string list;
    for (const std::string& tjp : candidates) list += "\n  " + tjp;
    return invalid_argument("'" + name + "' names " + std::to_string(candidates.size()) + " trusted domains:" + list);
  }
  return candidates.front();
}

}  // namespace

int keystone_trust(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) {
    return usage_error(io, kName, "trust expects one FILE ('-' for stdin), a peer's `gib keystone export`");
  }
  Result<std::string> text = read_text(args.positionals()[1], io);
  if (!text.ok()) return report_failure(io, kName, text.status(), kExitUsage);
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  identity::IdentityRegistry registry(session->durable());
  Result<std::string> tjp = registry.trust_by_operator(*text);
  if (!tjp.ok()) return report_failure(io, kName, tjp.status().with_context("cannot trust " + args.positionals()[1]));
  io.out << *tjp << '\n';
  return kExitOk;
}

int keystone_untrust(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 2) return usage_error(io, kName, "untrust expects one trusted domain (tjp, ib or gib prefix)");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::map<std::string, TrustedDomain>> domains = trusted_domains(*session, io);
  if (!domains.ok()) return report_failure(io, kName, domains.status(), kExitFailed);
  Result<std::string> tjp = resolve_domain(*domains, args.positionals()[1]);
  if (!tjp.ok()) return report_failure(io, kName, tjp.status());
  if (Result<std::optional<std::string>> own = session->durable().head("gibkit node domain");
      own.ok() && *own && **own == *tjp) {
    return report_failure(io, kName, invalid_argument("cannot untrust " + *tjp + ": it is this node's own domain"));
  }
  identity::IdentityRegistry registry(session->durable());
  if (Status untrusted = registry.untrust(*tjp); !untrusted.ok()) return report_failure(io, kName, untrusted);
  io.out << *tjp << '\n';
  return kExitOk;
}

int keystone_trusted(const Arguments& args, CommandIo& io) {
  if (args.positionals().size() != 1) return usage_error(io, kName, "trusted takes no arguments");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(args, io, kName, exit_code);
  if (!session) return exit_code;
  Result<std::map<std::string, TrustedDomain>> domains = trusted_domains(*session, io);
  if (!domains.ok()) return report_failure(io, kName, domains.status(), kExitFailed);
  identity::IdentityRegistry registry(session->durable());
  for (const auto& [tjp, domain] : *domains) {
    Result<bool> untrusted = registry.untrusted(tjp);
    if (!untrusted.ok()) return report_failure(io, kName, untrusted.status(), kExitFailed);
    Result<Address> address = Address::parse(tjp);
    std::string source;
    for (const std::string& file : domain.config_files) source += (source.empty() ? "config " : ",") + file;
    if (domain.by_command) source += source.empty() ? "command" : "+command";
    io.out << tjp << '\t' << (address.ok() ? address->ib() : std::string("-")) << '\t' << source << '\t'
           << (*untrusted ? "UNTRUSTED" : "trusted") << '\n';
  }
  return kExitOk;
}

}  // namespace gibkit::tools
