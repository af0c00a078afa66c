// gibkit::Transport and gibkit::Connection over a plugin's C tables, and the
// kernel's RequestHandler presented to the plugin as a gibkit_request_handler.
#include <string>

#include "gibkit/plugin/abi_support.h"
#include "host_proxies.h"

namespace gibkit::kernel {
namespace {

class ConnectionProxy final : public Connection {
 public:
  ConnectionProxy(gibkit_connection connection, std::shared_ptr<const void> library)
      : connection_(connection), library_(std::move(library)) {}
  ~ConnectionProxy() override { connection_.vtable->destroy(connection_.self); }
  ConnectionProxy(const ConnectionProxy&) = delete;
  ConnectionProxy& operator=(const ConnectionProxy&) = delete;

  Result<std::string> request(std::string_view message, std::chrono::milliseconds timeout) override {
    std::string response;
    std::string error;
    int code = connection_.vtable->request(connection_.self, abi::to_str(message), timeout.count(),
                                           abi::string_sink(&response), abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    return response;
  }

 private:
  gibkit_connection connection_;
  std::shared_ptr<const void> library_;
};

// The kernel's handler as the plugin sees it; the plugin releases it.
struct HandlerBridge {
  RequestHandler handler;

  static int handle(void* ctx, gibkit_str request, gibkit_sink response, gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      Result<std::string> r = static_cast<HandlerBridge*>(ctx)->handler(abi::to_view(request));
      if (!r.ok()) return r.status();
      abi::write(response, *r);
      return Status();
    });
  }

  static void release(void* ctx) noexcept { delete static_cast<HandlerBridge*>(ctx); }
};

class TransportProxy final : public Transport {
 public:
  TransportProxy(gibkit_transport transport, std::shared_ptr<const void> library)
      : transport_(transport), library_(std::move(library)) {}
  ~TransportProxy() override { transport_.vtable->destroy(transport_.self); }
  TransportProxy(const TransportProxy&) = delete;
  TransportProxy& operator=(const TransportProxy&) = delete;

  Status listen(RequestHandler handler) override {
    auto* bridge = new HandlerBridge{std::move(handler)};
    std::string error;
    int code = transport_.vtable->listen(
        transport_.self, gibkit_request_handler{bridge, &HandlerBridge::handle, &HandlerBridge::release},
        abi::string_sink(&error));
    return abi::to_status(code, std::move(error));
  }

  void stop() override { transport_.vtable->stop(transport_.self); }

  std::string endpoint() const override {
    std::string out;
    transport_.vtable->endpoint(transport_.self, abi::string_sink(&out));
    return out;
  }

  Result<std::unique_ptr<Connection>> connect(std::string_view peer) override {
    gibkit_connection connection{nullptr, nullptr};
    std::string error;
    int code = transport_.vtable->connect(transport_.self, abi::to_str(peer), &connection, abi::string_sink(&error));
    if (code != 0) return abi::to_status(code, std::move(error));
    if (connection.vtable == nullptr) return internal_error("transport plugin returned no connection");
    return std::unique_ptr<Connection>(std::make_unique<ConnectionProxy>(connection, library_));
  }

 private:
  gibkit_transport transport_;
  std::shared_ptr<const void> library_;
};

}  // namespace

std::unique_ptr<Transport> make_transport_proxy(gibkit_transport transport, std::shared_ptr<const void> library) {
  return std::make_unique<TransportProxy>(transport, std::move(library));
}

}  // namespace gibkit::kernel
