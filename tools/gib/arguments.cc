#include "arguments.h"

#include <algorithm>

namespace gibkit::tools {

Result<Arguments> Arguments::parse(std::span<const std::string_view> args, std::initializer_list<FlagSpec> flags) {
  Arguments parsed;
  bool flags_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (flags_ended || arg == "-" || !arg.starts_with("-")) {
      parsed.positionals_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    const auto spec = std::find_if(flags.begin(), flags.end(), [&](const FlagSpec& f) { return f.name == arg; });
    if (spec == flags.end()) return invalid_argument("unknown option '" + std::string(arg) + "'");
    std::vector<std::string>& values = parsed.values_[std::string(arg)];
    if (!spec->takes_value) continue;
    if (i + 1 >= args.size()) return invalid_argument(std::string(arg) + " needs a value");
    values.emplace_back(args[++i]);
  }
  return parsed;
}

std::optional<std::string> Arguments::value(std::string_view flag) const {
  auto it = values_.find(flag);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Arguments::values(std::string_view flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<std::string> Arguments::required(std::string_view flag) const {
  std::optional<std::string> v = value(flag);
  if (!v) return invalid_argument("missing " + std::string(flag));
  return *v;
}

}  // namespace gibkit::tools
