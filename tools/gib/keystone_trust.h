// gib keystone trust / untrust / trusted: the operator's decisions about
// peer domains, stored in the node's durable space (IdentityRegistry), so
// that through gibd's local API they apply at once, without a restart.
#pragma once

#include "command.h"

namespace gibkit::tools {

// `trust FILE|-`: a peer's domain genesis (as `gib keystone export` writes
// it) is trusted, also if it was untrusted; prints its tjp.
int keystone_trust(const Arguments& args, CommandIo& io);

// `untrust NAME`: the trusted domain NAME (its tjp, its ib or a unique
// prefix of its gib) is refused from now on, also when a sync.trust file
// names it (until `trust` again); prints its tjp.
int keystone_untrust(const Arguments& args, CommandIo& io);

// `trusted`: one line per peer domain, tab separated: tjp, ib, where the
// trust comes from (config FILE, command, or both) and its state (trusted,
// UNTRUSTED).
int keystone_trusted(const Arguments& args, CommandIo& io);

}  // namespace gibkit::tools
