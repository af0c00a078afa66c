#include "sender.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <libwebsockets.h>

#include "deflate.h"
#include "envelope.h"
#include "event_loop.h"
#include "wire_limits.h"

namespace gibkit::plugins::websocket {
namespace {

using Clock = std::chrono::steady_clock;

// Where a connection goes, from its URL.
struct Target {
  std::string url;
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path;  // with its leading '/'
};

Result<Target> parse_target(std::string_view peer) {
  std::string buffer(peer);  // lws_parse_uri cuts its input in place
  const char* scheme = nullptr;
  const char* host = nullptr;
  const char* path = nullptr;
  int port = 0;
  if (peer.find('\0') != std::string_view::npos || lws_parse_uri(buffer.data(), &scheme, &host, &port, &path) != 0) {
    return invalid_argument("malformed websocket URL \"" + std::string(peer) + "\"");
  }
  Target target;
  target.url = std::string(peer);
  if (std::strcmp(scheme, "wss") == 0) {
    target.tls = true;
  } else if (std::strcmp(scheme, "ws") != 0) {
    return invalid_argument("websocket URL \"" + target.url + "\" must start with ws:// or wss://");
  }
  target.host = host;
  if (target.host.empty()) return invalid_argument("websocket URL \"" + target.url + "\" has no host");
  if (port <= 0 || port > 65535) return invalid_argument("websocket URL \"" + target.url + "\" has a bad port");
  target.port = port;
  target.path = std::string("/") + path;
  return target;
}

// One request waiting for its response.
struct Pending {
  bool sent = false;  // some part was handed to the socket
  bool done = false;
  Result<std::string> result{unavailable("no response")};
  std::string assembly;  // response parts received so far
  std::uint32_t next_part = 0;
  std::uint32_t parts = 0;
};

struct Outgoing {
  std::uint64_t id;
  std::string wire;  // with LWS_PRE headroom
};

enum class Phase { kIdle, kConnecting, kOpen };

// The state of one Connection, shared by its callers and the loop thread.
struct Link {
  explicit Link(Target t) : target(std::move(t)) {}
  const Target target;
  std::atomic<std::uint64_t> next_id{1};

  std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex (written on the loop thread, except pending and outbox).
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending;
  std::deque<Outgoing> outbox;
  std::size_t outbox_bytes = 0;
  Phase phase = Phase::kIdle;
  int attempts = 0;
  // A handshake completed once: open() succeeded, even when the peer closed
  // the socket before the opening thread looked (a full receiver admits the
  // upgrade and then closes it with its reason, which the first request
  // then reports on its own socket).
  bool opened = false;
  Status last_error;

  // Loop thread only.
  lws* wsi = nullptr;
  // Ids with a part written to the current socket: their remaining parts
  // must never go to another socket, whose peer would see a part out of order.
  std::set<std::uint64_t> started;
  bool closing = false;   // its Connection is gone
  bool dropping = false;  // this end is closing the current socket; nothing more goes on it
  std::string message;   // websocket message being received
  // The part last given to lws_write; with permessage-deflate libwebsockets
  // sends the rest of it from this buffer after lws_write returned, before
  // the next WRITEABLE callback reaches us, so it lives until then.
  Outgoing written{};
};

}  // namespace

class Sender::Impl {
 public:
  explicit Impl(const WebsocketConfig& config) : config_(config) {}

  ~Impl() {
    // Closes every socket; their callbacks still find sockets_ and loop_
    // (event_loop.h says why the loop is stopped before it is released).
    if (loop_) loop_->stop();
  }

  Status start() {
    if (!config_.tls_ca.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(config_.tls_ca, ec)) {
        return invalid_argument("TLS CA file \"" + config_.tls_ca + "\" is not a readable file");
      }
    }
    protocols_[0] = lws_protocols{kSubprotocol, &Impl::callback, 0, kReadChunkBytes, 0, this, 0};
    protocols_[1] = lws_protocols{nullptr, nullptr, 0, 0, 0, nullptr, 0};
    // The context alone; its vhosts are made below. A client vhost that can
    // speak TLS loads the system's CA certificates as it is made (~10 ms of
    // CPU, a tenth of a small `gib sync`), so the vhost for ws:// peers has
    // no TLS, and the one for wss:// peers is made when the first is dialled.
    lws_context_creation_info info{};
    info.user = this;
    info.timeout_secs = static_cast<unsigned>(config_.handshake_timeout_s);
    info.connect_timeout_secs = static_cast<unsigned>(config_.handshake_timeout_s);
    // UTF-8 validation of text frames is read from the context's options.
    info.pt_serv_buf_size = kServiceBufferBytes;  // wire_limits.h: reads of 64 KiB, not 4 KiB
    info.options =
        LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    GIBKIT_ASSIGN_OR_RETURN(loop_, EventLoop::create(info, "websocket sender"));
    // Before the loop runs, so still on this thread.
    plain_vhost_ = make_vhost(/*tls=*/false);
    if (plain_vhost_ == nullptr) return unavailable("libwebsockets could not create the websocket sender's vhost");
    loop_->run();
    return Status();
  }

