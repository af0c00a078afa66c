// `gib fsck` end to end: a node built with the `gib` tool is clean; then each
// kind of damage, written straight into its LevelDB store by the kernel in
// this process (no gib command would write it), is found and named.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "gibkit/gib_hash.h"
#include "gibkit/identity/identity_registry.h"
#include "gibkit/ibgib.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gib_runner.h"
#include "support/temp_dir.h"

namespace {

using gibkit::IbGib;
using gibkit::Space;
using gibkit::testing::GibRun;
using gibkit::testing::read_file;
using gibkit::testing::TempDir;
using gibkit::testing::write_file;

IbGib with_gib(IbGib record) {
  record.gib = *gibkit::compute_gib(record);
  return record;
}

IbGib stone(std::string ib, gibkit::json::Object data, gibkit::json::Object rel8ns = {}) {
  IbGib record;
  record.ib = std::move(ib);
  if (!data.empty()) record.data = std::move(data);
  if (!rel8ns.empty()) record.rel8ns = std::move(rel8ns);
  return with_gib(std::move(record));
}

class GibFsck : public ::testing::Test {
 protected:
  // As gib_cli_test: LevelDB durable space, memory staging, keystone signer.
  void SetUp() override {
    write_file(config_, "node:\n  name: fsck-test\n  plugin_dirs: [" GIBKIT_PLUGIN_DIR "]\n"
                        "spaces:\n  - name: main\n    plugin: space-leveldb\n    role: durable\n"
                        "    config:\n      path: " + (dir_.path() / "db").string() + "\n"
                        "  - name: staging\n    plugin: space-memory\n    role: temporary\n"
                        "signers:\n  - name: keys\n    plugin: signer-keystone\n    config:\n      secrets_dir: " +
                            (dir_.path() / "secrets").string() + "\n"
                        "transports:\n  - name: ws\n    plugin: transport-websocket\n");
    populate();
  }

  GibRun gib(const std::vector<std::string>& args) { return gibkit::testing::run_gib(dir_.path(), args); }

