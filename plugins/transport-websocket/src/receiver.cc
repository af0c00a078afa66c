#include "receiver.h"

#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <libwebsockets.h>

#include "deflate.h"
#include "envelope.h"
#include "event_loop.h"
#include "wire_limits.h"

namespace gibkit::plugins::websocket {
namespace {

// strerror's text with a lower-case first letter ("address already in use").
std::string errno_text(int error) {
  std::string text = std::strerror(error);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

// Binds and listens on address:port the way libwebsockets will (SO_REUSEADDR),
// then lets go, so that a listener that cannot exist fails start() with the
// reason. libwebsockets itself either fails with only its own log lines
// (port in use) or, for an address not on this machine, runs on without a
// listener, retrying in the background. An `address` that is no IP address
// is taken for an interface name (libwebsockets accepts those); one that names
// no interface either is refused.
Status probe_listen(const std::string& address, int port) {
  const std::string where = address + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(address.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    if (if_nametoindex(address.c_str()) != 0) return Status();  // an interface name: left to libwebsockets
    return unavailable("websocket receiver cannot listen on " + where + ": '" + address +
                       "' is neither an IP address nor a network interface of this machine");
  }
  int error = 0;
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) {
    error = errno;
  } else {
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 1) != 0) error = errno;
    ::close(fd);
  }
  freeaddrinfo(found);
  if (error != 0) return unavailable("websocket receiver cannot listen on " + where + ": " + errno_text(error));
  return Status();
}

// RFC 6455 close code 1013 "Try Again Later" (IANA registry), which the
// libwebsockets 4.1 enum lacks.
constexpr auto kCloseTryAgainLater = static_cast<lws_close_status>(1013);

// How long a connection that broke the protocol is still read (and its input
// discarded) after the error part was written, before it is closed.
constexpr lws_usec_t kLingerMicros = 300 * 1000;

// A request whose parts are still arriving.
struct Assembly {
  std::string body;
  std::uint32_t next_part = 0;
  std::uint32_t parts = 0;
};

// One peer connection; owned by the loop thread.
struct Session {
  std::uint64_t serial = 0;  // never reused, so late worker results find no stranger
  lws* wsi = nullptr;
  bool counted = false;      // holds one of max_connections
  bool admitted = false;     // a request on it authenticated (the kernel's Admission verdict)
  bool deflate = false;      // permessage-deflate negotiated: RECEIVE hands over inflated bytes
  std::size_t discarded = 0;  // inflated bytes read and dropped since the connection began closing
  std::string address;       // the peer's IP address (per-address limits)
  std::string message;       // websocket message being received
  std::map<std::uint64_t, Assembly> assembling;
  std::size_t assembling_bytes = 0;
  std::map<std::uint64_t, std::size_t> running;  // ids handed to the handler, not yet answered -> request bytes
  std::size_t running_bytes = 0;
  std::deque<std::string> outbox;   // whole websocket messages, each with LWS_PRE headroom
  // The message last given to lws_write. With permessage-deflate,
  // libwebsockets deflates it into 1 KiB fragments and sends the rest from
  // this buffer on later WRITEABLE events of its own, before the next one
  // reaches us: so it must live until then.
  std::string written;
  std::size_t outbox_bytes = 0;
  bool reading = true;
  bool closing = false;
  bool lingering = false;  // error part written; waiting to close
  lws_close_status close_status = LWS_CLOSE_STATUS_NORMAL;
  std::string close_reason;
  std::size_t accounted = 0;  // this session's share of Impl::buffered_bytes_
};

}  // namespace

class Receiver::Impl {
 public:
  Impl(const WebsocketConfig& config, RequestHandler handler)
      : config_(config), handler_(std::move(handler)), pool_(static_cast<std::size_t>(config.worker_threads)) {}