  // A client vhost: `tls` for wss:// peers (trusting tls_ca, else the
  // system's CAs). On the loop's thread once it runs.
  lws_vhost* make_vhost(bool tls) {
    lws_context_creation_info info{};
    info.protocols = protocols_;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.vhost_name = tls ? "gibkit-sender-wss" : "gibkit-sender-ws";
    // Per vhost in libwebsockets 4.1 (lws_create_vhost copies them; the
    // connect timeout would otherwise be its default 20 s).
    info.timeout_secs = static_cast<unsigned>(config_.handshake_timeout_s);
    info.connect_timeout_secs = static_cast<unsigned>(config_.handshake_timeout_s);
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (tls) {
      info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      if (!config_.tls_ca.empty()) info.client_ssl_ca_filepath = config_.tls_ca.c_str();
    }
    // Offered in every upgrade; the receiver decides (deflate.h).
    if (config_.compression == Compression::kDeflate) info.extensions = deflate_extensions();
    return lws_create_vhost(loop_->context(), &info);
  }

  Result<std::shared_ptr<Link>> open(std::string_view peer) {
    GIBKIT_ASSIGN_OR_RETURN(Target target, parse_target(peer));
    auto link = std::make_shared<Link>(std::move(target));
    loop_->post([this, link] { open_socket(link); });
    std::unique_lock lock(link->mutex);
    auto deadline = Clock::now() + std::chrono::seconds(config_.handshake_timeout_s + 1);
    bool settled = link->changed.wait_until(lock, deadline, [&] {
      return link->attempts > 0 && link->phase != Phase::kConnecting;
    });
    if (settled && (link->phase == Phase::kOpen || link->opened)) return link;
    Status why = settled ? link->last_error : unavailable("no websocket handshake with " + link->target.url);
    lock.unlock();
    release(link);
    return why;
  }

  // Called by a Connection as it is destroyed: closes its socket.
  void release(const std::shared_ptr<Link>& link) {
    loop_->post([link] {
      link->closing = true;
      if (link->wsi != nullptr) lws_callback_on_writable(link->wsi);
    });
  }

  Result<std::string> request(const std::shared_ptr<Link>& link, std::string_view message,
                              std::chrono::milliseconds timeout) {
    if (message.size() > config_.max_message_bytes) {
      return resource_exhausted("request of " + std::to_string(message.size()) + " bytes exceeds max_message_bytes " +
                                std::to_string(config_.max_message_bytes));
    }
    const std::chrono::milliseconds limit(config_.request_timeout_ms);
    if (timeout <= std::chrono::milliseconds::zero() || timeout > limit) timeout = limit;
    const auto deadline = Clock::now() + timeout;

    const std::uint64_t id = link->next_id++;
    std::vector<std::string> parts = encode_message(PartKind::kRequest, id, message, config_.max_frame_bytes, LWS_PRE);
    std::size_t bytes = 0;
    for (const std::string& part : parts) bytes += part.size();
    auto pending = std::make_shared<Pending>();
    {
      std::unique_lock lock(link->mutex);
      if (!link->changed.wait_until(lock, deadline, [&] {
            return link->pending.size() < static_cast<std::size_t>(config_.max_in_flight);
          })) {
        return deadline_exceeded("no request slot on " + link->target.url + " within the timeout (max_in_flight " +
                                 std::to_string(config_.max_in_flight) + ")");
      }
      // A message larger than the whole queue may still go, alone.
      if (link->outbox_bytes > 0 && link->outbox_bytes + bytes > config_.max_send_queue_bytes) {
        return resource_exhausted("send queue to " + link->target.url +
                                  " is full (max_send_queue_bytes); the peer is not reading");
      }
      link->pending[id] = pending;
      for (std::string& part : parts) link->outbox.push_back(Outgoing{id, std::move(part)});
      link->outbox_bytes += bytes;
    }
    loop_->post([this, link] { flush(link); });

    std::unique_lock lock(link->mutex);
    bool done = link->changed.wait_until(lock, deadline, [&] { return pending->done; });
    link->pending.erase(id);
    link->changed.notify_all();  // a slot is free
    if (done) return std::move(pending->result);
    if (!pending->sent) drop_queued(*link, id);
    return deadline_exceeded("no response from " + link->target.url + " within " + std::to_string(timeout.count()) +
                             " ms");
  }

