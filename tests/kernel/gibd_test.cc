// gibd and gib as a user runs them: --version, `gibd validate` on every
// shipped deployment, refused deployments, and a listener that cannot bind
// failing start-up with the address and the reason (issue 12, "Fail fast and
// say why").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell with a time limit, so a gibd that starts
// serving instead of failing ends the test rather than hanging it.
Outcome execute(const std::string& command) {
  Outcome result;
  FILE* pipe = ::popen(("timeout 20 " + command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

std::string gibd(const std::string& args) {
  return quoted(GIBKIT_GIBD) + " " + args + " --plugin-dir " + quoted(GIBKIT_PLUGIN_DIR);
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// A node with a websocket receiver on address:port.
std::string listening_node(const std::string& address, int port) {
  return "node: {name: n}\n"
         "spaces:\n"
         "  - {name: main, plugin: space-memory}\n"
         "  - {name: staging, plugin: space-memory, role: temporary}\n"
         "signers:\n"
         "  - {name: keys, plugin: signer-ed25519}\n"
         "transports:\n"
         "  - name: ws\n"
         "    plugin: transport-websocket\n"
         "    listen: true\n"
         "    config:\n"
         "      address: " +
         address + "\n      port: " + std::to_string(port) + "\n";
}

TEST(Gibd, VersionIsTheProjectVersion) {
  Outcome r = execute(quoted(GIBKIT_GIBD) + " --version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::string("gibd ") + GIBKIT_PROJECT_VERSION + "\n");
}

TEST(Gib, VersionIsTheProjectVersion) {
  Outcome r = execute(quoted(GIBKIT_GIB) + " --version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::string("gib ") + GIBKIT_PROJECT_VERSION + "\n");
}

// The rules a plugin declares cross the ABI (the schema JSON's "min", "max",
// "mustExist", "persistsState") and gibd plugins shows them.
TEST(Gibd, PluginsListsTheRulesOfEachKey) {
  Outcome r = execute(gibd("plugins"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  port: integer, default 0, min 0, max 65535 - "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  max_message_bytes: integer, default 16777216, min 1, max 1099511627776 - "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("  tls_key: path, default \"\", must exist - "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  secrets_dir: path, persists state - "), std::string::npos) << r.output;
}

// Every deployment shipped in configs/ (and configs/demo/) validates as it
// is. The demo's sync.trust files (exported while the demo runs) are not
// checked by `gibd validate`: sync.trust is a string_list of the saga's
// `sync:` section, not a path key, so no copy with stand-in files is needed.
TEST(Gibd, EveryShippedConfigValidates) {
  std::vector<fs::path> configs;
  for (const auto& entry : fs::recursive_directory_iterator(GIBKIT_CONFIGS_DIR)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") configs.push_back(entry.path());
  }
  ASSERT_GE(configs.size(), 4u) << "configs/ should hold memory-node, leveldb-node and the demo's alice and bob";
  for (const fs::path& config : configs) {
    Outcome r = execute(gibd("validate " + quoted(config)));
    EXPECT_EQ(r.exit_code, 0) << config << ":\n" << r.output;
    EXPECT_NE(r.output.find("OK: "), std::string::npos) << r.output;
  }
}

TEST(Gibd, ValidateRefusesOutOfRangeValuesWithTheirPosition) {
  gibkit::testing::TempDir dir;
  write(dir.path() / "bob.yaml", listening_node("127.0.0.1", 99999) + "      max_message_bytes: 0\n");
  Outcome r = execute(gibd("validate " + quoted(dir.path() / "bob.yaml")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("bob.yaml:13:13: transports[0] ('ws', plugin transport-websocket) config: 'port': 99999 "
                          "is above the maximum 65535"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("bob.yaml:14:26: transports[0] ('ws', plugin transport-websocket) config: "
                          "'max_message_bytes': 0 is below the minimum 1"),
            std::string::npos)
      << r.output;
}

// A trust file that does not exist yet is a warning, not an error: two peers
// write their configs before they export their files for each other.
TEST(Gibd, ValidateWarnsOfTrustFilesItCannotRead) {
  gibkit::testing::TempDir dir;
  write(dir.path() / "here.json", "{}\n");
  write(dir.path() / "n.yaml", listening_node("127.0.0.1", 0) + "sync:\n  trust: [here.json, peer.json]\n");
  Outcome r = execute(gibd("validate " + quoted(dir.path() / "n.yaml")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: sync.trust " + (dir.path() / "peer.json").string() + " cannot be read"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("here.json cannot be read"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OK: "), std::string::npos) << r.output;
}

TEST(Gibd, ValidateRefusesMissingTlsFiles) {
  gibkit::testing::TempDir dir;
  write(dir.path() / "cert.pem", "not checked for content here\n");
  write(dir.path() / "n.yaml", listening_node("127.0.0.1", 0) + "      tls_cert: cert.pem\n      tls_key: key.pem\n");
  Outcome r = execute(gibd("validate " + quoted(dir.path() / "n.yaml")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("1 problem"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("n.yaml:15:16: transports[0] ('ws', plugin transport-websocket) config: 'tls_key': " +
                          (dir.path() / "key.pem").string() + " does not exist"),
            std::string::npos)
      << r.output;
}

TEST(Gibd, ValidateRefusesADurableSpaceWithASignerThatForgets) {
  gibkit::testing::TempDir dir;
  write(dir.path() / "n.yaml",
        "node: {name: n}\n"
        "spaces:\n"
        "  - {name: main, plugin: space-leveldb, config: {path: db}}\n"
        "signers:\n"
        "  - name: keys\n"
        "    plugin: signer-keystone\n");
  Outcome r = execute(gibd("validate " + quoted(dir.path() / "n.yaml")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("n.yaml:5:5: signers: signer 'keys' keeps its secrets in memory next to the durable "
                          "space 'main': add secrets_dir to signer 'keys' config, or the node's identity can never "
                          "sign after a restart"),
            std::string::npos)
      << r.output;
}

// A port another socket listens on.
TEST(Gibd, ListenerOnAPortInUseFailsStartUp) {
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(held, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(held, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(held, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  gibkit::testing::TempDir dir;
  write(dir.path() / "n.yaml", listening_node("127.0.0.1", port));
  Outcome r = execute(gibd("--config " + quoted(dir.path() / "n.yaml")));
  ::close(held);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:" + std::to_string(port) + ": address already in use"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("running"), std::string::npos) << r.output;
}

// 192.0.2.1 (TEST-NET-1, RFC 5737) is assigned to no machine: binding it
// fails with EADDRNOTAVAIL and no packet is sent.
TEST(Gibd, ListenerOnAnAddressNotOnThisMachineFailsStartUp) {
  gibkit::testing::TempDir dir;
  write(dir.path() / "n.yaml", listening_node("192.0.2.1", 4711));
  Outcome r = execute(gibd("--config " + quoted(dir.path() / "n.yaml")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("192.0.2.1:4711: cannot assign requested address"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("running"), std::string::npos) << r.output;
}

TEST(Gibd, ListenerOnANameThatIsNoAddressFailsStartUp) {
  gibkit::testing::TempDir dir;
  write(dir.path() / "n.yaml", listening_node("no-such-interface0", 4711));
  Outcome r = execute(gibd("--config " + quoted(dir.path() / "n.yaml")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no-such-interface0:4711: 'no-such-interface0' is neither an IP address nor a network "
                          "interface of this machine"),
            std::string::npos)
      << r.output;
}

}  // namespace
