// gib fsck: checks a node's store, as `git fsck` checks a repository.
// Reads only: it reports what is wrong and repairs nothing.
//   1. every stored record parses, is intrinsically valid and is stored
//      under its own address;
//   2. every head names a stored record, and a frame of its timeline when
//      the key names one (data timelines, ^identity, ^saga);
//   3. every address a stored record relates is stored (the durable space
//      must only ever hold complete graphs, record_graph.h);
//   4. every identity verifies from its genesis, frame by frame, with the
//      signer that declares its frames' ib; duplicity marks are warnings;
//   5. records left in the temporary (staging) spaces are warnings.
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "command.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/record_graph.h"
#include "gibkit/saga/saga_log.h"
#include "gibkit/record_graph.h"
#include "gibkit/validate.h"

namespace gibkit::tools {
namespace {

constexpr std::string_view kName = "fsck";
// Registry keys identity_registry.h does not export (kernel/identity/src/identity_registry.cc).
constexpr std::string_view kClaimPrefix = "^claim ";
constexpr std::string_view kDuplicityPrefix = "^duplicity ";

std::string_view after(std::string_view key, std::string_view prefix) {
  return key.starts_with(prefix) ? key.substr(prefix.size()) : std::string_view();
}

// {verb, target} as signers write claims into frames; nullopt if not exactly that.
std::optional<Claim> claim_in(const json::Value* claim) {
  if (claim == nullptr || !claim->is_object()) return std::nullopt;
  const json::Value* verb = claim->find("verb");
  const json::Value* target = claim->find("target");
  if (verb == nullptr || !verb->is_string() || target == nullptr || !target->is_string()) return std::nullopt;
  return Claim{verb->as_string(), target->as_string()};
}

class Fsck {
 public:
  Fsck(NodeSession& session, std::ostream& out)
      : session_(session), space_(session.durable()), reader_({&space_}), out_(out) {}

  Status run() {
    GIBKIT_RETURN_IF_ERROR(check_records());
    GIBKIT_RETURN_IF_ERROR(check_closures());
    GIBKIT_RETURN_IF_ERROR(check_heads());
    GIBKIT_RETURN_IF_ERROR(check_identities());
    GIBKIT_RETURN_IF_ERROR(check_staging());
    out_ << "fsck: " << records_ << " records, " << heads_.size() << " heads, " << identities_.size()
         << " identities checked; " << problems_ << " problems, " << warnings_ << " warnings\n";
    return Status();
  }

  [[nodiscard]] bool clean() const { return problems_ == 0; }

 private:
  void problem(std::string_view kind, const std::string& detail) {
    out_ << "problem: " << kind << ": " << detail << '\n';
    ++problems_;
  }
  void warning(std::string_view kind, const std::string& detail) {
    out_ << "warning: " << kind << ": " << detail << '\n';
    ++warnings_;
  }

  // 1. One pass over the records; what they relate is checked afterwards
  // (check_closures), since the visitor must not call back into the space.
  Status check_records() {
    return space_.for_each_record([&](std::string_view key, std::string_view text) {
      ++records_;
      Result<IbGib> record = IbGib::parse(text);
      if (!record.ok()) {
        problem("unparsable", "the record stored at " + std::string(key) + " does not parse: " +
                                  record.status().message());
        return true;
      }
      if (record->address() != key) {
        problem("misplaced", "record " + record->address() + " is stored under " + std::string(key));
      }
      if (Status valid = validate_intrinsically(*record); !valid.ok()) {
        problem("invalid", "record " + std::string(key) + ": " + valid.message());
      }
      if (!record->rel8ns) return true;
      for (const auto& [name, addresses] : *record->rel8ns) {
        for (const json::Value& address : addresses.as_array()) {
          if (address.is_string() && !is_primitive_address(address.as_string())) {
            related_.try_emplace(address.as_string(), std::string(key) + " (" + name + ")");
          }
        }
      }
      return true;
    });
  }

  // 3. Every related address is stored.
  Status check_closures() {
    for (const auto& [address, referrer] : related_) {
      GIBKIT_ASSIGN_OR_RETURN(bool stored, space_.has(address));
      if (!stored) problem("missing", address + ", related by " + referrer + ", is not stored");
    }
    return Status();
  }