 private:
  // Removes the unsent parts of request `id`; link->mutex held.
  static void drop_queued(Link& link, std::uint64_t id) {
    std::erase_if(link.outbox, [&](const Outgoing& out) {
      if (out.id != id) return false;
      link.outbox_bytes -= out.wire.size();
      return true;
    });
  }

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
      if (self->loop_) self->loop_->run_posted();
      return 0;
    }
    std::shared_ptr<Link> link = self->link_of(wsi);
    if (!link) return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
      case LWS_CALLBACK_CLIENT_ESTABLISHED:
        self->on_established(*link);
        return 0;
      case LWS_CALLBACK_CLIENT_RECEIVE:
        return self->on_receive(*link, static_cast<const char*>(in), len);
      case LWS_CALLBACK_CLIENT_WRITEABLE:
        return self->on_writeable(*link);
      case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        // `in` is a NUL-terminated description of the failure, or null.
        std::string why = in != nullptr ? std::string(static_cast<const char*>(in)) : std::string();
        self->on_gone(link, wsi, unavailable("cannot connect to " + link->target.url + (why.empty() ? "" : ": " + why)),
                      /*never_opened=*/true);
        return 0;
      }
      case LWS_CALLBACK_CLIENT_CLOSED:
      case LWS_CALLBACK_WSI_DESTROY:
        self->on_gone(link, wsi, unavailable("connection to " + link->target.url + " dropped"),
                      /*never_opened=*/false);
        return 0;
      default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
  }

  std::shared_ptr<Link> link_of(lws* wsi) {
    auto it = sockets_.find(wsi);
    if (it != sockets_.end()) return it->second;
    return connecting_;  // a callback from inside lws_client_connect_via_info
  }

  void open_socket(const std::shared_ptr<Link>& link) {
    if (link->closing || link->phase != Phase::kIdle) return;
    {
      std::lock_guard lock(link->mutex);
      link->phase = Phase::kConnecting;
      ++link->attempts;
    }
    const Target& target = link->target;
    if (target.tls && tls_vhost_ == nullptr) tls_vhost_ = make_vhost(/*tls=*/true);
    lws_vhost* vhost = target.tls ? tls_vhost_ : plain_vhost_;
    if (vhost == nullptr) {
      on_gone(link, nullptr, unavailable("libwebsockets could not create the TLS client context for " + target.url),
              /*never_opened=*/true);
      return;
    }
    lws_client_connect_info info{};
    info.context = loop_->context();
    info.vhost = vhost;
    info.address = target.host.c_str();
    info.port = target.port;
    info.path = target.path.c_str();
    info.host = target.host.c_str();
    info.origin = target.host.c_str();
    info.protocol = kSubprotocol;
    info.ietf_version_or_minus_one = -1;
    // libwebsockets binds the socket to this IP before connecting.
    if (!config_.source_address.empty()) info.iface = config_.source_address.c_str();
    if (target.tls) {
      info.ssl_connection = LCCSCF_USE_SSL;
      if (config_.tls_insecure_skip_verify) {
        info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                               LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
      }
    }
    connecting_ = link;
    lws* wsi = lws_client_connect_via_info(&info);
    connecting_.reset();
    if (wsi == nullptr) {
      on_gone(link, nullptr, unavailable("cannot connect to " + target.url), /*never_opened=*/true);
      return;
    }
    if (link->phase == Phase::kConnecting) {
      link->wsi = wsi;
      sockets_[wsi] = link;
    }
  }

  // A request was queued: connect, or ask for a WRITEABLE callback.
  void flush(const std::shared_ptr<Link>& link) {
    if (link->closing) return;
    if (link->phase == Phase::kIdle) {
      open_socket(link);
    } else if (link->phase == Phase::kOpen && !link->dropping) {
      lws_callback_on_writable(link->wsi);
    }
  }

  void on_established(Link& link) {
    bool queued;
    {
      std::lock_guard lock(link.mutex);
      link.phase = Phase::kOpen;
      link.opened = true;
      link.last_error = Status();
      queued = !link.outbox.empty();
    }
    link.changed.notify_all();
    if (queued || link.closing) lws_callback_on_writable(link.wsi);
  }

  int on_writeable(Link& link) {
    if (link.dropping) return 0;  // the close is under way; queued parts wait for the next socket
    if (link.closing) {
      lws_close_reason(link.wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
      return -1;
    }
    Outgoing& out = link.written;
    bool more;
    {
      std::lock_guard lock(link.mutex);
      if (link.outbox.empty()) return 0;
      out = std::move(link.outbox.front());
      link.outbox.pop_front();
      link.outbox_bytes -= out.wire.size();
      auto it = link.pending.find(out.id);
      if (it != link.pending.end()) it->second->sent = true;
      link.started.insert(out.id);
      more = !link.outbox.empty();
    }
    auto* payload = reinterpret_cast<unsigned char*>(out.wire.data()) + LWS_PRE;
    std::size_t size = out.wire.size() - LWS_PRE;
    if (lws_write(link.wsi, payload, size, LWS_WRITE_TEXT) < static_cast<int>(size)) return -1;
    if (more) lws_callback_on_writable(link.wsi);
    return 0;
  }

  int on_receive(Link& link, const char* data, std::size_t len) {
    if (lws_frame_is_binary(link.wsi)) return violation(link, invalid_argument("peer sent a binary message"));
    if (link.message.size() + len > config_.max_frame_bytes + kMaxHeaderBytes) {
      return violation(link, resource_exhausted("peer sent a websocket message over max_frame_bytes"));
    }
    link.message.append(data, len);
    if (!lws_is_final_fragment(link.wsi) || lws_remaining_packet_payload(link.wsi) != 0) return 0;
    std::string wire;
    wire.swap(link.message);
    Result<Part> decoded = decode_part(wire, config_.max_frame_bytes);
    if (!decoded.ok()) return violation(link, decoded.status());
    const PartHeader& header = decoded->header;
    if (header.kind == PartKind::kRequest) return violation(link, invalid_argument("peer sent a request part"));

    if (decoded->header.kind == PartKind::kError && decoded->header.fatal) {
      on_fatal_error(link, decoded->header);
      link.dropping = true;
      lws_close_reason(link.wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
      return -1;
    }
    Status broken = accept_part(link, *decoded);
    return broken.ok() ? 0 : violation(link, broken);
  }

  // The peer is closing this socket because of a protocol violation. The
  // request it names gets its error; the other requests sent on the socket
  // are lost with it. Requests still queued go out on a new socket.
  void on_fatal_error(Link& link, const PartHeader& header) {
    std::lock_guard lock(link.mutex);
    auto it = link.pending.find(header.id);
    if (it != link.pending.end() && !it->second->done) complete(link, *it->second, status_from_error(header));
    fail_sent(link, unavailable("peer closed the connection to " + link.target.url +
                                " after a protocol error: " + header.message));
  }

  // Files one response or error part with its request; a Status that is not
  // OK means the peer broke the protocol.
  Status accept_part(Link& link, const Part& part) {
    const PartHeader& header = part.header;
    if (header.kind == PartKind::kRequest) return invalid_argument("peer sent a request part");
    std::lock_guard lock(link.mutex);
    auto it = link.pending.find(header.id);
    if (it == link.pending.end() || it->second->done) return Status();  // its caller gave up waiting
    Pending& pending = *it->second;
    if (header.kind == PartKind::kError) {
      complete(link, pending, status_from_error(header));
      return Status();
    }
    if (header.part != pending.next_part || (header.part > 0 && header.parts != pending.parts)) {
      return invalid_argument("response part " + std::to_string(header.part) + " of request " +
                              std::to_string(header.id) + " is out of order");
    }
    if (pending.assembly.size() + part.body.size() > config_.max_message_bytes) {
      return resource_exhausted("response exceeds max_message_bytes " + std::to_string(config_.max_message_bytes));
    }
    pending.parts = header.parts;
    pending.assembly.append(part.body);
    if (++pending.next_part == pending.parts) {
      pending.result = Result<std::string>(std::move(pending.assembly));
      pending.done = true;
      link.changed.notify_all();
    }
    return Status();
  }

  // link.mutex held.
  static void complete(Link& link, Pending& pending, const Status& failure) {
    pending.done = true;
    pending.result = failure;
    link.changed.notify_all();
  }

  // Fails the requests that went (even partly) onto the socket; link.mutex held.
  static void fail_sent(Link& link, const Status& why) {
    for (auto& [id, pending] : link.pending) {
      if (!pending->sent || pending->done) continue;
      complete(link, *pending, why);
      drop_queued(link, id);
    }
  }

  // The peer sent something this end cannot accept: fail what it was sent
  // and close with a protocol error.
  int violation(Link& link, const Status& status) {
    {
      std::lock_guard lock(link.mutex);
      fail_sent(link, Status(status.code(), "peer broke the protocol: " + status.message()));
    }
    link.dropping = true;
    lws_close_reason(link.wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, nullptr, 0);
    return -1;
  }

  // The socket closed or never opened. Requests it carried fail with `why`
  // (all of them when it never opened); requests still queued go out on a
  // new socket.
  void on_gone(std::shared_ptr<Link> link, lws* wsi, const Status& why, bool never_opened) {
    if (link->phase == Phase::kIdle) return;                                    // already handled
    if (wsi != nullptr && link->wsi != nullptr && link->wsi != wsi) return;  // an older socket
    if (link->wsi != nullptr) sockets_.erase(link->wsi);
    link->wsi = nullptr;
    link->dropping = false;
    link->message.clear();
    bool retry;
    {
      std::lock_guard lock(link->mutex);
      link->phase = Phase::kIdle;
      link->last_error = why;
      if (never_opened) {
        for (auto& [id, pending] : link->pending) {
          if (!pending->done) complete(*link, *pending, why);
        }
        link->outbox.clear();
        link->outbox_bytes = 0;
      } else {
        fail_sent(*link, why);
        std::erase_if(link->outbox, [&](const Outgoing& out) {
          if (!link->started.contains(out.id)) return false;
          link->outbox_bytes -= out.wire.size();
          return true;
        });
      }
      link->started.clear();
      retry = !link->outbox.empty() && !link->closing;
    }
    link->changed.notify_all();
    // While the loop stops, post() drops the retry: no connection is left then.
    if (retry && loop_) loop_->post([this, link] { open_socket(link); });
  }

  const WebsocketConfig config_;
  lws_protocols protocols_[2];
  std::unique_ptr<EventLoop> loop_;
  lws_vhost* plain_vhost_ = nullptr;  // ws:// peers (made in start())
  // Loop thread only.
  lws_vhost* tls_vhost_ = nullptr;  // wss:// peers, made when the first is dialled
  std::unordered_map<lws*, std::shared_ptr<Link>> sockets_;
  std::shared_ptr<Link> connecting_;
};


namespace {

class WebsocketConnection final : public Connection {
 public:
  WebsocketConnection(std::shared_ptr<Sender> sender, Sender::Impl& impl, std::shared_ptr<Link> link)
      : sender_(std::move(sender)), impl_(impl), link_(std::move(link)) {}
  ~WebsocketConnection() override { impl_.release(link_); }

  Result<std::string> request(std::string_view message, std::chrono::milliseconds timeout) override {
    return impl_.request(link_, message, timeout);
  }

 private:
  std::shared_ptr<Sender> sender_;  // keeps the event loop alive
  Sender::Impl& impl_;
  std::shared_ptr<Link> link_;
};

}  // namespace

Result<std::shared_ptr<Sender>> Sender::start(const WebsocketConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  GIBKIT_RETURN_IF_ERROR(impl->start());
  return std::shared_ptr<Sender>(new Sender(std::move(impl)));
}

Sender::Sender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sender::~Sender() = default;

Result<std::unique_ptr<Connection>> Sender::connect(std::string_view peer) {
  GIBKIT_ASSIGN_OR_RETURN(std::shared_ptr<Link> link, impl_->open(peer));
  return std::unique_ptr<Connection>(std::make_unique<WebsocketConnection>(shared_from_this(), *impl_, std::move(link)));
}

}  // namespace gibkit::plugins::websocket
