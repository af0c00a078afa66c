#include "signer_support/lifetime_option.h"

#include <string>

namespace gibkit::signer_support {

Result<std::pair<json::Value, Lifetime>> split_lifetime(const json::Value& options) {
  if (!options.is_object()) return std::pair{options, Lifetime::kStored};
  const json::Value* lifetime = options.as_object().find("lifetime");
  if (lifetime == nullptr) return std::pair{options, Lifetime::kStored};
  if (!lifetime->is_string() || lifetime->as_string() != "saga") {
    return invalid_argument("identity options: \"lifetime\" must be \"saga\" (a session, forgotten when its saga "
                            "ends) or absent (kept)");
  }
  json::Object rest = options.as_object();
  rest.erase("lifetime");
  return std::pair{json::Value(std::move(rest)), Lifetime::kProcess};
}

}  // namespace gibkit::signer_support
