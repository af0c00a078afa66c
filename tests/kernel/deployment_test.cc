// Deployment validation: every error class is reported with
// file:line:column and what was expected, and all errors come at once.
#include <gtest/gtest.h>

#include "gibkit/kernel/config/deployment.h"
#include "support/temp_dir.h"

namespace gibkit::kernel {
namespace {

const std::vector<std::filesystem::path> kPluginDirs = {
    GIBKIT_PLUGIN_DIR, std::filesystem::path(GIBKIT_TEST_PLUGIN_ROOT) / "kinds"};

class DeploymentTest : public ::testing::Test {
 protected:
  Result<Deployment> load(std::string_view yaml) {
    registry_ = PluginRegistry();
    DeploymentLoader loader;
    loader.set_section("metrics", {{.key = "port", .type = ConfigType::kInteger, .required = true},
                                   {.key = "path", .type = ConfigType::kString, .default_value = json::Value("/m")}});
    return loader.load_text(yaml, file_, registry_, kPluginDirs);
  }

  // The error message of a failing load.
  std::string errors(std::string_view yaml) {
    auto d = load(yaml);
    EXPECT_FALSE(d.ok()) << "expected the deployment to be rejected";
    if (d.ok()) return "";
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    return d.status().message();
  }

  const std::filesystem::path file_ = "/srv/gib/node.yaml";
  PluginRegistry registry_;
};

constexpr std::string_view kValid = R"(node:
  name: alice
spaces:
  - name: main
    plugin: space-leveldb
    config:
      path: data/main
  - name: staging
    plugin: space-memory
    role: temporary
transports:
  - name: loop
    plugin: test-echo-transport
    listen: true
signers:
  - name: keys
    plugin: test-echo-signer
    config:
      label: mine
metrics:
  port: 9100
)";

TEST_F(DeploymentTest, ValidDeploymentIsReadWithDefaultsAndResolvedPaths) {
  auto d = load(kValid);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->node_name, "alice");
  ASSERT_EQ(d->spaces.size(), 2u);
  EXPECT_EQ(d->spaces[0].role, SpaceRole::kDurable);
  EXPECT_EQ(d->spaces[1].role, SpaceRole::kTemporary);
  EXPECT_EQ(*d->spaces[0].config.find("path"), json::Value("/srv/gib/data/main"));
  EXPECT_EQ(*d->spaces[0].config.find("create_if_missing"), json::Value(true));
  ASSERT_EQ(d->transports.size(), 1u);
  EXPECT_TRUE(d->transports[0].listen);
  ASSERT_EQ(d->signers.size(), 1u);
  EXPECT_EQ(*d->signers[0].config.find("retries"), json::Value(3));
  ASSERT_EQ(d->sections.count("metrics"), 1u);
  EXPECT_EQ(*d->sections["metrics"].find("port"), json::Value(9100));
  EXPECT_EQ(*d->sections["metrics"].find("path"), json::Value("/m"));
}

