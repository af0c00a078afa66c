// The `gib` tool end to end: each subcommand run as a subprocess against a
// deployment written into a temporary directory (LevelDB durable space,
// memory staging, keystone signer keeping its secrets on disk).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/validate.h"
#include "gib_runner.h"
#include "support/temp_dir.h"

namespace {

using gibkit::testing::GibRun;
using gibkit::testing::lines_of;
using gibkit::testing::read_file;
using gibkit::testing::run_gib;
using gibkit::testing::TempDir;
using gibkit::testing::write_file;

class GibCli : public ::testing::Test {
 protected:
  void SetUp() override { write_deployment(config_, "space-leveldb", "path: " + (dir_.path() / "db").string()); }

  void write_deployment(const std::filesystem::path& file, std::string_view durable_plugin, std::string_view durable_config) {
    std::string yaml = "node:\n  name: cli-test\n  plugin_dirs: [" GIBKIT_PLUGIN_DIR "]\n"
                       "spaces:\n  - name: main\n    plugin: " + std::string(durable_plugin) + "\n    role: durable\n";
    if (!durable_config.empty()) yaml += "    config:\n      " + std::string(durable_config) + "\n";
    yaml += "  - name: staging\n    plugin: space-memory\n    role: temporary\n"
            "signers:\n  - name: keys\n    plugin: signer-keystone\n    config:\n      secrets_dir: " +
            (dir_.path() / "secrets").string() + "\n"
            "transports:\n  - name: ws\n    plugin: transport-websocket\n";
    write_file(file, yaml);
  }

  // Runs gib with `args` (and `input` on stdin).
  GibRun gib(const std::vector<std::string>& args, std::string_view input = "") {
    return run_gib(dir_.path(), args, input);
  }

