// Plugins of each kind whose objects misbehave in ways a real plugin might:
// they throw from every method. The kernel must see Status values, never an
// exception. The kind is chosen at build time (GIBKIT_TEST_KIND).
#include <cstdlib>
#include <stdexcept>

#include <boost/dll/alias.hpp>  // kind 4 exports the entry point as SDK 1.1 did

#include "gibkit/plugin.h"

namespace {

using gibkit::Result;
using gibkit::Status;

[[noreturn]] void fail() { throw std::runtime_error("faulty plugin threw"); }

class FaultySpace final : public gibkit::Space {
 public:
  Status write(const gibkit::WriteBatch&) override { fail(); }
  Result<std::optional<std::string>> get(std::string_view) override { fail(); }
  Result<bool> has(std::string_view) override { fail(); }
  Result<std::optional<std::string>> head(std::string_view) override { fail(); }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>&) override { fail(); }
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>&) override { fail(); }
};

// Echoes requests back to its own handler in process: listen() keeps the
// handler, connect() returns a connection that calls it, so both directions
// of the transport ABI (including the handler callback) are exercised.
class EchoTransport final : public gibkit::Transport {
 public:
  Status listen(gibkit::RequestHandler handler) override {
    handler_ = std::move(handler);
    return Status();
  }
  void stop() override { handler_ = nullptr; }
  std::string endpoint() const override { return handler_ ? "echo://self" : ""; }
  Result<std::unique_ptr<gibkit::Connection>> connect(std::string_view peer) override {
    if (peer == "throw") fail();
    if (!handler_) return gibkit::unavailable("not listening");
    struct Loop final : gibkit::Connection {
      explicit Loop(gibkit::RequestHandler* h) : handler(h) {}
      // "verdict:..." is answered with the admission the handler gave, so
      // a test sees it cross the ABI.
      Result<std::string> request(std::string_view message, std::chrono::milliseconds) override {
        Result<gibkit::Answer> answer = (*handler)(message);
        if (!answer.ok()) return answer.status();
        if (message.rfind("verdict:", 0) == 0) return std::to_string(static_cast<int>(answer->admission));
        return std::move(answer->message);
      }
      gibkit::RequestHandler* handler;
    };
    return std::unique_ptr<gibkit::Connection>(std::make_unique<Loop>(&handler_));
  }

 private:
  gibkit::RequestHandler handler_;
};

// Signs by echoing the claim; verify throws.
class EchoSigner final : public gibkit::Signer {
 public:
  Result<gibkit::IdentityFrames> create_identity(const gibkit::json::Value& options) override {
    return gibkit::IdentityFrames{{gibkit::json::stringify(options)}, "id^gib"};
  }
  Result<gibkit::IdentityFrames> sign(std::string_view latest, const gibkit::Claim& claim) override {
    return gibkit::IdentityFrames{{std::string(latest), claim.verb + ":" + claim.target}, "id2^gib"};
  }
  Result<gibkit::IdentityFrames> revoke(std::string_view, std::string_view reason) override {
    return gibkit::permission_denied("cannot revoke: " + std::string(reason));
  }
  Status verify(std::string_view, std::string_view, const gibkit::Claim&) override { fail(); }
  Status forget(std::string_view identity_tjp) override {
    return gibkit::failed_precondition("forgot " + std::string(identity_tjp));
  }
};

