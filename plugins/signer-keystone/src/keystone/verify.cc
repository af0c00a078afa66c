#include "keystone/verify.h"

#include <unordered_set>

#include "keystone/challenge_pool.h"
#include "keystone/hash_reveal.h"
#include "keystone/keystone_frame.h"
#include "keystone/requirements.h"
#include "keystone/wots_identity.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

using signer_support::denied;

// The proof reveals exactly what the policy demands of the pool that signs
// the verb, for the binding characters of this claim and next frame.
Status check_policy(const ChallengePool& pool, const Proof& proof, std::string_view chars) {
  std::unordered_set<std::string_view> revealed;
  for (const Solution& s : proof.solutions) {
    if (s.pool_id != pool.id()) return denied("policy", "solution from pool \"" + s.pool_id + "\" instead of \"" + pool.id() + "\"");
    if (!revealed.insert(s.challenge_id).second) return denied("policy", "challenge " + s.challenge_id + " revealed twice");
  }
  Result<Requirements> req = select_requirements(pool, proof.required_challenge_ids, chars);
  if (!req.ok()) return denied("policy", req.status().message());
  const bool positional = pool.config().behavior.binding_mode == BindingMode::kPositional;
  const auto slots = pool.slot_bound_ids();
  for (const std::string& id : req->mandatory) {
    if (revealed.erase(id)) continue;
    if (positional && slots.contains(id)) {
      return denied("policy", "binding: the revealed slot challenges do not match the binding digest of this claim "
                              "and of the challenges the next frame adds (slot challenge " + id + " not revealed)");
    }
    return denied("policy", "required challenge " + id + " is not revealed");
  }
  if (revealed.size() != static_cast<std::size_t>(pool.config().behavior.select_randomly)) {
    return denied("policy", "expected " + std::to_string(pool.config().behavior.select_randomly) +
                                " random picks, found " + std::to_string(revealed.size()));
  }
  const std::unordered_set<std::string_view> available(req->available.begin(), req->available.end());
  for (std::string_view id : revealed) {
    if (!available.contains(id)) return denied("policy", "challenge " + std::string(id) + " may not be picked");
  }
  return {};
}

Status check_crypto(const ChallengePool& pool, const Proof& proof) {
  const PoolConfig& c = pool.config();
  for (const Solution& s : proof.solutions) {
    const std::string* hash = pool.challenge_hash(s.challenge_id);
    if (hash == nullptr || derive_challenge_hash(c.algo, c.rounds, s.value, s.challenge_id) != *hash) {
      return denied("crypto", "solution for challenge " + s.challenge_id + " does not match");
    }
  }
  return {};
}

// next's pools are prev's with the revealed challenges of `used` consumed and
// replenished by its rule from the fresh challenges next holds; the other
// pools are unchanged. Compared with next's pools *as received*, so the JSON
// carries nothing that the rule did not put there. Returns, per pool of next,
// the challenges it adds (what the positional binding covers).
Result<std::vector<std::vector<Challenge>>> check_pools(const KeystoneFrame& prev, const KeystoneFrame& next,
                                                        const IbGib& next_record, const ChallengePool& used,
                                                        const Proof& proof) {
  if (prev.pools.size() != next.pools.size()) return denied("pools", "the number of pools changed");
  std::vector<std::vector<Challenge>> added(next.pools.size());
  for (std::size_t i = 0; i < prev.pools.size(); ++i) {
    const ChallengePool& before = prev.pools[i];
    const ChallengePool& after = next.pools[i];
    if (before.id() != after.id()) return denied("pools", "pool order or ids changed");
    if (!(before.config().to_json() == after.config().to_json())) {
      return denied("pools", "pool \"" + before.id() + "\" changed its config");
    }
    const json::Value& received = pool_json(next_record, i);
    bool follows_rule = false;
    if (&before == &used) {
      std::unordered_set<std::string_view> revealed;
      for (const Solution& s : proof.solutions) revealed.insert(s.challenge_id);
      std::vector<std::string> consumed;
      for (const Challenge& c : before.challenges()) {
        if (revealed.contains(c.id)) consumed.push_back(c.id);
      }
      added[i] = before.fresh_in(after);
      ChallengePool expected = before;
      ListSource source(added[i]);
      Status replayed = expected.consume(consumed, source);
      if (!replayed.ok()) return denied("pools", replayed.message());
      if (!source.drained()) return denied("pools", "pool \"" + before.id() + "\" gained more challenges than its rule adds");
      follows_rule = expected.matches_json(received);
    } else {
      follows_rule = before.matches_json(received);
    }
    if (!follows_rule) {
      return denied("pools", "pool \"" + before.id() + "\" does not follow its " +
                                 std::string(replenish_name(before.config().behavior.replenish)) + " rule");
    }
  }
  return added;
}

}  // namespace

