// Command-line parsing shared by the subcommands: flags (with or without a
// value, possibly repeated) and positional arguments, with the errors a
// user should see ("unknown option '--x'", "--config needs a value").
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gibkit/status.h"

namespace gibkit::tools {

struct FlagSpec {
  std::string_view name;  // "--config"
  bool takes_value = false;
};

// The flags every command that opens a node accepts.
inline constexpr FlagSpec kConfigFlag{"--config", true};

class Arguments {
 public:
  // Parses `args` against `flags`. A lone "-" and anything not starting with
  // "--" is positional; "--" ends the flags. A flag's value is the next
  // argument, whatever it looks like (so --data '-1' works).
  [[nodiscard]] static Result<Arguments> parse(std::span<const std::string_view> args,
                                               std::initializer_list<FlagSpec> flags);

  [[nodiscard]] bool has(std::string_view flag) const { return values_.contains(std::string(flag)); }
  // The last value given for `flag`, nullopt when absent.
  [[nodiscard]] std::optional<std::string> value(std::string_view flag) const;
  // Every value given for `flag`, in order.
  [[nodiscard]] std::vector<std::string> values(std::string_view flag) const;
  // The value of a flag that must be given; kInvalidArgument naming it otherwise.
  [[nodiscard]] Result<std::string> required(std::string_view flag) const;

  [[nodiscard]] const std::vector<std::string>& positionals() const noexcept { return positionals_; }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
};

}  // namespace gibkit::tools