#if GIBKIT_TEST_KIND == 1
gibkit::PluginSpec<gibkit::Space> spec() {
  return {.name = "test-faulty-space", .version = "0", .description = "throws", .config = {},
          .create = [](const gibkit::json::Object&) -> Result<std::unique_ptr<gibkit::Space>> {
            return std::unique_ptr<gibkit::Space>(std::make_unique<FaultySpace>());
          }};
}
#elif GIBKIT_TEST_KIND == 2 || GIBKIT_TEST_KIND == 4
gibkit::PluginSpec<gibkit::Transport> spec() {
  return {.name = "test-echo-transport", .version = "0", .description = "loops back", .config = {},
          .create = [](const gibkit::json::Object&) -> Result<std::unique_ptr<gibkit::Transport>> {
            return std::unique_ptr<gibkit::Transport>(std::make_unique<EchoTransport>());
          }};
}
#else
gibkit::PluginSpec<gibkit::Signer> spec() {
  return {.name = "test-echo-signer", .version = "0", .description = "echoes claims",
          .config = {{.key = "label", .type = gibkit::ConfigType::kString, .required = true,
                      .description = "any text"},
                     {.key = "retries", .type = gibkit::ConfigType::kInteger,
                      .default_value = gibkit::json::Value(3), .description = "a number"}},
          .create = [](const gibkit::json::Object&) -> Result<std::unique_ptr<gibkit::Signer>> {
            return std::unique_ptr<gibkit::Signer>(std::make_unique<EchoSigner>());
          }};
}
#endif

}  // namespace

#if GIBKIT_TEST_KIND == 5
// The echo signer as a plugin built against SDK 1.4 would present it: a
// descriptor of minor 4 and a signer table that ends with verify (no
// forget), so the kernel must not read past it.
namespace {
int forget_trap(void*, gibkit_str, gibkit_sink) { std::abort(); }

int create_1_4(gibkit_str config, gibkit_signer* out, gibkit_sink error) {
  const gibkit_plugin_descriptor* current = gibkit::plugin_detail::describe<&spec>();
  int code = current->create_signer(config, out, error);
  if (code != 0) return code;
  static const gibkit_signer_vtable kOld = [&] {
    gibkit_signer_vtable table = *out->vtable;
    table.struct_size = GIBKIT_SIGNER_VTABLE_SIZE_1_4;
    table.forget = &forget_trap;  // never read: struct_size says it is absent
    return table;
  }();
  out->vtable = &kOld;
  return 0;
}

const gibkit_plugin_descriptor* gibkit_plugin_entry() noexcept {
  static const gibkit_plugin_descriptor kDescriptor = [] {
    gibkit_plugin_descriptor d = *gibkit::plugin_detail::describe<&spec>();
    d.sdk_version_minor = 4;
    d.name = "test-sdk-1-4-signer";
    d.create_signer = &create_1_4;
    return d;
  }();
  return &kDescriptor;
}
}  // namespace
GIBKIT_PLUGIN_ENTRY(gibkit_plugin_entry)
#elif GIBKIT_TEST_KIND == 4
// The echo transport as a plugin built against SDK 1.1 would present it: a
// descriptor of minor 1 and a transport table that ends with connect (no
// listen_admitting), so the kernel must use listen() and drop verdicts.
namespace {
int create_1_1(gibkit_str config, gibkit_transport* out, gibkit_sink error) {
  const gibkit_plugin_descriptor* current = gibkit::plugin_detail::describe<&spec>();
  int code = current->create_transport(config, out, error);
  if (code != 0) return code;
  static const gibkit_transport_vtable kOld = [&] {
    gibkit_transport_vtable table = *out->vtable;
    table.struct_size = GIBKIT_TRANSPORT_VTABLE_SIZE_1_0;
    table.listen_admitting = nullptr;  // never read: struct_size says it is absent
    return table;
  }();
  out->vtable = &kOld;
  return 0;
}

const gibkit_plugin_descriptor* gibkit_plugin_entry() noexcept {
  static const gibkit_plugin_descriptor kDescriptor = [] {
    gibkit_plugin_descriptor d = *gibkit::plugin_detail::describe<&spec>();
    d.sdk_version_minor = 1;
    d.name = "test-sdk-1-1-transport";
    d.create_transport = &create_1_1;
    return d;
  }();
  return &kDescriptor;
}
}  // namespace
// Exported as a plugin built against SDK 1.1 did: a Boost.DLL alias (a data
// symbol pointing to the function), which the kernel still loads.
BOOST_DLL_ALIAS(gibkit_plugin_entry, gibkit_plugin_v1)
#else
GIBKIT_PLUGIN(spec)
#endif
