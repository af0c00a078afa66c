// libFuzzer target: sync message decoding (kernel/saga sync_messages.h).
// Every input is decoded both as a request and as a response; a message that
// decodes must encode again, and the encoding must decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gibkit/saga/sync_messages.h"

namespace {

template <typename Message>
void check_round_trip(const gibkit::Result<Message>& decoded,
                      gibkit::Result<Message> (*decode)(std::string_view)) {
  // GIBKIT_FUZZ_VERBOSE=1 says why each input was refused (to check seeds).
  static const bool verbose = std::getenv("GIBKIT_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "  %s\n", decoded.status().to_string().c_str());
  if (!decoded.ok()) return;
  gibkit::Result<std::string> encoded = gibkit::saga::encode(*decoded);
  if (!encoded.ok()) {
    std::fprintf(stderr, "a decoded message does not encode: %s\n", encoded.status().to_string().c_str());
    std::abort();
  }
  gibkit::Result<Message> again = decode(*encoded);
  if (!again.ok()) {
    std::fprintf(stderr, "an encoded message does not decode: %s\n", again.status().to_string().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_round_trip(gibkit::saga::decode_request(text), &gibkit::saga::decode_request);
  check_round_trip(gibkit::saga::decode_response(text), &gibkit::saga::decode_response);
  return 0;
}
