// The C ABI in both directions, through test plugins: exceptions thrown in a
// plugin arrive as kInternal, transport requests and the kernel's request
// handler round-trip, signer outputs and errors cross intact.
#include <gtest/gtest.h>

#include "gibkit/kernel/plugin/loaded_plugin.h"

namespace gibkit::kernel {
namespace {

const std::filesystem::path kKinds = std::filesystem::path(GIBKIT_TEST_PLUGIN_ROOT) / "kinds";

std::shared_ptr<LoadedPlugin> load(const std::string& file) {
  auto plugin = LoadedPlugin::load(kKinds / file);
  EXPECT_TRUE(plugin.ok()) << plugin.status().to_string();
  return plugin.ok() ? *plugin : nullptr;
}

TEST(AbiProxy, PluginExceptionsBecomeInternalErrors) {
  auto plugin = load("libgibkit_test_faulty_space.so");
  ASSERT_NE(plugin, nullptr);
  auto space = plugin->create_space(json::Object());
  ASSERT_TRUE(space.ok());
  Status written = (*space)->write(WriteBatch{});
  EXPECT_EQ(written.code(), StatusCode::kInternal);
  EXPECT_NE(written.message().find("faulty plugin threw"), std::string::npos) << written.message();
  EXPECT_EQ((*space)->get("a^gib").status().code(), StatusCode::kInternal);
  EXPECT_EQ((*space)->has("a^gib").status().code(), StatusCode::kInternal);
  EXPECT_EQ((*space)->head("t^gib").status().code(), StatusCode::kInternal);
  EXPECT_EQ((*space)->for_each_head([](std::string_view, std::string_view) { return true; }).code(),
            StatusCode::kInternal);
}

// The kernel's admission verdict reaches a 1.2 transport; a transport built
// against SDK 1.1 still loads and serves, and learns nothing (kPending).
TEST(AbiProxy, AdmissionVerdictsCrossToTransportsThatKnowThem) {
  for (const auto& [file, expected] :
       {std::pair<std::string, Admission>{"libgibkit_test_echo_transport.so", Admission::kAuthenticated},
        std::pair<std::string, Admission>{"libgibkit_test_sdk_1_1_transport.so", Admission::kPending}}) {
    SCOPED_TRACE(file);
    auto plugin = load(file);
    ASSERT_NE(plugin, nullptr);
    auto transport = plugin->create_transport(json::Object());
    ASSERT_TRUE(transport.ok()) << transport.status().to_string();
    ASSERT_TRUE((*transport)
                    ->listen([](std::string_view request) -> Result<Answer> {
                      return Answer{"re:" + std::string(request), Admission::kAuthenticated};
                    })
                    .ok());
    auto connection = (*transport)->connect("self");
    ASSERT_TRUE(connection.ok()) << connection.status().to_string();
    auto plain = (*connection)->request("hello", std::chrono::milliseconds(1000));
    ASSERT_TRUE(plain.ok()) << plain.status().to_string();
    EXPECT_EQ(*plain, "re:hello");
    auto verdict = (*connection)->request("verdict:x", std::chrono::milliseconds(1000));
    ASSERT_TRUE(verdict.ok()) << verdict.status().to_string();
    EXPECT_EQ(*verdict, std::to_string(static_cast<int>(expected)));
    connection->reset();
    (*transport)->stop();
  }
}

TEST(AbiProxy, TransportCarriesRequestsToTheKernelHandlerAndBack) {
  auto plugin = load("libgibkit_test_echo_transport.so");
  ASSERT_NE(plugin, nullptr);
  auto transport = plugin->create_transport(json::Object());
  ASSERT_TRUE(transport.ok());
  EXPECT_EQ((*transport)->endpoint(), "");
  ASSERT_TRUE((*transport)
                  ->listen([](std::string_view request) -> Result<Answer> {
                    if (request == "deny") return permission_denied("denied by handler");
                    if (request == "throw") throw std::runtime_error("handler threw");
                    return Answer{"re:" + std::string(request)};
                  })
                  .ok());
  EXPECT_EQ((*transport)->endpoint(), "echo://self");
  auto connection = (*transport)->connect("self");
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  auto reply = (*connection)->request("hello", std::chrono::milliseconds(1000));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, "re:hello");
  auto denied = (*connection)->request("deny", std::chrono::milliseconds(1000));
  EXPECT_EQ(denied.status(), permission_denied("denied by handler"));
  EXPECT_EQ((*connection)->request("throw", std::chrono::milliseconds(1000)).status().code(),
            StatusCode::kInternal);
  EXPECT_EQ((*transport)->connect("throw").status().code(), StatusCode::kInternal);
  connection->reset();
  (*transport)->stop();  // releases the handler (LeakSanitizer checks it is freed)
  EXPECT_EQ((*transport)->endpoint(), "");
}

TEST(AbiProxy, SignerOutputsAndErrorsCrossIntact) {
  auto plugin = load("libgibkit_test_echo_signer.so");
  ASSERT_NE(plugin, nullptr);
  ASSERT_EQ(plugin->config_schema().size(), 2u);
  json::Object config{{"label", json::Value("x")}, {"retries", json::Value(3)}};
  auto signer = plugin->create_signer(config);
  ASSERT_TRUE(signer.ok()) << signer.status().to_string();
  auto created = (*signer)->create_identity(json::Value(json::Object{{"k", json::Value(1)}}));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->records_json, std::vector<std::string>{R"({"k":1})"});
  EXPECT_EQ(created->latest_address, "id^gib");
  auto signed_frames = (*signer)->sign("frame", Claim{"sync", "a^gib"});
  ASSERT_TRUE(signed_frames.ok());
  EXPECT_EQ(signed_frames->records_json, (std::vector<std::string>{"frame", "sync:a^gib"}));
  EXPECT_EQ((*signer)->revoke("frame", "lost").status(), permission_denied("cannot revoke: lost"));
  EXPECT_EQ((*signer)->verify("a", "b", Claim{"sync", "x"}).code(), StatusCode::kInternal);
  EXPECT_EQ((*signer)->forget("id^gib"), failed_precondition("forgot id^gib"));
  auto session = (*signer)->create_identity(json::Object{{"preset", "session"}, {"lifetime", "saga"}});
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->records_json, std::vector<std::string>{R"({"preset":"session","lifetime":"saga"})"});
}

// A signer built against SDK 1.4 has no forget: the kernel reads nothing past
// its table (the entry there aborts) and the signer keeps what it kept.
TEST(AbiProxy, ASignerBuiltBeforeForgetIsNotAskedToForget) {
  auto plugin = load("libgibkit_test_sdk_1_4_signer.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->sdk_version(), "1.4");
  auto signer = plugin->create_signer(json::Object{{"label", json::Value("x")}});
  ASSERT_TRUE(signer.ok()) << signer.status().to_string();
  EXPECT_TRUE((*signer)->forget("id^gib").ok());
  auto signed_frames = (*signer)->sign("frame", Claim{"sync", "a^gib"});
  ASSERT_TRUE(signed_frames.ok());
  // Nor does it get "lifetime", a key of 1.5 it would not know (the echo
  // signer hands its options back as its first record).
  auto created = (*signer)->create_identity(json::Object{{"preset", "session"}, {"lifetime", "saga"}});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->records_json, std::vector<std::string>{R"({"preset":"session"})"});
}

}  // namespace
}  // namespace gibkit::kernel