  // Whether `head` (the head of `key`) is stored and parses, and, when
  // `timeline` is given, is a frame of it. Reports what is wrong.
  Result<bool> check_head(const std::string& key, const std::string& head, std::optional<std::string_view> timeline) {
    const std::string where = "'" + key + "' -> " + head;
    Result<std::optional<IbGib>> record = reader_.load(head);
    if (!record.ok()) {
      if (record.status().code() != StatusCode::kDataLoss) return record.status();
      return false;  // it does not parse: check_records reported it
    }
    if (!*record) {
      problem("head", where + ", which is not stored");
      return false;
    }
    if (!timeline) return true;
    const std::optional<std::string> tjp = (*record)->tjp_address();
    if (tjp != timeline) {
      problem("head", where + ", which is " + (tjp ? "a frame of " + *tjp : "no timeline frame") + ", not of " +
                          std::string(*timeline));
      return false;
    }
    return true;
  }

  // 2. Data timelines are keyed by their tjp; protected keys ('^') by what
  // they hold; any other key (the saga keeps the node's domain under one)
  // must only name a stored record.
  Status check_heads() {
    GIBKIT_RETURN_IF_ERROR(space_.for_each_head([&](std::string_view key, std::string_view head) {
      heads_.emplace_back(key, head);
      return true;
    }));
    const std::string identity_prefix = identity::identity_head_key("");
    const std::string saga_prefix = saga::saga_log_head_key("");
    for (const auto& [key, head] : heads_) {
      std::optional<std::string_view> timeline;
      if (!identity::is_protected_head_key(key)) {
        if (Address::parse(key).ok()) timeline = key;
      } else if (std::string_view tjp = after(key, identity_prefix); !tjp.empty()) {
        timeline = tjp;
      } else if (std::string_view log = after(key, saga_prefix); !log.empty()) {
        timeline = log;
      } else if (is_primitive_address(head)) {
        continue;  // a marker, not a record: a cleared duplicity names cleared^gib
      }
      GIBKIT_ASSIGN_OR_RETURN(bool sound, check_head(key, head, timeline));
      if (std::string_view tjp = after(key, identity_prefix); sound && !tjp.empty()) {
        identities_.emplace_back(tjp, head);
      }
      if (std::string_view tjp = after(key, kDuplicityPrefix); sound && !tjp.empty()) {
        GIBKIT_RETURN_IF_ERROR(report_duplicity(std::string(tjp)));
      }
    }
    return Status();
  }

  Status report_duplicity(const std::string& tjp) {
    Result<std::optional<identity::DuplicityEvidence>> evidence = identity::IdentityRegistry(space_).duplicity(tjp);
    if (!evidence.ok()) {
      problem("duplicity", "identity " + tjp + ": " + evidence.status().message());
    } else if (*evidence) {
      const identity::DuplicityEvidence& found = **evidence;
      warning("duplicity", "identity " + tjp + " signed two frames at n " + json::number_to_string(found.position) +
                               ": " + found.held_frame + " (held) and " + found.other_frame +
                               " (evidence " + found.evidence + "); see gib keystone duplicity");
    }
    return Status();
  }

  // The claim frame `address` was signed for: own frames have a ledger entry
  // (identity_registry.cc); other frames carry it, keystone frames in their
  // one proof, Ed25519 frames in data.claim. nullopt when neither says.
  Result<std::optional<Claim>> claim_of(const std::string& address, const IbGib& frame) {
    GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> entry, space_.head(std::string(kClaimPrefix) + address));
    if (entry) {
      // A ledger entry that is missing or unreadable is reported by the
      // head and record checks; here it only leaves the claim unknown.
      Result<std::optional<IbGib>> stone = reader_.load(*entry);
      if (!stone.ok() || !*stone || !(*stone)->data) return std::optional<Claim>();
      const json::Value& data = *(*stone)->data;
      const json::Value* frame_named = data.find("frame");
      if (frame_named == nullptr || !frame_named->is_string() || frame_named->as_string() != address) {
        return std::optional<Claim>();
      }
      return claim_in(&data);
    }
    if (!frame.data) return std::optional<Claim>();
    if (const json::Value* proofs = frame.data->find("proofs"); proofs != nullptr) {
      if (!proofs->is_array() || proofs->as_array().size() != 1) return std::optional<Claim>();
      return claim_in(proofs->as_array().front().find("claim"));
    }
    return claim_in(frame.data->find("claim"));
  }

