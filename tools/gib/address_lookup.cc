#include "address_lookup.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "gibkit/ibgib.h"

namespace gibkit::tools {
namespace {

constexpr std::size_t kMinPrefix = 4;
constexpr std::size_t kListed = 10;

bool is_hex_prefix(std::string_view text) {
  return text.size() >= kMinPrefix &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

}  // namespace

Result<std::string> resolve_address(Space& space, std::string_view text, bool by_timeline) {
  if (Address::parse(text).ok()) return std::string(text);
  std::string prefix(text);
  for (char& c : prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool gib_prefix = is_hex_prefix(text);
  std::set<std::string> candidates;
  Status read = Status();
  GIBKIT_RETURN_IF_ERROR(space.for_each_record([&](std::string_view address, std::string_view json_text) {
    const std::size_t caret = address.rfind('^');
    if (caret == std::string_view::npos) return true;
    const std::string_view ib = address.substr(0, caret);
    const std::string_view gib = address.substr(caret + 1);
    if (ib != text && !(gib_prefix && gib.substr(0, prefix.size()) == prefix)) return true;
    if (!by_timeline) {
      candidates.emplace(address);
      return true;
    }
    Result<IbGib> record = IbGib::parse(json_text);
    if (!record.ok()) {
      read = data_loss("stored record " + std::string(address) + " does not parse: " + record.status().message());
      return false;
    }
    candidates.insert(record->tjp_address().value_or(std::string(address)));
    return true;
  }));
  GIBKIT_RETURN_IF_ERROR(read);
  if (candidates.empty()) {
    return not_found("nothing in this node is named '" + std::string(text) +
                     "' (give an address, an ib, or a gib prefix of at least 4 hex characters)");
  }
  if (candidates.size() == 1) return *candidates.begin();
  std::string listed;
  std::size_t shown = 0;
  for (const std::string& candidate : candidates) {
    if (shown++ == kListed) {
      listed += "\n  ... and " + std::to_string(candidates.size() - kListed) + " more";
      break;
    }
    listed += "\n  " + candidate;
  }
  return invalid_argument("'" + std::string(text) + "' is ambiguous: " + std::to_string(candidates.size()) +
                          (by_timeline ? " timelines" : " records") + " match:" + listed);
}

}  // namespace gibkit::tools
