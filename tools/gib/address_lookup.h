// Naming records the way git names commits: a full address, or an ib, or a
// unique prefix of a gib (at least 4 hex characters, any case). Ambiguity
// is an error that lists the candidates.
#pragma once

#include <string>
#include <string_view>

#include "gibkit/space.h"
#include "gibkit/status.h"

namespace gibkit::tools {

// What `text` names in `space`. A full address is returned as it is (whether
// stored or not: the caller reports absence). Otherwise every stored record
// whose ib equals `text` or whose gib starts with it is a candidate; with
// `by_timeline`, candidates of one timeline count once (as its tjp), so an
// ib names its timeline. kNotFound when nothing matches; kInvalidArgument
// naming up to 10 candidates when several do.
[[nodiscard]] Result<std::string> resolve_address(Space& space, std::string_view text, bool by_timeline);

}  // namespace gibkit::tools