  Signer* verifier_for(std::string_view ib) const {
    for (const kernel::SignerConfig& config : session_.deployment().signers) {
      Signer* signer = session_.node().signer(config.name);
      if (signer == nullptr) continue;
      for (const std::string& declared : kernel::signer_frame_ibs(*signer)) {
        if (declared == ib) return signer;
      }
    }
    return nullptr;
  }

  // 4. From genesis to head through each frame's immediate predecessor,
  // every frame verified against the one before it.
  Status check_identities() {
    for (const auto& [tjp, head] : identities_) {
      Result<std::vector<std::string>> frames = timeline_frames(reader_, head);
      if (!frames.ok()) {
        problem("identity", tjp + ": " + frames.status().message());
        continue;
      }
      for (std::size_t i = 1; i < frames->size(); ++i) {
        const std::string& prev = (*frames)[i - 1];
        const std::string& next = (*frames)[i];
        GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> prev_text, reader_.load_text(prev));
        GIBKIT_ASSIGN_OR_RETURN(std::optional<std::string> next_text, reader_.load_text(next));
        if (!prev_text || !next_text) return data_loss("identity frame " + prev + " or " + next + " vanished");
        GIBKIT_ASSIGN_OR_RETURN(IbGib frame, IbGib::parse(*next_text));
        Signer* verifier = verifier_for(frame.ib);
        if (verifier == nullptr) {
          problem("identity", tjp + ": no signer of this node verifies frames with ib '" + frame.ib + "'");
          break;
        }
        GIBKIT_ASSIGN_OR_RETURN(std::optional<Claim> claim, claim_of(next, frame));
        if (!claim) {
          problem("identity", tjp + ": the claim of frame " + next + " cannot be determined: neither the " +
                                  "node's ledger nor the frame gives one {verb, target}");
          continue;
        }
        if (Status verified = verifier->verify(*prev_text, *next_text, *claim); !verified.ok()) {
          problem("identity", tjp + ": frame " + next + " does not verify from " + prev + ": " + verified.message());
        }
      }
    }
    return Status();
  }

  // 5. A saga stages payloads until Commit. With the store opened by fsck
  // itself gibd is not running (LevelDB is locked), so what is left there
  // was left by an interrupted saga. Run inside gibd (its local API, the
  // session borrowed) a saga may be in flight: the warning says so. Harmless
  // either way: a warning.
  Status check_staging() {
    for (const kernel::SpaceConfig& config : session_.deployment().spaces) {
      if (config.role != kernel::SpaceRole::kTemporary) continue;
      Space* staging = session_.node().space(config.name);
      if (staging == nullptr) continue;
      GIBKIT_RETURN_IF_ERROR(staging->for_each_record([&](std::string_view address, std::string_view) {
        warning("staging", "temporary space '" + config.name + "' holds " + std::string(address) +
                               (session_.borrowed() ? ", staged by a saga in flight in gibd or left by an interrupted one"
                                                    : ", left by an interrupted saga"));
        return true;
      }));
    }
    return Status();
  }

  NodeSession& session_;
  Space& space_;
  const RecordReader reader_;
  std::ostream& out_;
  std::size_t records_ = 0;
  std::size_t problems_ = 0;
  std::size_t warnings_ = 0;
  std::map<std::string, std::string> related_;  // related address -> "referrer (rel8n)", sorted for stable output
  std::vector<std::pair<std::string, std::string>> heads_;       // key, head
  std::vector<std::pair<std::string, std::string>> identities_;  // tjp, head
};

}  // namespace

int run_fsck(std::span<const std::string_view> args, CommandIo& io) {
  Result<Arguments> parsed = Arguments::parse(args, {kConfigFlag});
  if (!parsed.ok()) return usage_error(io, kName, parsed.status().message());
  if (!parsed->positionals().empty()) return usage_error(io, kName, "takes no arguments");
  int exit_code = kExitOk;
  std::unique_ptr<NodeSession> session = open_node(*parsed, io, kName, exit_code);
  if (!session) return exit_code;
  Fsck fsck(*session, io.out);
  if (Status checked = fsck.run(); !checked.ok()) return report_failure(io, kName, checked, kExitFailed);
  return fsck.clean() ? kExitOk : kExitInvalid;
}

}  // namespace gibkit::tools