  // Runs a node command that must succeed and print one address.
  std::string address_from(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", config_.string()});
    GibRun run = gib(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_FALSE(run.out.empty());
    return run.out.empty() ? std::string() : run.out.substr(0, run.out.find('\n'));
  }

  std::string config() const { return config_.string(); }

  TempDir dir_;
  std::filesystem::path config_ = dir_.path() / "node.yaml";
};

TEST_F(GibCli, ForkMut8Rel8BuildTimelinesThatLogAndGetShow) {
  const std::string note = address_from({"fork", "--ib", "note one", "--data", R"({"text":"hi","draft":true})"});
  const std::string edited = address_from({"mut8", note, "--data", R"({"text":"hello"})", "--remove", "draft"});
  const std::string tag = address_from({"fork", "--ib", "tag demo"});
  const std::string tagged = address_from({"rel8", tag, "--rel8n", "target=" + edited});
  ASSERT_NE(note, edited);

  GibRun log = gib({"log", "--config", config(), note});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  const std::vector<std::string> lines = lines_of(log.out);
  ASSERT_EQ(lines.size(), 3u) << log.out;
  EXPECT_TRUE(lines[0].starts_with("2\t")) << lines[0];
  EXPECT_NE(lines[0].find("\t" + edited + "\tmut8 set=text removed=draft"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("mut8 set=text,draft"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("fork ib=note one"), std::string::npos) << lines[2];

  GibRun got = gib({"get", "--config", config(), tagged});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto record = gibkit::IbGib::parse(got.out.substr(0, got.out.size() - 1));
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_TRUE(gibkit::validate_intrinsically(*record).ok());
  EXPECT_EQ(record->rel8d("target"), std::vector<std::string>{edited});
  EXPECT_EQ(record->tjp_address(), tag);
  EXPECT_EQ(*record->n(), 1);
}

TEST_F(GibCli, Mut8OfAnOlderFrameEvolvesTheTimelineHead) {
  const std::string genesis = address_from({"fork", "--ib", "note"});
  const std::string first = address_from({"mut8", genesis, "--data", R"({"a":1})"});
  const std::string second = address_from({"mut8", genesis, "--data", R"({"b":2})"});
  GibRun got = gib({"get", "--config", config(), second});
  auto record = gibkit::IbGib::parse(got.out);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->rel8d("past").back(), first);
}

TEST_F(GibCli, ForkRunsOnAMemoryDeploymentToo) {
  write_deployment(config_, "space-memory", "");
  const std::string note = address_from({"fork", "--ib", "memo", "--data", R"({"x":1})"});
  EXPECT_TRUE(note.starts_with("memo^")) << note;
}

TEST_F(GibCli, PutStoresValidLinesInOneBatchAndNamesBadLines) {
  const std::string stone = R"({"ib":"stone","gib":"","data":{"v":1}})";
  GibRun hashed = gib({"hash"}, stone + "\n");
  ASSERT_EQ(hashed.exit_code, 0);
  const std::string hash = hashed.out.substr(0, hashed.out.find('\n'));
  const std::string valid = R"({"ib":"stone","gib":")" + hash + R"(","data":{"v":1}})";
  const std::string tampered = R"({"ib":"stone","gib":")" + hash + R"(","data":{"v":2}})";
  write_file(dir_.path() / "in.jsonl", valid + "\nnot json\n" + tampered + "\n");

  GibRun put = gib({"put", "--config", config(), (dir_.path() / "in.jsonl").string()});
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_NE(put.err.find("in.jsonl:2:"), std::string::npos) << put.err;
  EXPECT_NE(put.err.find("in.jsonl:3:"), std::string::npos) << put.err;
  EXPECT_NE(put.err.find("1 stored, 2 invalid"), std::string::npos) << put.err;
  GibRun got = gib({"get", "--config", config(), "stone^" + hash});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, valid + "\n");
}

TEST_F(GibCli, PutAllOrNothingStoresNothingWhenALineIsBad) {
  const std::string note = address_from({"fork", "--ib", "n", "--data", R"({"a":1})"});
  GibRun record = gib({"get", "--config", config(), note});
  TempDir other_dir;
  const std::filesystem::path other = other_dir.path() / "other.yaml";
  // The frame into a fresh node via stdin: its past and dna are missing there,
  // a bad line follows, and --all-or-nothing then refuses the whole input.
  std::string yaml = read_file(config_);
  yaml.replace(yaml.find((dir_.path() / "db").string()), (dir_.path() / "db").string().size(),
               (other_dir.path() / "db").string());
  write_file(other, yaml);
  GibRun put = gib({"put", "--config", other.string(), "--all-or-nothing"}, record.out + "{\n");
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_NE(put.err.find("<stdin>"), std::string::npos) << put.err;
  EXPECT_NE(put.err.find("0 stored, 2 invalid (--all-or-nothing: nothing stored)"), std::string::npos) << put.err;
  EXPECT_EQ(gib({"get", "--config", other.string(), note}).exit_code, 1);
}

TEST_F(GibCli, PutRefusesRecordsWhoseDependenciesAreMissing) {
  const std::string note = address_from({"fork", "--ib", "n", "--data", R"({"a":1})"});
  GibRun record = gib({"get", "--config", config(), note});
  write_deployment(config_, "space-memory", "");
  GibRun put = gib({"put", "--config", config(), "-"}, record.out);
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_NE(put.err.find("neither stored nor in the input"), std::string::npos) << put.err;
}

TEST_F(GibCli, GetOfAnUnknownAddressExits1AndABadAddress2) {
  GibRun unknown = gib({"get", "--config", config(), "nothing^" + std::string(64, 'A')});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no record"), std::string::npos) << unknown.err;
  EXPECT_EQ(gib({"get", "--config", config(), "bad^address"}).exit_code, 2);
  // Without a caret it is a name (an ib or a gib prefix), and nothing has it.
  GibRun unnamed = gib({"get", "--config", config(), "no-caret"});
  EXPECT_EQ(unnamed.exit_code, 1);
  EXPECT_NE(unnamed.err.find("nothing in this node is named 'no-caret'"), std::string::npos) << unnamed.err;
}

// As git takes a short hash: an ib, or a unique gib prefix; several matches
// are an error that lists them.
TEST_F(GibCli, LsListsWhatANodeHoldsAndShortNamesFindIt) {
  std::string note = address_from({"fork", "--ib", "note short", "--data", R"({"text":"a"})"});
  note = address_from({"mut8", note, "--data", R"({"text":"b"})"});
  const std::string other = address_from({"fork", "--ib", "note other"});
  const std::string domain = address_from({"keystone", "export", (dir_.path() / "d.json").string()});

  GibRun ls = gib({"ls", "--config", config()});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("timelines (2): n, last change, head, ib\n"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("\t" + note + "\tnote short\n"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("\t" + other + "\tnote other\n"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("identities (1)"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("\t" + domain + "\n"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("stones (0)"), std::string::npos) << ls.out;

  // The timeline by its ib, and the head by a short prefix of its gib.
  GibRun log = gib({"log", "--config", config(), "note short"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_NE(log.out.find("\t" + note + "\t"), std::string::npos) << log.out;
  const std::string gib_of_note = note.substr(note.find('^') + 1);
  std::string short_gib = gib_of_note.substr(0, 12);
  for (char& c : short_gib) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  GibRun got = gib({"get", "--config", config(), short_gib});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(gibkit::IbGib::parse(got.out.substr(0, got.out.size() - 1))->address(), note);

  // "note short" names three records for get (the fork, the frame with its
  // data, the edit): ambiguous, listed.
  GibRun ambiguous = gib({"get", "--config", config(), "note short"});
  EXPECT_EQ(ambiguous.exit_code, 1);
  EXPECT_NE(ambiguous.err.find("'note short' is ambiguous: 3 records match:"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find(note), std::string::npos) << ambiguous.err;
}

TEST_F(GibCli, EditsOfUnknownAddressesAndBadInputFailCleanly) {
  const std::string unknown = "nothing^" + std::string(64, 'A');
  GibRun mut8 = gib({"mut8", "--config", config(), unknown, "--data", "{}"});
  EXPECT_EQ(mut8.exit_code, 1);
  EXPECT_NE(mut8.err.find("no record"), std::string::npos) << mut8.err;
  EXPECT_EQ(gib({"fork", "--config", config(), "--ib", "x", "--data", "{bad"}).exit_code, 2);
  EXPECT_EQ(gib({"fork", "--config", config(), "--ib", "x", "--data", "[1]"}).exit_code, 2);
  const std::string tag = address_from({"fork", "--ib", "tag"});
  GibRun rel8 = gib({"rel8", "--config", config(), tag, "--rel8n", "target=" + unknown});
  EXPECT_EQ(rel8.exit_code, 1);
  EXPECT_NE(rel8.err.find("not stored in this node"), std::string::npos) << rel8.err;
  EXPECT_EQ(gib({"rel8", "--config", config(), tag, "--rel8n", "justaname"}).exit_code, 2);
  EXPECT_EQ(gib({"log", "--config", config(), unknown}).exit_code, 1);
}

TEST_F(GibCli, UsageErrorsExit2WithAHint) {
  GibRun missing = gib({"get", "a^gib"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("missing --config"), std::string::npos) << missing.err;
  GibRun unknown_flag = gib({"fork", "--config", config(), "--ib", "x", "--bogus"});
  EXPECT_EQ(unknown_flag.exit_code, 2);
  EXPECT_NE(unknown_flag.err.find("unknown option '--bogus'"), std::string::npos) << unknown_flag.err;
  EXPECT_EQ(gib({"sync", "--config", config(), "a^gib"}).exit_code, 2);
  EXPECT_EQ(gib({"keystone", "--config", config(), "frobnicate"}).exit_code, 2);
  EXPECT_EQ(gib({"--log-level", "loud", "get"}).exit_code, 2);
  write_file(dir_.path() / "bad.yaml", "node:\n  name: [\n");
  GibRun bad = gib({"get", "--config", (dir_.path() / "bad.yaml").string(), "a^gib"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.yaml"), std::string::npos) << bad.err;
}

TEST_F(GibCli, EveryCommandHasHelp) {
  for (const char* command : {"hash", "verify", "put", "get", "fork", "mut8", "rel8", "log", "keystone", "sync", "fsck",
                              "ls", "sagas"}) {
    GibRun help = gib({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_TRUE(help.out.starts_with("usage: gib ")) << command;
    EXPECT_NE(gib({"--help"}).out.find(command), std::string::npos) << command;
  }
}

TEST_F(GibCli, ALockedLevelDbDirectoryIsReportedNotCrashedOn) {
  gibkit::kernel::PluginRegistry registry;
  gibkit::kernel::DeploymentLoader loader;
  loader.set_section("sync", {});
  // The test process holds the LevelDB lock, as a running gibd would.
  std::string yaml = read_file(config_);
  yaml.erase(yaml.find("signers:"));
  auto deployment = loader.load_text(yaml, config_, registry);
  ASSERT_TRUE(deployment.ok()) << deployment.status().message();
  auto node = gibkit::kernel::Node::create(*deployment, registry);
  ASSERT_TRUE(node.ok()) << node.status().message();
  GibRun locked = gib({"fork", "--config", config(), "--ib", "x"});
  EXPECT_EQ(locked.exit_code, 3);
  EXPECT_NE(locked.err.find("is locked"), std::string::npos) << locked.err;
  EXPECT_NE(locked.err.find("is gibd running"), std::string::npos) << locked.err;
}

TEST_F(GibCli, KeystoneCreateShowAndExport) {
  const std::string identity = address_from({"keystone", "create", "--preset", "session"});
  GibRun show = gib({"keystone", "--config", config(), "show", identity});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("identity " + identity + " (1 frames)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("frame 0"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("claim: none"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("scheme: wots-w16-sha256, next key commitment "), std::string::npos) << show.out;
  const std::string pools = address_from({"keystone", "create", "--preset", "session-pools"});
  GibRun show_pools = gib({"keystone", "--config", config(), "show", pools});
  ASSERT_EQ(show_pools.exit_code, 0) << show_pools.err;
  EXPECT_NE(show_pools.out.find(" challenges"), std::string::npos) << show_pools.out;

  const std::filesystem::path exported = dir_.path() / "domain.json";
  const std::string domain = address_from({"keystone", "export", exported.string()});
  auto genesis = gibkit::IbGib::parse(read_file(exported));
  ASSERT_TRUE(genesis.ok()) << genesis.status().message();
  EXPECT_EQ(genesis->address(), domain);
  EXPECT_TRUE(gibkit::validate_intrinsically(*genesis).ok());
  // The domain persists: exporting again names the same identity.
  EXPECT_EQ(address_from({"keystone", "export", "-"}).substr(0, 9), "{\"ib\":\"ke");
  EXPECT_EQ(address_from({"keystone", "export", exported.string()}), domain);
  EXPECT_EQ(gib({"keystone", "--config", config(), "create", "--preset", "root"}).exit_code, 2);
}

TEST_F(GibCli, SyncWithAnUnreachablePeerFailsWithTheReason) {
  const std::string note = address_from({"fork", "--ib", "n"});
  const std::string domain = address_from({"keystone", "export", (dir_.path() / "d.json").string()});
  GibRun sync = gib({"sync", "--config", config(), "--peer", "ws://127.0.0.1:1", "--peer-domain", domain, note});
  EXPECT_EQ(sync.exit_code, 3);
  EXPECT_NE(sync.err.find("sync with ws://127.0.0.1:1 failed"), std::string::npos) << sync.err;
}

// Replies are authenticated: a sync needs to know whose domain must answer.
TEST_F(GibCli, SyncNeedsTheDomainExpectedAtThePeer) {
  const std::string note = address_from({"fork", "--ib", "n"});
  GibRun sync = gib({"sync", "--config", config(), "--peer", "ws://127.0.0.1:1", note});
  EXPECT_EQ(sync.exit_code, 3);
  EXPECT_NE(sync.err.find("no sync.peers entry names the domain identity expected at ws://127.0.0.1:1"),
            std::string::npos)
      << sync.err;
}

// Identity timelines move only through their signer: no edit touches them.
TEST_F(GibCli, IdentityTimelinesRefuseEditsAndReportDuplicity) {
  const std::string domain = address_from({"keystone", "export", (dir_.path() / "d.json").string()});
  GibRun edit = gib({"mut8", "--config", config(), domain, "--data", R"({"owner":"mallory"})"});
  EXPECT_NE(edit.exit_code, 0);
  EXPECT_NE(edit.err.find("is an identity"), std::string::npos) << edit.err;
  GibRun relate = gib({"rel8", "--config", config(), domain, "--rel8n", "x=" + domain});
  EXPECT_NE(relate.exit_code, 0);
  EXPECT_NE(relate.err.find("is an identity"), std::string::npos) << relate.err;
  // Nor can one be made by hand.
  GibRun fake = gib({"fork", "--config", config(), "--ib", "keystone", "--data", R"({"n":0})"});
  EXPECT_NE(fake.exit_code, 0);
  EXPECT_NE(fake.err.find("ib of identity frames"), std::string::npos) << fake.err;
  // It can still be read.
  GibRun log = gib({"log", "--config", config(), domain});
  EXPECT_EQ(log.exit_code, 0) << log.err;
  GibRun duplicity = gib({"keystone", "--config", config(), "duplicity", domain});
  EXPECT_EQ(duplicity.exit_code, 0) << duplicity.err;
  EXPECT_NE(duplicity.out.find("no duplicity recorded"), std::string::npos) << duplicity.out;
  GibRun unknown = gib({"keystone", "--config", config(), "duplicity", "keystone^" + std::string(64, 'A')});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
  EXPECT_NE(unknown.err.find("no identity"), std::string::npos) << unknown.err;
}

// Long timelines: by default each frame gib makes names only the frame
// before it and its own dna (ts-gib linkedRel8ns: past, dna), so an edit
// costs the same however long the timeline; `timelines.linked_rel8ns` in
// the deployment chooses otherwise.
TEST_F(GibCli, EditsLinkPastAndDnaByDefault) {
  std::string note = address_from({"fork", "--ib", "note", "--data", R"({"text":"a"})"});
  for (const std::string text : {"b", "c", "d"}) {
    note = address_from({"mut8", note, "--data", R"({"text":")" + text + R"("})"});
  }
  const std::string tag = address_from({"fork", "--ib", "tag"});
  note = address_from({"rel8", note, "--rel8n", "tag=" + tag});

  auto frame = gibkit::IbGib::parse(lines_of(gib({"get", "--config", config(), note}).out).at(0));
  ASSERT_TRUE(frame.ok()) << frame.status().message();
  EXPECT_EQ(frame->rel8d("past").size(), 1u);
  ASSERT_EQ(frame->rel8d("dna").size(), 1u);
  EXPECT_EQ(frame->rel8d("tag"), std::vector<std::string>{tag});
  EXPECT_TRUE(gibkit::validate_intrinsically(*frame).ok());
  auto dna = gibkit::IbGib::parse(lines_of(gib({"get", "--config", config(), frame->rel8d("dna")[0]}).out).at(0));
  ASSERT_TRUE(dna.ok()) << dna.status().message();
  EXPECT_EQ(gibkit::json::stringify(*dna->data->find("linkedRel8ns")), R"(["past","dna"])");

  GibRun log = gib({"log", "--config", config(), note});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  const std::vector<std::string> lines = lines_of(log.out);
  ASSERT_EQ(lines.size(), 6u) << log.out;  // fork, data, three edits, rel8
  EXPECT_NE(lines[0].find("rel8 +tag:" + tag), std::string::npos) << lines[0];
  EXPECT_NE(lines[5].find("fork ib=note"), std::string::npos) << lines[5];
  GibRun fsck = gib({"fsck", "--config", config()});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

TEST_F(GibCli, TheTimelinesSectionChoosesWhatIsLinked) {
  const std::string base = read_file(config_);
  write_file(config_, base + "timelines:\n  linked_rel8ns: []\n");
  std::string accumulating = address_from({"fork", "--ib", "app note", "--data", R"({"v":0})"});
  for (int v = 1; v <= 3; ++v) {
    accumulating = address_from({"mut8", accumulating, "--data", R"({"v":)" + std::to_string(v) + "}"});
  }
  auto frame = gibkit::IbGib::parse(lines_of(gib({"get", "--config", config(), accumulating}).out).at(0));
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->rel8d("past").size(), 4u);  // ts-gib's default: the whole history
  EXPECT_EQ(frame->rel8d("dna").size(), 4u);

  // Switched to [past]: the same timeline goes on with one past, dna still grows.
  write_file(config_, base + "timelines:\n  linked_rel8ns: [past]\n");
  const std::string continued = address_from({"mut8", accumulating, "--data", R"({"v":4})"});
  frame = gibkit::IbGib::parse(lines_of(gib({"get", "--config", config(), continued}).out).at(0));
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->rel8d("past"), std::vector<std::string>{accumulating});
  EXPECT_EQ(frame->rel8d("dna").size(), 5u);
  GibRun log = gib({"log", "--config", config(), continued});
  EXPECT_EQ(lines_of(log.out).size(), 6u) << log.out << log.err;

  // Validated like every key: a name outside past, dna, ancestor is refused
  // with its place in the file.
  write_file(config_, base + "timelines:\n  linked_rel8ns: [past, dan]\n");
  GibRun bad = gib({"mut8", "--config", config(), continued, "--data", R"({"v":5})"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'dan' is not one of past, dna, ancestor; did you mean 'dna'?"), std::string::npos) << bad.err;
}

}  // namespace
