// Configuration of the websocket transport: defaults, validation, schema.
#include "websocket_config.h"

#include <gtest/gtest.h>

namespace gibkit::plugins::websocket {
namespace {

Result<WebsocketConfig> parse_text(std::string_view text) {
  Result<json::Value> value = json::parse(text);
  EXPECT_TRUE(value.ok()) << text;
  return parse_websocket_config(value->as_object());
}

TEST(WebsocketConfig, EmptyObjectGivesDefaults) {
  Result<WebsocketConfig> config = parse_text("{}");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->address, "127.0.0.1");
  EXPECT_EQ(config->port, 0);
  EXPECT_EQ(config->max_message_bytes, 16u * 1024 * 1024);
  EXPECT_FALSE(config->tls_enabled());
}

TEST(WebsocketConfig, ReadsEveryKind) {
  Result<WebsocketConfig> config =
      parse_text(R"({"port": 4100, "tls_insecure_skip_verify": true, "max_frame_bytes": 4096, "tls_ca": "ca.pem"})");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->port, 4100);
  EXPECT_TRUE(config->tls_insecure_skip_verify);
  EXPECT_EQ(config->max_frame_bytes, 4096u);
  EXPECT_EQ(config->tls_ca, "ca.pem");
}

TEST(WebsocketConfig, RejectsBadInputNamingTheKey) {
  struct Case {
    const char* text;
    const char* names;
  } cases[] = {
      {R"({"prot": 1})", "prot"},
      {R"({"port": 70000})", "port"},
      {R"({"port": 1.5})", "port"},
      {R"({"port": "80"})", "port"},
      {R"({"tls_insecure_skip_verify": 1})", "tls_insecure_skip_verify"},
      {R"({"tls_cert": "c.pem"})", "tls_key"},
      {R"({"max_frame_bytes": 2})", "max_frame_bytes"},
      {R"({"max_frame_bytes": 2048, "max_message_bytes": 1024})", "max_frame_bytes"},
      {R"({"compression": "zstd"})", "compression"},
      {R"({"compression": true})", "compression"},
  };
  for (const Case& c : cases) {
    Result<WebsocketConfig> config = parse_text(c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(c.names), std::string::npos) << config.status().message();
  }
}

TEST(WebsocketConfig, SchemaListsEveryKeyWithItsDefault) {
  std::vector<ConfigKey> schema = websocket_config_schema();
  json::Object defaults;
  for (const ConfigKey& key : schema) {
    ASSERT_TRUE(key.default_value.has_value()) << key.key;
    EXPECT_FALSE(key.description.empty()) << key.key;
    defaults.set(key.key, *key.default_value);
  }
  // The schema's defaults are themselves a valid configuration.
  Result<WebsocketConfig> config = parse_websocket_config(defaults);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->idle_timeout_s, WebsocketConfig().idle_timeout_s);
  EXPECT_EQ(schema.size(), 22u);
}

TEST(WebsocketConfig, SourceAddressMustBeAnIpAddress) {
  EXPECT_EQ(parse_text(R"({"source_address": "127.0.0.2"})")->source_address, "127.0.0.2");
  EXPECT_TRUE(parse_text(R"({"source_address": "::1"})").ok());
  Result<WebsocketConfig> named = parse_text(R"({"source_address": "eth0"})");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(named.status().message().find("source_address"), std::string::npos) << named.status().to_string();
}

TEST(WebsocketConfig, CompressionIsNoneUnlessDeflateIsAsked) {
  EXPECT_EQ(parse_text("{}")->compression, Compression::kNone);
  EXPECT_EQ(parse_text(R"({"compression": "none"})")->compression, Compression::kNone);
  EXPECT_EQ(parse_text(R"({"compression": "deflate"})")->compression, Compression::kDeflate);
  for (const ConfigKey& key : websocket_config_schema()) {
    if (key.key != "compression") continue;
    EXPECT_EQ(key.type, ConfigType::kString);
    EXPECT_EQ(key.one_of, (std::vector<std::string>{"none", "deflate"}));
    EXPECT_EQ(key.default_value->as_string(), "none");
  }
}

// Pending connections need at least one slot of their own.
TEST(WebsocketConfig, ReservedConnectionsMustLeaveRoomForPendingOnes) {
  Result<WebsocketConfig> config = parse_websocket_config(
      json::Object{{"max_connections", 8.0}, {"reserved_connections", 8.0}});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("reserved_connections"), std::string::npos) << config.status().to_string();
}

// The bounds parse_websocket_config enforces are declared in the schema too,
// so the kernel refuses a bad value with its file:line:column at validation.
TEST(WebsocketConfig, SchemaDeclaresBoundsAndFilesThatMustExist) {
  auto find = [](std::string_view name) {
    for (const ConfigKey& key : websocket_config_schema()) {
      if (key.key == name) return key;
    }
    ADD_FAILURE() << "no key " << name;
    return ConfigKey{};
  };
  EXPECT_EQ(find("port").min, 0);
  EXPECT_EQ(find("port").max, 65535);
  for (std::string_view positive : {"max_message_bytes", "max_frame_bytes", "max_send_queue_bytes", "max_in_flight",
                                    "max_connections", "worker_threads", "request_timeout_ms",
                                    "handshake_timeout_s", "idle_timeout_s", "max_pending_per_address",
                                    "preauth_max_message_bytes", "preauth_timeout_s", "max_buffered_bytes"}) {
    ConfigKey key = find(positive);
    ASSERT_TRUE(key.min.has_value()) << positive;
    EXPECT_GE(*key.min, 1) << positive;
    EXPECT_TRUE(key.max.has_value()) << positive;
  }
  for (std::string_view file : {"tls_cert", "tls_key", "tls_ca"}) {
    EXPECT_EQ(find(file).type, ConfigType::kPath) << file;
    EXPECT_TRUE(find(file).must_exist) << file;
  }
  EXPECT_FALSE(find("address").min.has_value());
  std::string json = config_schema_to_json(websocket_config_schema());
  EXPECT_NE(json.find(R"("min":0,"max":65535)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("mustExist":true)"), std::string::npos) << json;
}

}  // namespace
}  // namespace gibkit::plugins::websocket