  std::string address_from(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", config_.string()});
    GibRun run = gib(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out.substr(0, run.out.find('\n'));
  }

  // Timelines, a relation, and the domain identity with a second frame, so
  // that there is a step to verify. gib has no command that signs without a
  // peer, so the domain signs here through the registry, as a saga does
  // (which also writes the frame's claim to the node's ledger).
  void populate() {
    note_ = address_from({"fork", "--ib", "note", "--data", R"({"text":"hi"})"});
    edited_ = address_from({"mut8", note_, "--data", R"({"text":"hello"})"});
    tag_ = address_from({"fork", "--ib", "tag"});
    address_from({"rel8", tag_, "--rel8n", "target=" + edited_});
    domain_ = address_from({"keystone", "export", (dir_.path() / "domain.json").string()});
    edit_store([&](gibkit::kernel::Node& node) {
      gibkit::identity::IdentityRegistry registry(node.durable_space());
      auto signed_frame = registry.sign(*node.signer("keys"), domain_, gibkit::Claim{"endorse", tag_});
      ASSERT_TRUE(signed_frame.ok()) << signed_frame.status().message();
    });
  }

  GibRun fsck() { return gib({"fsck", "--config", config_.string()}); }

  // Opens the node in this process, as a running gibd would (the LevelDB
  // lock is released when this returns), for `edit` to damage its store.
  void edit_store(const std::function<void(gibkit::kernel::Node&)>& edit) {
    gibkit::kernel::PluginRegistry registry;
    gibkit::kernel::DeploymentLoader loader;
    auto deployment = loader.load_file(config_, registry);
    ASSERT_TRUE(deployment.ok()) << deployment.status().message();
    auto node = gibkit::kernel::Node::create(*deployment, registry);
    ASSERT_TRUE(node.ok()) << node.status().message();
    edit(**node);
  }

  void write(std::vector<gibkit::StoredRecord> puts, std::vector<gibkit::HeadUpdate> heads = {}) {
    gibkit::WriteBatch batch;
    batch.puts = std::move(puts);
    batch.heads = std::move(heads);
    edit_store([&](gibkit::kernel::Node& node) { ASSERT_TRUE(node.durable_space().write(batch).ok()); });
  }

  IbGib stored(const std::string& address) {
    GibRun got = gib({"get", "--config", config_.string(), address});
    auto record = IbGib::parse(got.out);
    EXPECT_TRUE(record.ok()) << got.err;
    return record.ok() ? *record : IbGib{};
  }

  // fsck exits 1 and names the problem in a line starting with `line_start`
  // that contains `detail`.
  void expect_problem(const std::string& line_start, const std::string& detail) {
    GibRun run = fsck();
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    bool found = false;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      found = found || (line.starts_with(line_start) && line.find(detail) != std::string::npos);
    }
    EXPECT_TRUE(found) << "no line '" << line_start << "...' naming " << detail << " in:\n" << run.out;
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_.path() / "node.yaml";
  std::string note_, edited_, tag_, domain_;
  const std::string missing_ = "gone^" + std::string(64, 'C');
};

TEST_F(GibFsck, ANodeBuiltByGibIsClean) {
  GibRun run = fsck();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("heads, 1 identities checked; 0 problems, 0 warnings\n"), std::string::npos) << run.out;
  EXPECT_TRUE(run.out.starts_with("fsck: ")) << run.out;
}

TEST_F(GibFsck, ARecordUnderAnotherAddress) {
  const std::string key = "stray^" + std::string(64, 'A');
  write({{key, stored(edited_).to_json_text()}});
  expect_problem("problem: misplaced: ", "record " + edited_ + " is stored under " + key);
}

TEST_F(GibFsck, ARecordWhoseGibDoesNotMatchItsContent) {
  IbGib tampered = stone("stone", {{"v", 1}});
  tampered.data = gibkit::json::Object{{"v", 2}};  // same gib, other content
  write({{tampered.address(), tampered.to_json_text()}});
  expect_problem("problem: invalid: record " + tampered.address(), "");
}

TEST_F(GibFsck, AHeadNamingAMissingRecord) {
  write({}, {{tag_, missing_, std::nullopt}});
  expect_problem("problem: head: '" + tag_ + "' -> " + missing_, "which is not stored");
}

TEST_F(GibFsck, AHeadNamingAFrameOfAnotherTimeline) {
  write({}, {{tag_, edited_, std::nullopt}});
  const std::string note_timeline = stored(edited_).tjp_address().value_or("");
  expect_problem("problem: head: '" + tag_ + "' -> " + edited_, "a frame of " + note_timeline + ", not of " + tag_);
}

TEST_F(GibFsck, ARecordRelatingAMissingAddress) {
  const IbGib relating = stone("stone", {}, {{"x", gibkit::json::Array{missing_}}});
  write({{relating.address(), relating.to_json_text()}});
  expect_problem("problem: missing: " + missing_, "related by " + relating.address() + " (x)");
}

// A forged frame: the domain's endorsement retargeted, with a gib that
// matches (so it is intrinsically valid), made the identity's head.
TEST_F(GibFsck, AnIdentityFrameTamperedWith) {
  const std::string head_key = "^identity " + domain_;
  std::string endorsement;
  edit_store([&](gibkit::kernel::Node& node) { endorsement = node.durable_space().head(head_key)->value_or(""); });
  IbGib forged = stored(endorsement);
  ASSERT_NE(forged.address(), domain_) << "the domain should have endorsed a session";
  gibkit::json::Value& proof = forged.data->as_object()["proofs"].as_array().front();
  proof.as_object()["claim"].as_object().set("target", note_);  // it endorsed tag_
  forged = with_gib(forged);
  write({{forged.address(), forged.to_json_text()}}, {{head_key, forged.address(), endorsement}});
  expect_problem("problem: identity: " + domain_ + ": frame " + forged.address(), "does not verify from " + domain_);
}

// Duplicity is the operator's decision, not damage: a warning, exit 0.
TEST_F(GibFsck, ADuplicitousIdentityIsAWarning) {
  std::string endorsement;
  edit_store([&](gibkit::kernel::Node& node) {
    endorsement = node.durable_space().head("^identity " + domain_)->value_or("");
  });
  const IbGib evidence =
      stone("identity_duplicity",
            {{"identity", domain_}, {"n", 1}, {"heldFrame", endorsement}, {"otherFrame", domain_}},
            {{"evidence", gibkit::json::Array{endorsement, domain_}}});
  write({{evidence.address(), evidence.to_json_text()}}, {{"^duplicity " + domain_, evidence.address(), std::nullopt}});
  GibRun run = fsck();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("warning: duplicity: identity " + domain_ + " signed two frames at n 1: " + endorsement +
                         " (held) and " + domain_),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("; 0 problems, 1 warnings\n"), std::string::npos) << run.out;
}

// Memory staging is empty at every start; a LevelDB one keeps what an
// interrupted saga staged. Not damage either: a warning, exit 0.
TEST_F(GibFsck, StagingLeftoversAreWarnings) {
  std::string yaml = read_file(config_);
  const std::string memory = "plugin: space-memory\n    role: temporary\n";
  yaml.replace(yaml.find(memory), memory.size(),
               "plugin: space-leveldb\n    role: temporary\n    config:\n      path: " +
                   (dir_.path() / "staging").string() + "\n");
  write_file(config_, yaml);
  const IbGib staged = stone("stone", {{"v", 1}});
  edit_store([&](gibkit::kernel::Node& node) {
    gibkit::WriteBatch batch;
    batch.puts.push_back({staged.address(), staged.to_json_text()});
    ASSERT_TRUE(node.space("staging")->write(batch).ok());
  });
  GibRun run = fsck();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("warning: staging: temporary space 'staging' holds " + staged.address()), std::string::npos)
      << run.out;
}

TEST_F(GibFsck, UsageHelpAndALockedNode) {
  EXPECT_EQ(gib({"fsck"}).exit_code, 2);
  EXPECT_EQ(gib({"fsck", "--config", config_.string(), "extra"}).exit_code, 2);
  GibRun help = gib({"fsck", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(help.out.starts_with("usage: gib fsck --config FILE")) << help.out;
  edit_store([&](gibkit::kernel::Node&) {
    GibRun locked = fsck();
    EXPECT_EQ(locked.exit_code, 3);
    EXPECT_NE(locked.err.find("is gibd running"), std::string::npos) << locked.err;
  });
}

}  // namespace