namespace {

Status verify_pools_evolution(const IbGib& prev_record, const IbGib& next_record, const Claim& expected) {
  Result<KeystoneFrame> prev_frame = KeystoneFrame::parse(prev_record);
  if (!prev_frame.ok()) return prev_frame.status().with_context("keystone verify: prev");
  GIBKIT_RETURN_IF_ERROR(signer_support::check_gib(prev_record, "prev"));
  GIBKIT_RETURN_IF_ERROR(signer_support::check_gib(next_record, "next"));
  const KeystoneFrame& prev = *prev_frame;
  if (prev.revoked()) return denied("revoked", "prev frame is revoked; it signs nothing");

  if (next_record.ib != kKeystoneIb) return denied("link", "next frame is not a keystone");
  if (next_record.data && next_record.data->is_object()) {
    Result<double> n = json::get_number(next_record.data->as_object(), "n");
    if (n.ok() && *n != static_cast<double>(prev.n + 1)) {
      return denied("counter", "next.n is " + json::number_to_string(*n) + ", expected " + std::to_string(prev.n + 1));
    }
  }
  // The scheme is fixed at genesis, like the uuid: a frame of another scheme
  // does not continue this timeline.
  if (const json::Value* scheme = next_record.data ? next_record.data->find("scheme") : nullptr) {
    return denied("link", "next frame is of keystone scheme " + json::stringify(*scheme) +
                              ", prev of hash-reveal challenge pools");
  }
  Result<KeystoneFrame> next_frame = KeystoneFrame::parse(next_record);
  if (!next_frame.ok()) {
    // Pool structure defects are pool tampering; revocationInfo defects are
    // the revocation's; the rest is a malformed proof.
    const std::string message = next_frame.status().message();
    const char* category = message.find("pool") != std::string::npos          ? "pools"
                           : message.find("revocationInfo") != std::string::npos ? "revoked"
                                                                                 : "policy";
    return denied(category, message);
  }
  const KeystoneFrame& next = *next_frame;
  if (next.n != prev.n + 1) return denied("counter", "next.n must be prev.n + 1");
  GIBKIT_RETURN_IF_ERROR(signer_support::check_timeline_links(prev_record, next_record));

  if (next.proofs.size() != 1) return denied("policy", "a keystone frame carries exactly one proof");
  const Proof& proof = next.proofs.front();
  if (proof.claim.target != expected.target) return denied("target", "claim target is not the expected one");
  if (proof.claim.verb != expected.verb) return denied("verb", "claim verb is not the expected one");
  if (proof.solutions.empty()) return denied("policy", "proof reveals no solution");
  const ChallengePool* pool = pool_for_verb(prev.pools, proof.claim.verb);
  if (pool == nullptr) return denied("verb", "no pool of this keystone allows verb \"" + proof.claim.verb + "\"");

  const bool is_revoke = proof.claim.verb == kRevokeVerb;
  if (is_revoke != next.revoked()) return denied("revoked", "the revoke verb and revocationInfo must come together");
  if (is_revoke) {
    if (proof.claim.target != prev.address) return denied("target", "a revocation must target the revoked frame");
    if (!(*next.revocation_proof == first_proof_json(next_record))) {
      return denied("revoked", "revocationInfo.proof differs from the frame's proof");
    }
  }

  // The pools first: the positional binding digest is computed from the
  // challenges they add, which only means something once they follow the rule.
  GIBKIT_ASSIGN_OR_RETURN(const std::vector<std::vector<Challenge>> added,
                          check_pools(prev, next, next_record, *pool, proof));
  std::string commitment;
  if (pool->config().behavior.binding_mode == BindingMode::kPositional) {
    std::vector<PoolFresh> fresh;
    for (std::size_t i = 0; i < next.pools.size(); ++i) fresh.push_back({next.pools[i].id(), &added[i]});
    commitment = pools_commitment(fresh);
  }
  const BindingInput binding{.prev_address = prev.address,
                             .verb = proof.claim.verb,
                             .target = proof.claim.target,
                             .revocation_reason = next.revocation_reason ? &*next.revocation_reason : nullptr,
                             .pools_commitment = commitment};
  GIBKIT_RETURN_IF_ERROR(check_policy(*pool, proof, binding_chars(pool->config(), binding)));
  return check_crypto(*pool, proof);
}

}  // namespace

Status verify_evolution(const IbGib& prev, const IbGib& next, const Claim& expected) {
  // prev is the verifier's own frame: its scheme decides how next is checked.
  Result<KeystoneScheme> scheme = keystone_scheme(prev);
  if (!scheme.ok()) return scheme.status().with_context("keystone verify: prev");
  return *scheme == KeystoneScheme::kWots ? verify_wots_evolution(prev, next, expected)
                                          : verify_pools_evolution(prev, next, expected);
}

}  // namespace gibkit::keystone
