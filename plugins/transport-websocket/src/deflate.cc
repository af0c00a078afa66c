#include "deflate.h"

#include <cstddef>
#include <string>

namespace gibkit::plugins::websocket {
namespace {

constexpr char kName[] = "permessage-deflate";
constexpr char kOffer[] = "permessage-deflate; client_no_context_takeover; server_no_context_takeover";

}  // namespace

const lws_extension* deflate_extensions() {
  static const lws_extension extensions[] = {
      {kName, lws_extension_callback_pm_deflate, kOffer},
      {nullptr, nullptr, nullptr},
  };
  return extensions;
}

bool offer_drops_context(std::string_view header) {
  // Offers are separated by ',', parameters by ';' (RFC 7692 section 5).
  std::size_t start = header.find(kName);
  if (start == std::string_view::npos) return false;
  std::string_view offer = header.substr(start);
  offer = offer.substr(0, offer.find(','));
  return offer.find("client_no_context_takeover") != std::string_view::npos &&
         offer.find("server_no_context_takeover") != std::string_view::npos;
}

int confirm_deflate_offer(lws* wsi) {
  const int length = lws_hdr_total_length(wsi, WSI_TOKEN_EXTENSIONS);
  if (length <= 0 || length > 4096) return 1;
  std::string header(static_cast<std::size_t>(length) + 1, '\0');
  if (lws_hdr_copy(wsi, header.data(), length + 1, WSI_TOKEN_EXTENSIONS) < 0) return 1;
  header.resize(static_cast<std::size_t>(length));
  return offer_drops_context(header) ? 0 : 1;
}

bool deflate_active(lws* wsi) {
  // libwebsockets has no getter for a connection's extensions; setting an
  // option fails (-1) exactly when the extension is not active on `wsi`.
  // rx_buf_size 10 (a 1 KiB inflate buffer) is the extension's default, so
  // setting it changes nothing.
  return lws_set_extension_option(wsi, kName, "rx_buf_size", "10") == 0;
}

}  // namespace gibkit::plugins::websocket