TEST_F(DeploymentTest, MalformedYamlReportsPosition) {
  std::string e = errors("node:\n  name: [unclosed\nspaces: []\n");
  EXPECT_NE(e.find("/srv/gib/node.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
}

TEST_F(DeploymentTest, UnknownKeySuggestsTheNearestKnownKey) {
  std::string e = errors("node:\n  name: a\n  plugin_dir: x\nspaces:\n  - name: m\n    plugin: space-memory\n");
  EXPECT_NE(e.find("/srv/gib/node.yaml:3:3: node: unknown key 'plugin_dir'; did you mean 'plugin_dirs'?"),
            std::string::npos)
      << e;
}

TEST_F(DeploymentTest, UnknownTopLevelSectionSuggestsTheNearest) {
  std::string e = errors("node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\nmetric: {}\n");
  EXPECT_NE(e.find("node.yaml:3:1: unknown top-level key 'metric'; did you mean 'metrics'?"), std::string::npos) << e;
}

TEST_F(DeploymentTest, WrongTypeNamesExpectedType) {
  std::string e = errors(
      "node: {name: a}\nspaces:\n  - name: m\n    plugin: space-leveldb\n    config:\n      path: p\n"
      "      create_if_missing: maybe\n");
  EXPECT_NE(e.find("node.yaml:7:26: spaces[0] ('m', plugin space-leveldb) config: 'create_if_missing' must be true "
                   "or false, got 'maybe'"),
            std::string::npos)
      << e;
}

TEST_F(DeploymentTest, QuotedNumberIsNotAnInteger) {
  std::string e = errors(
      "node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\nmetrics:\n  port: \"10\"\n");
  EXPECT_NE(e.find("node.yaml:4:9: metrics: 'port' must be an integer"), std::string::npos) << e;
}

TEST_F(DeploymentTest, MissingRequiredKeyIsReportedAtItsMapping) {
  std::string e = errors("node: {name: a}\nspaces:\n  - name: m\n    plugin: space-leveldb\n");
  EXPECT_NE(e.find("node.yaml:3:5: spaces[0] ('m', plugin space-leveldb) config: missing required key 'path'"),
            std::string::npos)
      << e;
}

TEST_F(DeploymentTest, MissingPluginSuggestsLoadedOnes) {
  std::string e = errors("node: {name: a}\nspaces:\n  - name: m\n    plugin: space-levledb\n");
  EXPECT_NE(e.find("node.yaml:4:5: spaces[0]: no space plugin named 'space-levledb'; did you mean 'space-leveldb'?"),
            std::string::npos)
      << e;
}

TEST_F(DeploymentTest, DuplicateNamesPointAtBothDefinitions) {
  std::string e = errors(
      "node: {name: a}\nspaces:\n  - name: m\n    plugin: space-memory\n  - name: m\n    plugin: space-memory\n"
      "    role: temporary\n");
  EXPECT_NE(e.find("node.yaml:5:5: spaces[1]: duplicate space name 'm' (first defined at line 3, column 5)"),
            std::string::npos)
      << e;
}

TEST_F(DeploymentTest, ExactlyOneDurableSpace) {
  std::string none = errors("node: {name: a}\nspaces:\n  - {name: m, plugin: space-memory, role: temporary}\n");
  EXPECT_NE(none.find("node.yaml:3:3: no durable space"), std::string::npos) << none;
  std::string two = errors(
      "node: {name: a}\nspaces:\n  - {name: m, plugin: space-memory}\n  - {name: n, plugin: space-memory, role: "
      "durable}\n");
  EXPECT_NE(two.find("node.yaml:4:37: space 'n': a second durable space"), std::string::npos) << two;
}

TEST_F(DeploymentTest, MissingPluginDirectoryIsReported) {
  registry_ = PluginRegistry();
  auto d = DeploymentLoader().load_text("node:\n  name: a\n  plugin_dirs: [nowhere]\nspaces: []\n", file_, registry_);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("node.yaml:3:3: plugin directory /srv/gib/nowhere does not exist"),
            std::string::npos)
      << d.status().message();
}

TEST_F(DeploymentTest, AllProblemsAreReportedAtOnceInFileOrder) {
  std::string e = errors(
      "node:\n  nam: a\nspaces:\n  - name: m\n    plugin: nope\ntransports:\n  - name: t\n    plugin: "
      "test-echo-transport\n    listen: 3\n");
  EXPECT_NE(e.find("4 problems"), std::string::npos) << e;
  size_t unknown = e.find("node.yaml:2:3: node: unknown key 'nam'");
  size_t missing = e.find("node.yaml:2:3: node: missing required key 'name'");
  size_t plugin = e.find("node.yaml:5:5: spaces[0]: no space plugin named 'nope'");
  size_t listen = e.find("node.yaml:9:13: transports[0]: 'listen' must be true or false");
  EXPECT_NE(unknown, std::string::npos) << e;
  EXPECT_NE(missing, std::string::npos) << e;
  EXPECT_NE(plugin, std::string::npos) << e;
  EXPECT_NE(listen, std::string::npos) << e;
  EXPECT_LT(plugin, listen);
}

TEST_F(DeploymentTest, ExtensionSectionMissingRequiredKey) {
  std::string e = errors("node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\nmetrics:\n  path: /x\n");
  EXPECT_NE(e.find("node.yaml:4:3: metrics: missing required key 'port'"), std::string::npos) << e;
}

// Rules a schema declares (min, max, one_of, must_exist) are enforced with
// the value's position, whichever section or plugin declares them.
TEST_F(DeploymentTest, KeyRulesAreEnforcedWithPositions) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "present");
  std::vector<ConfigKey> keys(7);
  keys[0] = {.key = "port", .type = ConfigType::kInteger, .min = 0, .max = 65535};
  keys[1] = {.key = "size", .type = ConfigType::kInteger, .min = 1};
  keys[2] = {.key = "ratio", .type = ConfigType::kNumber, .min = 0, .max = 1};
  keys[3].key = "mode";
  keys[3].one_of.push_back("fast");
  keys[3].one_of.push_back("safe");
  keys[4].key = "modes";
  keys[4].type = ConfigType::kStringList;
  keys[4].one_of = keys[3].one_of;
  keys[5] = {.key = "file", .type = ConfigType::kPath, .must_exist = true};
  keys[6] = {.key = "other", .type = ConfigType::kPath, .must_exist = true};
  DeploymentLoader loader;
  loader.set_section("limits", keys);
  const std::string base = "node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\nlimits:\n";
  auto run = [&](std::string_view body) {
    registry_ = PluginRegistry();
    return loader.load_text(base + std::string(body), dir.path() / "node.yaml", registry_, kPluginDirs);
  };
  auto ok = run("  port: 65535\n  size: 1\n  ratio: 0.5\n  mode: safe\n  modes: [fast, safe]\n  file: present\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok->sections["limits"].find("port"), json::Value(65535));

  auto bad = run(
      "  port: 99999\n  size: 0\n  ratio: 1.5\n  mode: fsat\n  modes: [fast, slow]\n  file: absent.pem\n"
      "  other: present\n");
  ASSERT_FALSE(bad.ok());
  const std::string e = bad.status().message();
  EXPECT_NE(e.find("6 problems"), std::string::npos) << e;
  EXPECT_NE(e.find("node.yaml:4:9: limits: 'port': 99999 is above the maximum 65535"), std::string::npos) << e;
  EXPECT_NE(e.find("node.yaml:5:9: limits: 'size': 0 is below the minimum 1"), std::string::npos) << e;
  EXPECT_NE(e.find("node.yaml:6:10: limits: 'ratio': 1.5 is above the maximum 1"), std::string::npos) << e;
  EXPECT_NE(e.find("node.yaml:7:9: limits: 'mode': 'fsat' is not one of fast, safe; did you mean 'fast'?"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("node.yaml:8:10: limits: 'modes': 'slow' is not one of fast, safe"), std::string::npos) << e;
  EXPECT_NE(e.find("node.yaml:9:9: limits: 'file': " + (dir.path() / "absent.pem").string() + " does not exist"),
            std::string::npos)
      << e;
}

// A schema without rules accepts what it always accepted.
TEST_F(DeploymentTest, KeysWithoutRulesAcceptAnyValueOfTheirType) {
  DeploymentLoader loader;
  loader.set_section("free", {{.key = "n", .type = ConfigType::kInteger}, {.key = "p", .type = ConfigType::kPath}});
  auto d = loader.load_text("node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\nfree: {n: -99999, p: nope}\n",
                            file_, registry_, kPluginDirs);
  ASSERT_TRUE(d.ok()) << d.status().message();
}

// The bundled plugins declare their bounds: the websocket transport's port
// and sizes are refused at validation, not when the node starts.
TEST_F(DeploymentTest, BundledPluginBoundsAreEnforced) {
  std::string e = errors(
      "node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\ntransports:\n  - name: ws\n"
      "    plugin: transport-websocket\n    config:\n      port: 99999\n      max_message_bytes: -1\n"
      "      idle_timeout_s: 0\n      tls_cert: missing-cert.pem\n      tls_key: missing-key.pem\n");
  EXPECT_NE(e.find("5 problems"), std::string::npos) << e;
  EXPECT_NE(e.find("node.yaml:7:13: transports[0] ('ws', plugin transport-websocket) config: 'port': 99999 is "
                   "above the maximum 65535"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("node.yaml:8:26: transports[0] ('ws', plugin transport-websocket) config: 'max_message_bytes': "
                   "-1 is below the minimum 1"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("'idle_timeout_s': 0 is below the minimum 1"), std::string::npos) << e;
  EXPECT_NE(e.find("'tls_cert': /srv/gib/missing-cert.pem does not exist"), std::string::npos) << e;
  EXPECT_NE(e.find("'tls_key': /srv/gib/missing-key.pem does not exist"), std::string::npos) << e;
  std::string zero = errors(
      "node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\ntransports:\n  - name: ws\n"
      "    plugin: transport-websocket\n    config: {max_message_bytes: 0}\n");
  EXPECT_NE(zero.find("'max_message_bytes': 0 is below the minimum 1"), std::string::npos) << zero;
}

// Records that survive a restart next to an identity that does not: refused,
// with the fix named. A memory node, or a signer given secrets_dir, is fine.
TEST_F(DeploymentTest, PersistentSpaceNeedsASignerThatKeepsItsSecrets) {
  const std::string leveldb = "node: {name: a}\nspaces:\n  - {name: main, plugin: space-leveldb, config: {path: db}}\n";
  std::string e = errors(leveldb + "signers:\n  - name: keys\n    plugin: signer-keystone\n");
  EXPECT_NE(e.find("node.yaml:5:5: signers: signer 'keys' keeps its secrets in memory next to the durable space "
                   "'main': add secrets_dir to signer 'keys' config, or the node's identity can never sign after a "
                   "restart"),
            std::string::npos)
      << e;
  auto kept = load(leveldb + "signers:\n  - {name: keys, plugin: signer-keystone, config: {secrets_dir: s}}\n");
  EXPECT_TRUE(kept.ok()) << kept.status().message();
  auto memory = load("node: {name: a}\nspaces: [{name: m, plugin: space-memory}]\nsigners:\n"
                     "  - {name: keys, plugin: signer-ed25519}\n");
  EXPECT_TRUE(memory.ok()) << memory.status().message();
  // A temporary space that persists does not count: the node's records are
  // in the durable one.
  auto staging_on_disk = load(
      "node: {name: a}\nspaces:\n  - {name: m, plugin: space-memory}\n"
      "  - {name: s, plugin: space-leveldb, role: temporary, config: {path: st}}\n"
      "signers:\n  - {name: keys, plugin: signer-ed25519}\n");
  EXPECT_TRUE(staging_on_disk.ok()) << staging_on_disk.status().message();
}

TEST_F(DeploymentTest, MissingFileIsNotFound) {
  auto d = DeploymentLoader().load_file("/nonexistent/node.yaml", registry_, kPluginDirs);
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gibkit::kernel
