// gib keystone frames / recover: bringing a node restored from a backup back
// to the frames of its own domain identity that its peers hold (issue #10,
// docs/security.md "Recovering a restored node").
#pragma once

#include "command.h"

namespace gibkit::tools {

// `frames IDENTITY`: the frames this node holds of IDENTITY, genesis first,
// as {"identity": tjp, "frames": [frame JSON text...]} on stdout.
int keystone_frames(const Arguments& args, CommandIo& io);

// `recover FILE|-`: verifies and stores the frames of such a file that
// descend from the head this node holds of its own domain identity, then
// proves that the node's signer can go on from the new head.
int keystone_recover(const Arguments& args, CommandIo& io);

}  // namespace gibkit::tools