  ~Impl() {
    // Running handlers finish and post their results to a loop that still
    // runs; queued ones are abandoned. Then the loop closes every socket.
    pool_.stop();
    pool_.join();
    if (loop_) loop_->stop();  // not reset(): event_loop.h says why
    for (auto& [serial, session] : sessions_) delete session;
  }

  Status start() {
    std::string scheme = "ws";
    if (config_.tls_enabled()) {
      for (const std::string* file : {&config_.tls_cert, &config_.tls_key}) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*file, ec)) {
          return invalid_argument("TLS file \"" + *file + "\" is not a readable file");
        }
      }
      scheme = "wss";
    }
    protocols_[0] = lws_protocols{kSubprotocol, &Impl::callback, sizeof(Session*), kReadChunkBytes, 0, this, 0};
    protocols_[1] = lws_protocols{nullptr, nullptr, 0, 0, 0, nullptr, 0};

    lws_context_creation_info info{};
    info.protocols = protocols_;
    info.vhost_name = kVhostName;
    info.iface = config_.address.c_str();
    info.port = config_.port;
    info.user = this;
    info.timeout_secs = static_cast<unsigned>(config_.handshake_timeout_s);
    // A connection that sends nothing is held by this one (10 s by default),
    // not by timeout_secs; without it a silent flood would outlast the
    // handshake timeout.
    info.timeout_secs_ah_idle = static_cast<unsigned>(config_.handshake_timeout_s);
    info.pt_serv_buf_size = kServiceBufferBytes;  // wire_limits.h: reads of 64 KiB, not 4 KiB
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (config_.address.find(':') == std::string::npos) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    // Accepted only from a peer that offers it (deflate.h says which offers).
    if (config_.compression == Compression::kDeflate) info.extensions = deflate_extensions();
    if (config_.tls_enabled()) {
      info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      info.ssl_cert_filepath = config_.tls_cert.c_str();
      info.ssl_private_key_filepath = config_.tls_key.c_str();
    }
    std::string where = config_.address + ":" + std::to_string(config_.port);
    GIBKIT_RETURN_IF_ERROR(probe_listen(config_.address, config_.port));
    GIBKIT_ASSIGN_OR_RETURN(loop_, EventLoop::create(info, "websocket receiver on " + where));
    int port = lws_get_vhost_listen_port(lws_get_vhost_by_name(loop_->context(), kVhostName));
    if (port <= 0) return unavailable("websocket receiver could not listen on " + where);
    endpoint_ = scheme + "://" + config_.address + ":" + std::to_string(port);
    loop_->run();
    return Status();
  }

  const std::string& endpoint() const { return endpoint_; }

  ReceiverLoad load() const {
    return ReceiverLoad{connections_.load(), buffered_bytes_.load(), pending_count_.load(), evicted_.load(),
                        compressed_.load()};
  }

 private:
  static constexpr char kVhostName[] = "gibkit-receiver";
  static constexpr std::size_t kMaxDiscardedInflatedBytes = 1024 * 1024;

  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
    Session** slot = static_cast<Session**>(user);
    switch (reason) {
      case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (self->loop_) self->loop_->run_posted();
        return 0;
      case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
        return confirm_deflate_offer(wsi);
      case LWS_CALLBACK_ESTABLISHED:
        *slot = self->open_session(wsi);
        if (deflate_active(wsi)) {
          (*slot)->deflate = true;
          ++self->compressed_;
        }
        return 0;
      case LWS_CALLBACK_RECEIVE:
        if (*slot == nullptr) return 0;
        self->on_receive(**slot, static_cast<const char*>(in), len);
        self->account(**slot);
        return self->inflating_too_long(**slot, len) ? -1 : 0;
      case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (*slot == nullptr) return 0;
        int result = self->on_writeable(**slot);
        self->account(**slot);
        return result;
      }
      case LWS_CALLBACK_TIMER:
        return *slot != nullptr && (*slot)->lingering ? self->on_linger_end(**slot) : 0;
      case LWS_CALLBACK_CLOSED:
        if (*slot != nullptr) self->close_session(*slot);
        *slot = nullptr;
        return 0;
      default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
  }

  Session* open_session(lws* wsi) {
    auto* session = new Session;
    session->serial = ++last_serial_;
    session->wsi = wsi;
    char address[64] = "";
    lws_get_peer_simple(wsi, address, sizeof address);
    session->address = address;
    sessions_[session->serial] = session;
    ++connections_;
    if (!make_room(session->address)) {
      fail(*session, 0,
           resource_exhausted("too many connections waiting for authentication; try again later"),
           kCloseTryAgainLater);
      return session;
    }
    if (open_connections_ >= config_.max_connections) {
      // Every slot is held by an admitted peer: refuse, never evict one.
      fail(*session, 0,
           resource_exhausted("too many connections (max_connections " + std::to_string(config_.max_connections) +
                              ")"),
           kCloseTryAgainLater);
      return session;
    }
    session->counted = true;
    ++open_connections_;
    pending_.insert(session->serial);
    pending_by_address_[session->address].insert(session->serial);
    pending_count_ = static_cast<int>(pending_.size());
    // The whole of pre-authentication, from now: never extended by traffic.
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, config_.preauth_timeout_s);
    return session;
  }

  // Before a new connection from `address` takes a pending slot: over the
  // per-address bound or the pending share of the table (or a full table),
  // the oldest pending connection goes. A flood of connections that never
  // authenticate thus only ever displaces its own kind. A connection whose
  // request is with the handler is not evicted: its verdict is on the way
  // (a genuine peer's Init takes a few hundred ms to verify and answer, far
  // longer than a flood needs to cycle through the table), and the handler's
  // queue, not the peer, decides how long that takes. Returns false when
  // every candidate is waiting for its verdict: the newcomer must wait.
  bool make_room(const std::string& address) {
    if (auto same = pending_by_address_.find(address);
        same != pending_by_address_.end() &&
        static_cast<int>(same->second.size()) >= config_.max_pending_per_address) {
      if (!evict_oldest_idle(same->second)) return false;
    }
    const int pending_capacity = config_.max_connections - config_.reserved_connections;
    if (!pending_.empty() &&
        (static_cast<int>(pending_.size()) >= pending_capacity || open_connections_ >= config_.max_connections)) {
      if (!evict_from_busiest_address()) return false;
    }
    return true;
  }

  // A full table makes room at the address holding the most pending
  // connections (its oldest idle one; between equals, the oldest idle of
  // all). A flood spread over a few addresses thus displaces itself before
  // a lone peer's connection that is still preparing its Init (found by
  // e2e.hostile_load on a loaded machine: the genuine sender's connection,
  // idle while its session identity was made, was the oldest pending one).
  bool evict_from_busiest_address() {
    const std::set<std::uint64_t>* busiest = nullptr;
    std::uint64_t busiest_oldest = 0;
    for (const auto& [address, serials] : pending_by_address_) {
      const std::optional<std::uint64_t> oldest = oldest_idle(serials);
      if (!oldest) continue;
      if (busiest == nullptr || serials.size() > busiest->size() ||
          (serials.size() == busiest->size() && *oldest < busiest_oldest)) {
        busiest = &serials;
        busiest_oldest = *oldest;
      }
    }
    if (busiest == nullptr) return false;
    evict(busiest_oldest);
    return true;
  }

  // The oldest of `candidates` (serials, oldest first) with no request in
  // the handler.
  std::optional<std::uint64_t> oldest_idle(const std::set<std::uint64_t>& candidates) const {
    for (std::uint64_t serial : candidates) {
      if (sessions_.at(serial)->running.empty()) return serial;
    }
    return std::nullopt;
  }

  // Evicts the oldest of `candidates` (serials, oldest first) with no request
  // in the handler; false when there is none.
  bool evict_oldest_idle(const std::set<std::uint64_t>& candidates) {
    const std::optional<std::uint64_t> serial = oldest_idle(candidates);
    if (serial) evict(*serial);
    return serial.has_value();
  }

  // Drops a pending connection at once: its slot is free now, and the socket
  // is closed from the loop's next turn (no error part: it made way for
  // another connection and learns nothing more than a dropped socket).
  void evict(std::uint64_t serial) {
    Session& victim = *sessions_.at(serial);
    release_slot(victim);
    victim.closing = true;
    victim.lingering = true;
    ++evicted_;
    lws_set_timeout(victim.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }

  void release_slot(Session& session) {
    if (session.counted) --open_connections_;
    session.counted = false;
    if (pending_.erase(session.serial) != 0) {
      auto same = pending_by_address_.find(session.address);
      if (same != pending_by_address_.end()) {
        same->second.erase(session.serial);
        if (same->second.empty()) pending_by_address_.erase(same);
      }
      pending_count_ = static_cast<int>(pending_.size());
    }
  }

  void admit(Session& session) {
    const bool counted = session.counted;
    release_slot(session);  // leaves the pending sets ...
    if (counted) {          // ... but keeps its slot
      session.counted = true;
      ++open_connections_;
    }
    session.admitted = true;
    refresh_deadline(session);
  }

  // A closing connection is read (and its input dropped) until the peer has
  // taken the error part. Uncompressed, that costs what the peer sends; with
  // deflate, a small compressed frame can inflate to a thousand times its
  // size, all of it inflated only to be dropped. So a compressed connection
  // that is still sending after max_frame_bytes (at least 1 MiB) of dropped
  // input is cut at once, error part delivered or not.
  bool inflating_too_long(Session& session, std::size_t len) {
    if (!session.deflate || !session.closing) return false;
    session.discarded += len;
    return session.discarded > std::max(config_.max_frame_bytes, kMaxDiscardedInflatedBytes);
  }

  void close_session(Session* session) {
    release_slot(*session);
    if (session->deflate) --compressed_;
    --connections_;
    buffered_bytes_ -= session->accounted;
    sessions_.erase(session->serial);
    delete session;
  }

  void on_receive(Session& session, const char* data, std::size_t len) {
    if (session.closing) return;  // whatever follows a protocol error is ignored
    if (lws_frame_is_binary(session.wsi)) {
      fail(session, 0, invalid_argument("binary websocket messages are not accepted; send text"),
           LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE);
      return;
    }
    if (buffered_bytes_.load() + len > config_.max_buffered_bytes) {
      fail(session, 0,
           resource_exhausted("the receiver holds max_buffered_bytes " + std::to_string(config_.max_buffered_bytes) +
                              " for all its connections; try again later"),
           kCloseTryAgainLater);
      return;
    }
    if (session.message.size() + len > config_.max_frame_bytes + kMaxHeaderBytes) {
      fail(session, 0,
           resource_exhausted("websocket message exceeds max_frame_bytes " + std::to_string(config_.max_frame_bytes)),
           LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
      return;
    }
    session.message.append(data, len);
    if (!lws_is_final_fragment(session.wsi) || lws_remaining_packet_payload(session.wsi) != 0) return;
    std::string message;
    message.swap(session.message);
    on_message(session, message);
    // An admitted connection keeps the buffer for its next part (at most
    // max_frame_bytes): regrowing it for every part cost a reallocation
    // chain and fresh pages per 64 KiB. Pending ones hold nothing between
    // messages, so idle strangers cost no buffer.
    if (session.admitted && !session.closing) {
      message.clear();
      session.message.swap(message);
    }
    refresh_deadline(session);
  }

  void on_message(Session& session, std::string_view wire) {
    Result<Part> decoded = decode_part(wire, config_.max_frame_bytes);
    if (!decoded.ok()) {
      bool too_big = decoded.status().code() == StatusCode::kResourceExhausted;
      fail(session, 0, decoded.status(),
           too_big ? LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE : LWS_CLOSE_STATUS_PROTOCOL_ERR);
      return;
    }
    const PartHeader& header = decoded->header;
    if (header.kind != PartKind::kRequest) {
      fail(session, header.id, invalid_argument("a receiver accepts only request parts"),
           LWS_CLOSE_STATUS_PROTOCOL_ERR);
      return;
    }
    if (session.running.contains(header.id) || (header.part == 0 && session.assembling.contains(header.id))) {
      fail(session, header.id, invalid_argument("duplicate request id " + std::to_string(header.id)),
           LWS_CLOSE_STATUS_PROTOCOL_ERR);
      return;
    }
    std::string_view body = decoded->body;
    if (!session.admitted && header.part == 0) {
      // Before anyone vouches for the peer: one request at a time, and its
      // size is judged from the first part's header, before the rest of it
      // is buffered.
      if (!session.running.empty() || !session.assembling.empty()) {
        fail(session, header.id,
             invalid_argument("a connection not yet authenticated may have one request at a time"),
             LWS_CLOSE_STATUS_POLICY_VIOLATION);
        return;
      }
      const std::size_t most_parts =
          (config_.preauth_max_message_bytes + config_.max_frame_bytes - 1) / config_.max_frame_bytes;
      if (header.parts > most_parts) {
        fail(session, header.id,
             resource_exhausted("a request of " + std::to_string(header.parts) +
                                " parts exceeds preauth_max_message_bytes " +
                                std::to_string(config_.preauth_max_message_bytes) +
                                " on a connection not yet authenticated"),
             LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
        return;
      }
    }
    const bool pending = !session.admitted;
    const std::size_t limit =
        pending ? std::min(config_.max_message_bytes, config_.preauth_max_message_bytes) : config_.max_message_bytes;
    if (session.assembling_bytes + body.size() > limit) {
      fail(session, header.id,
           resource_exhausted("request exceeds " +
                              std::string(pending ? "preauth_max_message_bytes " : "max_message_bytes ") +
                              std::to_string(limit)),
           LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
      return;
    }
    if (header.part == 0 && header.parts == 1) {
      dispatch(session, header.id, std::string(body));
      return;
    }
    if (header.part == 0) {
      Assembly& assembly = session.assembling[header.id];
      assembly.parts = header.parts;
      assembly.next_part = 1;
      assembly.body.assign(body);
      session.assembling_bytes += body.size();
      return;
    }
    auto it = session.assembling.find(header.id);
    if (it == session.assembling.end() || it->second.next_part != header.part || it->second.parts != header.parts) {
      fail(session, header.id,
           invalid_argument("part " + std::to_string(header.part) + " of request " + std::to_string(header.id) +
                            " is unexpected (unknown id, wrong order or changed part count)"),
           LWS_CLOSE_STATUS_PROTOCOL_ERR);
      return;
    }
    it->second.body.append(body);
    session.assembling_bytes += body.size();
    if (++it->second.next_part < it->second.parts) return;
    std::string whole = std::move(it->second.body);
    session.assembling.erase(it);
    session.assembling_bytes -= whole.size();
    dispatch(session, header.id, std::move(whole));
  }

  void dispatch(Session& session, std::uint64_t id, std::string request) {
    session.running.emplace(id, request.size());
    session.running_bytes += request.size();
    refresh_reading(session);
    boost::asio::post(pool_, [this, serial = session.serial, id, request = std::move(request)] {
      Result<Answer> response = run_handler(request);
      loop_->post([this, serial, id, response = std::move(response)]() mutable {
        deliver(serial, id, std::move(response));
      });
    });
  }

  // Worker thread. The handler is the kernel's; an exception from it must not
  // take the worker (and the process) down.
  Result<Answer> run_handler(std::string_view request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      return internal_error(std::string("request handler threw: ") + e.what());
    } catch (...) {
      return internal_error("request handler threw a non-standard exception");
    }
  }

  void deliver(std::uint64_t serial, std::uint64_t id, Result<Answer> response) {
    auto it = sessions_.find(serial);
    if (it == sessions_.end()) return;  // the peer left; nobody waits for this answer
    Session& session = *it->second;
    auto running = session.running.find(id);
    if (running != session.running.end()) {
      session.running_bytes -= running->second;
      session.running.erase(running);
    }
    if (!session.closing) {
      if (!response.ok()) {
        enqueue(session, encode_error(id, response.status(), /*fatal=*/false, LWS_PRE));
      } else if (response->message.size() > config_.max_message_bytes) {
        enqueue(session, encode_error(id,
                                      resource_exhausted("response exceeds max_message_bytes " +
                                                         std::to_string(config_.max_message_bytes)),
                                      /*fatal=*/false, LWS_PRE));
      } else {
        for (std::string& part :
             encode_message(PartKind::kResponse, id, response->message, config_.max_frame_bytes, LWS_PRE)) {
          enqueue(session, std::move(part));
        }
      }
      // A handler that failed (threw, say) proved nothing about the peer.
      if (!session.admitted) apply_verdict(session, response.ok() ? response->admission : Admission::kPending);
    }
    refresh_reading(session);
    refresh_deadline(session);
    account(session);
  }

  // The kernel's verdict on a pending connection's request: authenticated
  // admits it; refused closes it once the answer is written (its slot is
  // free at once); nothing learned leaves it pending.
  void apply_verdict(Session& session, Admission admission) {
    if (admission == Admission::kAuthenticated) {
      admit(session);
    } else if (admission == Admission::kRefused) {
      release_slot(session);
      session.closing = true;
      session.close_status = LWS_CLOSE_STATUS_POLICY_VIOLATION;
      session.close_reason = "unauthenticated";
      lws_set_timeout(session.wsi, PENDING_TIMEOUT_USER_OK, config_.handshake_timeout_s);
      refresh_reading(session);
    }
  }

  void enqueue(Session& session, std::string wire) {
    session.outbox_bytes += wire.size();
    session.outbox.push_back(std::move(wire));
    lws_callback_on_writable(session.wsi);
  }

  int on_writeable(Session& session) {
    if (!session.outbox.empty()) {
      std::string& wire = session.written;
      wire = std::move(session.outbox.front());
      session.outbox.pop_front();
      session.outbox_bytes -= wire.size();
      auto* payload = reinterpret_cast<unsigned char*>(wire.data()) + LWS_PRE;
      std::size_t size = wire.size() - LWS_PRE;
      if (lws_write(session.wsi, payload, size, LWS_WRITE_TEXT) < static_cast<int>(size)) return -1;
      if (!session.outbox.empty() || session.closing) lws_callback_on_writable(session.wsi);
      refresh_reading(session);
      refresh_deadline(session);
      return 0;
    }
    if (session.closing && !session.lingering) {
      // libwebsockets 4.1 drops the socket right after the close frame. If
      // the peer is still sending, that unread input makes the kernel reset
      // the connection, and the peer may lose the error part and the close
      // frame before reading them. So keep reading (and discarding) for a
      // moment before closing.
      session.lingering = true;
      lws_set_timer_usecs(session.wsi, kLingerMicros);  // LWS_CALLBACK_TIMER then closes
    }
    return 0;
  }

  // The linger after a protocol error is over: close with the recorded code.
  int on_linger_end(Session& session) {
    lws_close_reason(session.wsi, session.close_status,
                     reinterpret_cast<unsigned char*>(session.close_reason.data()), session.close_reason.size());
    return -1;
  }

  // Reports a protocol violation to the peer, then closes its connection once
  // the error part (and any answers queued before it) are written.
  void fail(Session& session, std::uint64_t id, const Status& status, lws_close_status close_status) {
    if (session.closing) return;
    session.closing = true;
    session.close_status = close_status;
    // A close reason must fit in a control frame (125 bytes with the code).
    session.close_reason = std::string(status_code_name(status.code()));
    session.message.clear();
    // The peer gets this long to take the error before the socket is cut.
    lws_set_timeout(session.wsi, PENDING_TIMEOUT_USER_OK, config_.handshake_timeout_s);
    session.assembling.clear();
    session.assembling_bytes = 0;
    enqueue(session, encode_error(id, status, /*fatal=*/true, LWS_PRE));
    refresh_reading(session);
  }

  // Reads only while the peer's requests and our unsent answers are within
  // bounds. A closing connection keeps reading (and discarding): closing a
  // socket with unread input makes the kernel send a reset, which can destroy
  // the error part before the peer reads it.
  void refresh_reading(Session& session) {
    bool want = session.closing || (session.running.size() < static_cast<std::size_t>(config_.max_in_flight) &&
                                    session.outbox_bytes < config_.max_send_queue_bytes);
    if (want != session.reading) {
      session.reading = want;
      lws_rx_flow_control(session.wsi, want ? 1 : 0);
    }
  }

  // Restarts the idle_timeout_s deadline after progress, or clears it. A
  // connection is closed at the deadline when it is idle (nothing running,
  // nothing to write), and when answers wait to be written: then only the
  // peer reading them makes progress (reading from it stopped with a full
  // queue), and a peer that never reads would otherwise keep its queued
  // answers and its connection slot forever. While only handlers run, the
  // wait is ours, not the peer's: no deadline.
  void refresh_deadline(Session& session) {
    if (session.closing) return;  // fail() set the closing deadline
    if (!session.admitted) return;  // open_session() set the pre-authentication deadline
    if (session.running.empty() || !session.outbox.empty()) {
      lws_set_timeout(session.wsi, PENDING_TIMEOUT_USER_OK, config_.idle_timeout_s);
    } else {
      lws_set_timeout(session.wsi, NO_PENDING_TIMEOUT, 0);
    }
  }

  // Publishes what `session` holds now into buffered_bytes_, for load().
  void account(Session& session) {
    std::size_t now = session.message.size() + session.assembling_bytes + session.running_bytes + session.outbox_bytes;
    if (now >= session.accounted) {
      buffered_bytes_ += now - session.accounted;
    } else {
      buffered_bytes_ -= session.accounted - now;
    }
    session.accounted = now;
  }

  const WebsocketConfig config_;
  const RequestHandler handler_;
  boost::asio::thread_pool pool_;
  lws_protocols protocols_[2];
  std::unique_ptr<EventLoop> loop_;
  std::string endpoint_;
  // Loop thread only.
  std::unordered_map<std::uint64_t, Session*> sessions_;
  std::uint64_t last_serial_ = 0;
  int open_connections_ = 0;
  std::set<std::uint64_t> pending_;  // serials of counted, not yet admitted connections, oldest first
  std::map<std::string, std::set<std::uint64_t>> pending_by_address_;
  // Written on the loop thread, read by load() anywhere.
  std::atomic<int> connections_{0};
  std::atomic<std::size_t> buffered_bytes_{0};
  std::atomic<int> pending_count_{0};
  std::atomic<std::uint64_t> evicted_{0};
  std::atomic<int> compressed_{0};
};

Result<std::unique_ptr<Receiver>> Receiver::start(const WebsocketConfig& config, RequestHandler handler) {
  auto impl = std::make_unique<Impl>(config, std::move(handler));
  GIBKIT_RETURN_IF_ERROR(impl->start());
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

Receiver::Receiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Receiver::~Receiver() = default;

const std::string& Receiver::endpoint() const { return impl_->endpoint(); }

ReceiverLoad Receiver::load() const { return impl_->load(); }

}  // namespace gibkit::plugins::websocket
