#include "gibkit/admin/admin_server.h"

#include <chrono>
#include <cstring>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace gibkit::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A request is a GET line and a few headers: anything larger, or slower
// than this, is not a monitoring system and is cut.
constexpr std::uint32_t kMaxRequestBytes = 8 * 1024;
constexpr std::chrono::seconds kRequestTimeout(5);

// One connection: one request, one answer, closed.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(tcp::socket socket, const AdminServer::Handlers& handlers)
      : stream_(std::move(socket)), handlers_(handlers) {}

  void start() {
    parser_.header_limit(kMaxRequestBytes);
    parser_.body_limit(kMaxRequestBytes);
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;  // timed out, too large or gone: nothing to answer
    const http::request<http::string_body>& request = parser_.get();
    response_.version(request.version());
    response_.keep_alive(false);
    response_.set(http::field::server, "gibd");
    const beast::string_view target = request.target();
    if (request.method() != http::verb::get) {
      respond(http::status::method_not_allowed, "text/plain", "only GET\n");
    } else if (target == "/metrics") {
      respond(http::status::ok, "text/plain; version=0.0.4", handlers_.metrics());
    } else if (target == "/healthz") {
      const bool healthy = handlers_.healthy();
      respond(healthy ? http::status::ok : http::status::service_unavailable, "text/plain",
              healthy ? "ok\n" : "starting\n");
    } else {
      respond(http::status::not_found, "text/plain", "not found: /metrics and /healthz are served\n");
    }
  }

  void respond(http::status status, const char* type, std::string body) {
    response_.result(status);
    response_.set(http::field::content_type, type);
    response_.body() = std::move(body);
    response_.prepare_payload();
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  beast::tcp_stream stream_;
  const AdminServer::Handlers& handlers_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

class AdminServer::Impl {
 public:
  explicit Impl(Handlers handlers) : handlers_(std::move(handlers)), acceptor_(io_) {}

  ~Impl() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      io_.stop();
    });
    if (thread_.joinable()) thread_.join();
  }

  Status start(const std::string& address, int port) {
    const std::string where = address + ":" + std::to_string(port);
    beast::error_code ec;
    const asio::ip::address ip = asio::ip::make_address(address, ec);
    if (ec) return invalid_argument("admin.address '" + address + "' is not an IP address");
    const tcp::endpoint at(ip, static_cast<unsigned short>(port));
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return unavailable("admin endpoint cannot listen on " + where + ": " + ec.message());
    const unsigned short bound = acceptor_.local_endpoint().port();
    endpoint_ = "http://" + (ip.is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(bound);
    accept();
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  const std::string& endpoint() const { return endpoint_; }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;  // closed: stopping
      if (!ec) std::make_shared<Exchange>(std::move(socket), handlers_)->start();
      accept();
    });
  }

  const Handlers handlers_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::string endpoint_;
};

std::vector<ConfigKey> AdminServer::section_keys() {
  return {
      {.key = "address", .type = ConfigType::kString, .default_value = json::Value("127.0.0.1"),
       .description = "IP address the admin endpoint (/metrics, /healthz) listens on"},
      {.key = "port", .type = ConfigType::kInteger, .required = true,
       .description = "TCP port of the admin endpoint; 0 lets the OS choose (the log line admin.listening tells)",
       .min = 0, .max = 65535},
  };
}

Result<std::unique_ptr<AdminServer>> AdminServer::start(const std::string& address, int port, Handlers handlers) {
  auto impl = std::make_unique<Impl>(std::move(handlers));
  GIBKIT_RETURN_IF_ERROR(impl->start(address, port));
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() = default;

const std::string& AdminServer::endpoint() const { return impl_->endpoint(); }

}  // namespace gibkit::admin
