// gibkit::Transport and gibkit::Connection over a plugin's C tables, and the
// kernel's RequestHandler presented to the plugin as a gibkit_request_handler.
#include <cstddef>
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

// The kernel's handler as the plugin sees it; the plugin releases it. A
// 1.0/1.1 transport gets `handle`, which drops the admission verdict.
struct HandlerBridge {
  RequestHandler handler;

  static int handle(void* ctx, gibkit_str request, gibkit_sink response, gibkit_sink error) noexcept {
    int ignored = GIBKIT_ADMISSION_PENDING;
    return handle_admitting(ctx, request, &ignored, response, error);
  }

  static int handle_admitting(void* ctx, gibkit_str request, int* admission, gibkit_sink response,
                              gibkit_sink error) noexcept {
    *admission = GIBKIT_ADMISSION_REFUSED;  // also what a throwing handler leaves
    return abi::guarded(error, [&]() -> Status {
      Result<Answer> r = static_cast<HandlerBridge*>(ctx)->handler(abi::to_view(request));
      if (!r.ok()) return r.status();
      *admission = static_cast<int>(r->admission);
      abi::write(response, r->message);
      return Status();
    });
  }

  static void release(void* ctx) noexcept { delete static_cast<HandlerBridge*>(ctx); }
};

bool has_listen_admitting(const gibkit_transport_vtable& vtable) {
  return vtable.struct_size >= offsetof(gibkit_transport_vtable, listen_admitting) + sizeof(vtable.listen_admitting) &&
         vtable.listen_admitting != nullptr;
}

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
    int code = 0;
    if (has_listen_admitting(*transport_.vtable)) {
      const gibkit_admitting_handler admitting{sizeof(gibkit_admitting_handler), bridge,
                                               &HandlerBridge::handle_admitting, &HandlerBridge::release};
      code = transport_.vtable->listen_admitting(transport_.self, &admitting, abi::string_sink(&error));
    } else {
      code = transport_.vtable->listen(
          transport_.self, gibkit_request_handler{bridge, &HandlerBridge::handle, &HandlerBridge::release},
          abi::string_sink(&error));
    }
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
