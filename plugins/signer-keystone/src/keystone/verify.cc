#include "keystone/verify.h"

#include <algorithm>
#include <set>

#include "keystone/challenge_pool.h"
#include "keystone/hash_reveal.h"
#include "keystone/keystone_frame.h"
#include "keystone/requirements.h"
#include "signer_support/timeline.h"

namespace gibkit::keystone {

namespace {

using signer_support::denied;

// Replays the fresh challenges found in the next frame's pool, in order, so
// that the signer's replenish code can rebuild what next should look like.
class ReplaySource final : public ChallengeSource {
 public:
  explicit ReplaySource(std::vector<Challenge> fresh) : fresh_(std::move(fresh)) {}
  Result<Challenge> next() override {
    if (position_ == fresh_.size()) return denied("pools", "next frame lacks fresh challenges for the replenish rule");
    return fresh_[position_++];
  }
  [[nodiscard]] bool drained() const { return position_ == fresh_.size(); }

 private:
  std::vector<Challenge> fresh_;
  std::size_t position_ = 0;
};

// The proof reveals exactly what the policy demands of the pool that signs the verb.
Status check_policy(const ChallengePool& pool, const Proof& proof) {
  std::set<std::string> revealed;
  for (const Solution& s : proof.solutions) {
    if (s.pool_id != pool.id()) return denied("policy", "solution from pool \"" + s.pool_id + "\" instead of \"" + pool.id() + "\"");
    if (!revealed.insert(s.challenge_id).second) return denied("policy", "challenge " + s.challenge_id + " revealed twice");
  }
  Result<Requirements> req = select_requirements(pool, proof.required_challenge_ids, proof.claim.target);
  if (!req.ok()) return denied("policy", req.status().message());
  for (const std::string& id : req->mandatory) {
    if (!revealed.erase(id)) return denied("policy", "required challenge " + id + " is not revealed");
  }
  if (revealed.size() != static_cast<std::size_t>(pool.config().behavior.select_randomly)) {
    return denied("policy", "expected " + std::to_string(pool.config().behavior.select_randomly) +
                                " random picks, found " + std::to_string(revealed.size()));
  }
  for (const std::string& id : revealed) {
    if (std::find(req->available.begin(), req->available.end(), id) == req->available.end()) {
      return denied("policy", "challenge " + id + " may not be picked");
    }
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

Status check_pools(const KeystoneFrame& prev, const KeystoneFrame& next, const ChallengePool& used,
                   const Proof& proof) {
  if (prev.pools.size() != next.pools.size()) return denied("pools", "the number of pools changed");
  for (std::size_t i = 0; i < prev.pools.size(); ++i) {
    const ChallengePool& before = prev.pools[i];
    const ChallengePool& after = next.pools[i];
    if (before.id() != after.id()) return denied("pools", "pool order or ids changed");
    if (json::stringify(before.config().to_json()) != json::stringify(after.config().to_json())) {
      return denied("pools", "pool \"" + before.id() + "\" changed its config");
    }
    ChallengePool expected = before;
    if (before.id() == used.id()) {
      std::set<std::string> revealed;
      for (const Solution& s : proof.solutions) revealed.insert(s.challenge_id);
      std::vector<std::string> consumed;
      const std::vector<std::string> before_ids = before.challenge_ids();
      for (const std::string& id : before_ids) {
        if (revealed.contains(id)) consumed.push_back(id);
      }
      const std::set<std::string> old_ids(before_ids.begin(), before_ids.end());
      std::vector<Challenge> fresh;
      for (const std::string& id : after.challenge_ids()) {
        if (!old_ids.contains(id)) fresh.push_back({id, *after.challenge_hash(id)});
      }
      ReplaySource source(std::move(fresh));
      Status replayed = expected.consume(consumed, source);
      if (!replayed.ok()) return denied("pools", replayed.message());
      if (!source.drained()) return denied("pools", "pool \"" + before.id() + "\" gained more challenges than its rule adds");
    }
    if (json::stringify(expected.to_json()) != json::stringify(next.pools_json[i])) {
      return denied("pools", "pool \"" + before.id() + "\" does not follow its " +
                                 std::string(replenish_name(before.config().behavior.replenish)) + " rule");
    }
  }
  return {};
}

}  // namespace

Status verify_evolution(const IbGib& prev_record, const IbGib& next_record, const Claim& expected) {
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
  Result<KeystoneFrame> next_frame = KeystoneFrame::parse(next_record);
  if (!next_frame.ok()) {
    // Pool structure defects are pool tampering; the rest is a malformed proof.
    const bool pool_defect = next_frame.status().message().find("pool") != std::string::npos;
    return denied(pool_defect ? "pools" : "policy", next_frame.status().message());
  }
  const KeystoneFrame& next = *next_frame;
  if (next.n != prev.n + 1) return denied("counter", "next.n must be prev.n + 1");
  GIBKIT_RETURN_IF_ERROR(signer_support::check_timeline_links(prev.record, next.record));

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
    const json::Value* info_proof = next.revocation_info->find("proof");
    const json::Value& frame_proof = next.record.data->find("proofs")->as_array().front();
    if (info_proof == nullptr || json::stringify(*info_proof) != json::stringify(frame_proof)) {
      return denied("revoked", "revocationInfo.proof differs from the frame's proof");
    }
  }

  GIBKIT_RETURN_IF_ERROR(check_policy(*pool, proof));
  GIBKIT_RETURN_IF_ERROR(check_crypto(*pool, proof));
  return check_pools(prev, next, *pool, proof);
}

}  // namespace gibkit::keystone
