// File: gibkit/plugin/transport_export.h
//
// Plugin side of the transport ABI: presents gibkit::Transport and
// gibkit::Connection objects as C tables, and the kernel's C request handler
// as a gibkit::RequestHandler. The handler is released (its `release` called
// once) when the transport drops the last copy of the RequestHandler, which
// the Transport contract requires by stop() or destruction.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gibkit/plugin/abi_support.h"
#include "gibkit/plugin_abi.h"
#include "gibkit/transport.h"

namespace gibkit::plugin_detail {

struct ConnectionExport {
  static void destroy(void* p) noexcept { delete static_cast<Connection*>(p); }

  static int request(void* p, gibkit_str message, int64_t timeout_ms, gibkit_sink response,
                     gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      Result<std::string> r =
          static_cast<Connection*>(p)->request(abi::to_view(message), std::chrono::milliseconds(timeout_ms));
      if (!r.ok()) return r.status();
      abi::write(response, *r);
      return Status();
    });
  }

  static const gibkit_connection_vtable* vtable() noexcept {
    static constexpr gibkit_connection_vtable kTable = {sizeof(gibkit_connection_vtable), &destroy, &request};
    return &kTable;
  }
};

struct TransportExport {
  static Transport& self(void* p) { return *static_cast<Transport*>(p); }

  static void destroy(void* p) noexcept { delete static_cast<Transport*>(p); }

  // Releases the kernel's handler when the last RequestHandler copy goes.
  template <typename Handler>
  struct HandlerLease {
    explicit HandlerLease(Handler h) noexcept : handler(h) {}
    HandlerLease(const HandlerLease&) = delete;
    HandlerLease& operator=(const HandlerLease&) = delete;
    ~HandlerLease() { handler.release(handler.ctx); }
    Handler handler;
  };

  // The kernel's verdict as gibkit::Admission; an unknown value (from a newer
  // kernel) counts as nothing learned.
  static Admission admission_of(int value) noexcept {
    switch (value) {
      case GIBKIT_ADMISSION_AUTHENTICATED: return Admission::kAuthenticated;
      case GIBKIT_ADMISSION_REFUSED: return Admission::kRefused;
      default: return Admission::kPending;
    }
  }

  // Hands `self(p)` a RequestHandler calling `handler` through `call`.
  template <typename Handler, typename Call>
  static int listen_with(void* p, Handler handler, gibkit_sink error, Call call) noexcept {
    std::shared_ptr<HandlerLease<Handler>> lease;
    try {
      lease = std::make_shared<HandlerLease<Handler>>(handler);
    } catch (...) {
      handler.release(handler.ctx);
      abi::write(error, "out of memory");
      return static_cast<int>(StatusCode::kResourceExhausted);
    }
    return abi::guarded(error, [&] {
      RequestHandler wrapped = [lease, call](std::string_view request) -> Result<Answer> {
        return call(lease->handler, request);
      };
      lease.reset();  // the RequestHandler now holds the only reference
      return self(p).listen(std::move(wrapped));
    });
  }

  // A 1.0/1.1 kernel's handler: no verdict, so connections stay as they are.
  static int listen(void* p, gibkit_request_handler handler, gibkit_sink error) noexcept {
    return listen_with(p, handler, error, [](const gibkit_request_handler& h, std::string_view request) -> Result<Answer> {
      Answer answer;
      std::string message;
      int code = h.handle(h.ctx, abi::to_str(request), abi::string_sink(&answer.message), abi::string_sink(&message));
      if (code != 0) return abi::to_status(code, std::move(message));
      return answer;
    });
  }

  static int listen_admitting(void* p, const gibkit_admitting_handler* handler, gibkit_sink error) noexcept {
    return listen_with(p, *handler, error,
                       [](const gibkit_admitting_handler& h, std::string_view request) -> Result<Answer> {
                         Answer answer;
                         std::string message;
                         int admission = GIBKIT_ADMISSION_REFUSED;
                         int code = h.handle(h.ctx, abi::to_str(request), &admission,
                                             abi::string_sink(&answer.message), abi::string_sink(&message));
                         answer.admission = admission_of(admission);
                         if (code != 0) return abi::to_status(code, std::move(message));
                         return answer;
                       });
  }

  static void stop(void* p) noexcept {
    try {
      self(p).stop();
    } catch (...) {
      // stop() has no error channel; a throwing stop is a plugin bug we contain.
    }
  }

  static void endpoint(void* p, gibkit_sink out) noexcept {
    try {
      abi::write(out, self(p).endpoint());
    } catch (...) {
      // No error channel: an empty endpoint means "not listening".
    }
  }

  static int connect(void* p, gibkit_str peer, gibkit_connection* out, gibkit_sink error) noexcept {
    return abi::guarded(error, [&]() -> Status {
      Result<std::unique_ptr<Connection>> c = self(p).connect(abi::to_view(peer));
      if (!c.ok()) return c.status();
      if (*c == nullptr) return internal_error("transport returned a null connection");
      *out = gibkit_connection{c->release(), ConnectionExport::vtable()};
      return Status();
    });
  }

  static const gibkit_transport_vtable* vtable() noexcept {
    static constexpr gibkit_transport_vtable kTable = {
        sizeof(gibkit_transport_vtable), &destroy, &listen, &stop, &endpoint, &connect, &listen_admitting,
    };
    return &kTable;
  }

  static gibkit_transport wrap(std::unique_ptr<Transport> t) noexcept {
    return gibkit_transport{t.release(), vtable()};
  }
};

}  // namespace gibkit::plugin_detail
