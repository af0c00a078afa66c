// The identity registry with the real signers, across the two ways a node's
// own identity used to get locked (issue #10):
//  * the kill -9 window: the signer recorded frame n+1 (beside its secret)
//    but the process died before the registry stored it;
//  * a restore from backup: the node's space went back to an older frame
//    while its secrets (and the signer's record) did not; peers hold the
//    frames in between (`gib keystone recover`).
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ed25519_identity/ed25519_signer.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/ibgib.h"
#include "gibkit/space.h"
#include "keystone/keystone_signer.h"
#include "signer_support/secret_store.h"
#include "signer_testing.h"

namespace gibkit::identity {
namespace {

using signer_testing::parse;
using signer_testing::target;
using signer_testing::TempDir;
using signer_testing::TestEnvironment;

// A durable space in memory, copyable: a copy is a backup.
class MemorySpace final : public Space {
 public:
  MemorySpace() = default;
  MemorySpace(const MemorySpace& other) : records_(other.records_), heads_(other.heads_) {}
  MemorySpace& operator=(const MemorySpace& other) {
    records_ = other.records_;
    heads_ = other.heads_;
    return *this;
  }

  Status write(const WriteBatch& batch) override {
    ++writes;
    GIBKIT_RETURN_IF_ERROR(check_write_batch(batch));
    for (const HeadUpdate& h : batch.heads) {
      if (!h.expected_head) continue;
      const auto it = heads_.find(h.timeline);
      const std::string current = it == heads_.end() ? "" : it->second;
      if (current != *h.expected_head) return aborted("head of " + h.timeline + " moved");
    }
    for (const StoredRecord& r : batch.puts) records_[r.address] = r.json_text;
    for (const HeadUpdate& h : batch.heads) heads_[h.timeline] = h.head;
    return {};
  }
  Result<std::optional<std::string>> get(std::string_view address) override {
    const auto it = records_.find(std::string(address));
    if (it == records_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<bool> has(std::string_view address) override { return records_.contains(std::string(address)); }
  Result<std::optional<std::string>> head(std::string_view timeline) override {
    const auto it = heads_.find(std::string(timeline));
    if (it == heads_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    for (const auto& [address, text] : records_) {
      if (!visit(address, text)) break;
    }
    return {};
  }
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    for (const auto& [timeline, head] : heads_) {
      if (!visit(timeline, head)) break;
    }
    return {};
  }

  int writes = 0;  // write() calls, failed ones included

 private:
  std::map<std::string, std::string> records_;
  std::map<std::string, std::string> heads_;
};

// Which signer, and the identity options of a domain identity.
struct SignerKind {
  std::string name;
  std::string preset;
};

std::ostream& operator<<(std::ostream& out, const SignerKind& kind) { return out << kind.name << "/" << kind.preset; }

class IdentityRecoveryTest : public ::testing::TestWithParam<SignerKind> {
 protected:
  // A signer over the secrets directory: a new one is a restarted process.
  std::unique_ptr<Signer> open_signer() {
    auto store = signer_support::SecretStore::open_directory(secrets_.path());
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    if (GetParam().name == "keystone") {
      return std::make_unique<keystone::KeystoneSigner>(std::move(*store), env_.env());
    }
    return std::make_unique<ed25519_identity::Ed25519Signer>(std::move(*store), env_.env());
  }

  std::string frame_json(Space& space, const std::string& address) {
    auto text = space.get(address);
    EXPECT_TRUE(text.ok() && *text) << address;
    return text.ok() && *text ? **text : std::string();
  }

  std::string head_json(IdentityRegistry& registry, Space& space) {
    auto head = registry.latest(tjp_);
    EXPECT_TRUE(head.ok() && *head);
    return frame_json(space, **head);
  }

  // The node's domain identity, and a peer that trusts it and has accepted
  // its first endorsement.
  void SetUp() override {
    signer_ = open_signer();
    auto tjp = node_.create_identity(*signer_, json::Object{{"preset", GetParam().preset}});
    ASSERT_TRUE(tjp.ok()) << tjp.status().to_string();
    tjp_ = *tjp;
    ASSERT_TRUE(peer_.trust(frame_json(node_space_, tjp_)).ok());
    endorse(1);
  }

  Claim endorsement(int i) { return Claim{"endorse", target(i)}; }

  // The node signs endorsement i; the peer accepts it.
  std::string endorse(int i) {
    auto frame = node_.sign(*signer_, tjp_, endorsement(i));
    EXPECT_TRUE(frame.ok()) << frame.status().to_string();
    if (!frame.ok()) return {};
    Status accepted = peer_.accept(*signer_, tjp_, *frame, endorsement(i));
    EXPECT_TRUE(accepted.ok()) << accepted.to_string();
    return *frame;
  }

  TempDir secrets_{"gibkit-identity"};
  TestEnvironment env_;
  std::unique_ptr<Signer> signer_;
  MemorySpace node_space_;
  IdentityRegistry node_{node_space_};
  MemorySpace peer_space_;
  IdentityRegistry peer_{peer_space_};
  std::string tjp_;
};

// kill -9 between the signer's record of frame n+1 and the registry's store
// of it. Before issue #10 the restarted node's next signature failed ("not
// the latest frame this signer made") and the domain identity was locked for
// good; now the signer hands out the n+1 it made -- the same bytes, its
// one-time key not used twice -- then n+2, and the registry verifies and
// stores both.
TEST_P(IdentityRecoveryTest, AFrameLostInTheKillWindowIsAdoptedNotRemade) {
  const std::string before = head_json(node_, node_space_);
  // The crash: the signer made and recorded frame 2; nothing stored it.
  auto lost = signer_->sign(before, endorsement(2));
  ASSERT_TRUE(lost.ok()) << lost.status().to_string();
  const std::string lost_frame = lost->records_json.back();
  signer_ = open_signer();  // the restart

  auto next = node_.sign(*signer_, tjp_, endorsement(3));
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*parse(*next).n(), 3);
  EXPECT_EQ(*node_.latest(tjp_), std::optional<std::string>(parse(*next).address()));
  EXPECT_EQ(frame_json(node_space_, parse(lost_frame).address()), lost_frame);

  // A peer that never saw frame 2 is sent it as an earlier endorsement (the
  // claim ledger has it) and follows, as in an Init.
  auto steps = node_.endorsements_before(tjp_, parse(*next).address(), parse(before).address(), 16);
  ASSERT_TRUE(steps.ok()) << steps.status().to_string();
  ASSERT_EQ(steps->size(), 1u);
  EXPECT_EQ((*steps)[0].frame_json, lost_frame);
  EXPECT_EQ((*steps)[0].endorsed_address, target(2));
  Status followed = peer_.accept(*signer_, tjp_, (*steps)[0].frame_json, endorsement(2));
  ASSERT_TRUE(followed.ok()) << followed.to_string();
  followed = peer_.accept(*signer_, tjp_, *next, endorsement(3));
  ASSERT_TRUE(followed.ok()) << followed.to_string();
  // And it goes on.
  EXPECT_FALSE(endorse(4).empty());
}

// A turn's context and saga log entry travel with the frame that signs
// (sign) or authenticates (accept) it: one durable write, all or nothing. A
// compare-and-swap among them that fails stores nothing, frame included, and
// the frame the signer made meanwhile is adopted by the next signature.
TEST_P(IdentityRecoveryTest, WhatAFrameCarriesIsStoredInItsBatchOrNotAtAll) {
  const auto carried = [](const std::string& address, std::optional<std::string> expected_log_head) {
    WriteBatch also;
    also.puts.push_back(StoredRecord{address, R"({"ib":")" + address.substr(0, address.find('^')) + R"(","gib":"gib"})"});
    also.heads.push_back(HeadUpdate{"^log", address, std::move(expected_log_head)});
    return also;
  };
  int writes = node_space_.writes;
  auto signed_frame = node_.sign(*signer_, tjp_, endorsement(2), carried("context2^gib", std::string()));
  ASSERT_TRUE(signed_frame.ok()) << signed_frame.status().to_string();
  EXPECT_EQ(node_space_.writes, writes + 1);
  EXPECT_TRUE(*node_space_.has("context2^gib"));
  EXPECT_EQ(*node_space_.head("^log"), std::optional<std::string>("context2^gib"));

  writes = peer_space_.writes;
  ASSERT_TRUE(peer_.accept(*signer_, tjp_, *signed_frame, endorsement(2), carried("context2^gib", std::string())).ok());
  EXPECT_EQ(peer_space_.writes, writes + 1);
  EXPECT_TRUE(*peer_space_.has("context2^gib"));

  // A refused frame stores nothing of what it carries.
  auto third = node_.sign(*signer_, tjp_, endorsement(3));
  ASSERT_TRUE(third.ok()) << third.status().to_string();
  EXPECT_FALSE(peer_.accept(*signer_, tjp_, *third, endorsement(4), carried("context3^gib", "context2^gib")).ok());
  EXPECT_FALSE(*peer_space_.has("context3^gib"));

  // A stale compare-and-swap: neither the frame nor what it carries.
  const auto before = node_.latest(tjp_);
  auto refused = node_.sign(*signer_, tjp_, endorsement(4), carried("context4^gib", "not-the-head^gib"));
  EXPECT_EQ(refused.status().code(), StatusCode::kAborted) << refused.status().to_string();
  EXPECT_EQ(*node_.latest(tjp_), *before);
  EXPECT_FALSE(*node_space_.has("context4^gib"));
  auto next = node_.sign(*signer_, tjp_, endorsement(5));
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*parse(*next).n(), 5);  // frame 4, made but not stored, adopted
}

// Only the one frame the signer made last is adopted: a registry two frames
// behind its signer lost a frame only peers may hold, and the signer refuses
// rather than evolve an older frame a second time.
TEST_P(IdentityRecoveryTest, ARegistryTwoFramesBehindItsSignerIsRefused) {
  std::string latest = head_json(node_, node_space_);
  for (int i = 2; i <= 3; ++i) {
    auto made = signer_->sign(latest, endorsement(i));
    ASSERT_TRUE(made.ok()) << made.status().to_string();
    latest = made->records_json.back();
  }
  auto refused = node_.sign(*signer_, tjp_, endorsement(4));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("not the latest frame this signer made"), std::string::npos);
}

// A node restored from a backup: its space holds frame 1, its signer (whose
// secrets_dir was not restored) made frames up to 4, which the peer holds.
// Signing is refused until the peer's frames are recovered; then it goes on.
TEST_P(IdentityRecoveryTest, ARestoredNodeRecoversItsFramesFromAPeer) {
  const MemorySpace backup = node_space_;
  std::vector<std::string> made;
  for (int i = 2; i <= 4; ++i) made.push_back(endorse(i));
  node_space_ = backup;  // the restore
  signer_ = open_signer();
  auto locked = node_.sign(*signer_, tjp_, endorsement(5));
  EXPECT_EQ(locked.status().code(), StatusCode::kFailedPrecondition) << locked.status().to_string();

  // What the peer holds, genesis first (held frames are skipped).
  std::vector<std::string> chain{frame_json(peer_space_, tjp_)};
  std::string at = **peer_.latest(tjp_);
  std::vector<std::string> newest_first;
  while (at != tjp_) {
    newest_first.push_back(frame_json(peer_space_, at));
    at = parse(newest_first.back()).rel8d("past").back();
  }
  chain.insert(chain.end(), newest_first.rbegin(), newest_first.rend());

  // A frame that does not descend from the node's head is refused, and
  // nothing moves.
  auto skipped = node_.recover_frames(*signer_, tjp_, {made[1]});
  EXPECT_EQ(skipped.status().code(), StatusCode::kPermissionDenied) << skipped.status().to_string();
  EXPECT_NE(skipped.status().message().find("does not descend from the head this node holds"), std::string::npos);

  auto added = node_.recover_frames(*signer_, tjp_, chain);
  ASSERT_TRUE(added.ok()) << added.status().to_string();
  EXPECT_EQ(*added, 3u);
  EXPECT_EQ(*node_.latest(tjp_), std::optional<std::string>(parse(made.back()).address()));
  EXPECT_FALSE(endorse(5).empty());
  // Recovering again adds nothing.
  EXPECT_EQ(*node_.recover_frames(*signer_, tjp_, chain), 0u);
}

// The peer holds frames up to 3, the signer made 4 which nobody stored
// (the node crashed right after): recovery brings the node to 3 and the
// catch-up of the kill window adopts 4.
TEST_P(IdentityRecoveryTest, RecoveryEndsInACatchUpWhenTheLastFrameReachedNoPeer) {
  const MemorySpace backup = node_space_;
  for (int i = 2; i <= 3; ++i) endorse(i);
  auto lost = signer_->sign(head_json(node_, node_space_), endorsement(4));
  ASSERT_TRUE(lost.ok()) << lost.status().to_string();
  node_space_ = backup;
  signer_ = open_signer();
  std::vector<std::string> chain;
  for (std::string at = **peer_.latest(tjp_); at != tjp_;) {
    chain.insert(chain.begin(), frame_json(peer_space_, at));
    at = parse(chain.front()).rel8d("past").back();
  }
  auto added = node_.recover_frames(*signer_, tjp_, chain);
  ASSERT_TRUE(added.ok()) << added.status().to_string();
  EXPECT_EQ(*added, 2u);
  auto next = node_.sign(*signer_, tjp_, endorsement(5));
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*parse(*next).n(), 5);
}

INSTANTIATE_TEST_SUITE_P(Signers, IdentityRecoveryTest,
                         ::testing::Values(SignerKind{"keystone", "domain"}, SignerKind{"keystone", "domain-pools"},
                                           SignerKind{"ed25519", "domain"}),
                         [](const ::testing::TestParamInfo<SignerKind>& info) {
                           std::string name = info.param.name + "_" + info.param.preset;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace gibkit::identity
