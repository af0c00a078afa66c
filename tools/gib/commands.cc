// The subcommand table. Adding a subcommand: write run_<name> in its own
// <name>_command.cc, declare it in command.h, add a row here.
#include <array>

#include "command.h"

namespace gibkit::tools {

std::span<const Command> commands() {
  static const std::array<Command, 13> table = {{
      {"hash", "compute the gib of each record read on stdin",
       "usage: gib hash [--legacy] < records.jsonl\n"
       "\n"
       "Reads ibgib records, one JSON object per line, on stdin and writes the\n"
       "gib computed from each record's ib, data and rel8ns on its own line of\n"
       "stdout, in order (the record's own gib field is not trusted; it only\n"
       "marks primitives, whose gib is \"gib\").\n"
       "\n"
       "A line that cannot be read (bad JSON, not a record) gets an EMPTY line on\n"
       "stdout, so output line N always answers input line N, and an error on\n"
       "stderr naming the line number and the reason. The exit status is then 1.\n"
       "\n"
       "options:\n"
       "  --legacy   hash like older ibgib releases (no key normalization)\n"
       "  --help     show this help\n"
       "\n"
       "exit status: 0 all lines hashed, 1 some line was bad, 2 usage error\n",
       &run_hash},
      {"verify", "check records intrinsically (gib matches content)",
       "usage: gib verify [--legacy] FILE...\n"
       "\n"
       "Checks each record (one JSON object per line; '-' reads stdin): the\n"
       "address is well formed, rel8ns map names to arrays of addresses, the tjp\n"
       "suffix matches rel8ns.tjp, and the gib equals the one recomputed from the\n"
       "content. Each invalid record is reported on stderr as FILE:LINE: reason,\n"
       "followed by a summary \"N valid, M invalid\". Empty lines are skipped.\n"
       "\n"
       "options:\n"
       "  --legacy   verify gibs made by older ibgib releases (no key normalization)\n"
       "  --help     show this help\n"
       "\n"
       "exit status: 0 all valid, 1 some record invalid, 2 usage or I/O error\n",
       &run_verify},
      {"put", "store records read one JSON per line",
       "usage: gib put --config FILE [--all-or-nothing] [RECORDS|-]\n"
       "\n"
       "Stores ibgib records, one JSON object per line, read from RECORDS or stdin\n"
       "('-' or nothing), in the node's durable space. Every line is checked first:\n"
       "it must parse, be intrinsically valid (gib matches content), and every\n"
       "address it relates must be stored already or be in the input, so the space\n"
       "keeps complete graphs. Bad lines are reported on stderr as FILE:LINE: reason.\n"
       "\n"
       "Then all valid records are written in one atomic batch (never part of it).\n"
       "With --all-or-nothing, any bad line means nothing is stored. put does not\n"
       "move timeline heads; use fork, mut8 and rel8 to edit timelines.\n"
       "A summary \"N stored, M invalid\" ends the output on stderr.\n"
       "\n"
       "options:\n"
       "  --config FILE      the node's deployment (required)\n"
       "  --all-or-nothing   store nothing unless every line is valid\n"
       "\n"
       "exit status: 0 all stored, 1 some line invalid, 2 usage, deployment or\n"
       "unreadable input, 3 the node could not be opened (locked) or written\n",
       &run_put},
      {"get", "print a stored record",
       "usage: gib get --config FILE ADDRESS\n"
       "\n"
       "Prints the record stored at ADDRESS (ib^gib) as one line of JSON.\n"
       "\n"
       "exit status: 0 printed, 1 not stored, 2 usage or bad address, 3 node failure\n",
       &run_get},
      {"fork", "start a new timeline",
       "usage: gib fork --config FILE --ib IB [--data JSON]\n"
       "\n"
       "Starts a timeline as an ibgib app does: forks the root ib^gib into a frame\n"
       "with ib IB that is its own tjp (uuid, timestamp, n 0, fork dna); with --data\n"
       "(a JSON object) a mut8 frame adding that data follows (n 1). The frames and\n"
       "their dna records are stored, and the new timeline's head set, in one batch.\n"
       "Prints the timeline's latest address; any of its addresses names it.\n"
       "\n"
       "exit status: 0 created, 2 usage or bad JSON, 3 node failure\n",
       &run_fork},
      {"mut8", "change the data of a timeline",
       "usage: gib mut8 --config FILE ADDRESS [--data JSON] [--remove KEY]...\n"
       "\n"
       "Evolves the timeline ADDRESS belongs to (any of its frames names it; the\n"
       "change applies to its latest frame): --data adds or patches keys (a JSON\n"
       "object), --remove removes a key (repeatable). The new frame (n + 1, past,\n"
       "tjp, mut8 dna) and its dna are stored and the head moved by compare-and-swap:\n"
       "if another writer moved it meanwhile, nothing is stored. Prints the new head.\n"
       "\n"
       "exit status: 0 stored, 1 unknown address or not a timeline, 2 usage or bad\n"
       "JSON, 3 node failure or the head moved meanwhile\n",
       &run_mut8},
      {"rel8", "link a timeline to other records",
       "usage: gib rel8 --config FILE ADDRESS --rel8n NAME=TARGET...\n"
       "\n"
       "Evolves the timeline ADDRESS belongs to with a frame relating each TARGET\n"
       "under NAME (repeatable; past, ancestor, dna and tjp are reserved). Every\n"
       "TARGET must be stored in the node (or be a primitive X^gib), so that a sync\n"
       "can send the complete graph. Stored and the head moved as mut8 does;\n"
       "prints the new head.\n"
       "\n"
       "exit status: 0 stored, 1 unknown address or target, 2 usage, 3 node failure\n",
       &run_rel8},
      {"log", "show a timeline's history",
       "usage: gib log --config FILE ADDRESS\n"
       "\n"
       "Prints the frames of the timeline ADDRESS belongs to, newest (the head)\n"
       "first, one per line, tab separated:\n"
       "  n  timestamp  address  change\n"
       "where change comes from the frame's dna: \"fork ib=IB\", \"mut8 set=K,..\n"
       "removed=K,..\", \"rel8 +NAME:ADDRESS ..\" (\"-\" for frames without dna).\n"
       "\n"
       "exit status: 0 printed, 1 unknown address or not a timeline, 2 usage,\n"
       "3 node failure\n",
       &run_log},
      {"keystone", "create, show and export identities",
       "usage: gib keystone --config FILE create [--preset domain|session|domain-pools|session-pools]\n"
       "       gib keystone --config FILE show ADDRESS\n"
       "       gib keystone --config FILE export FILE|-\n"
       "       gib keystone --config FILE duplicity IDENTITY [--keep-held]\n"
       "       gib keystone --config FILE frames IDENTITY\n"
       "       gib keystone --config FILE recover FILE|-\n"
       "       gib keystone --config FILE trust FILE|-\n"
       "       gib keystone --config FILE untrust DOMAIN\n"
       "       gib keystone --config FILE trusted\n"
       "\n"
       "create  makes a new identity with the node's signer (sync.signer, or the\n"
       "        only signer), stores its genesis frame and prints its address.\n"
       "        --preset chooses the kind (default domain): domain and session are\n"
       "        Winternitz one-time keys (scheme wots, about 5 KiB a frame);\n"
       "        domain-pools and session-pools the positional challenge pools.\n"
       "show    prints the frames of the identity ADDRESS belongs to, genesis to\n"
       "        latest: n, timestamp, address, each proof's claim (verb target),\n"
       "        revocation, the scheme and next-key commitment (wots) or each\n"
       "        challenge pool with its size (pools).\n"
       "export  writes the genesis frame of the node's domain identity (created\n"
       "        first if the node has none, exactly as gibd would) to FILE, for a\n"
       "        peer's sync.trust list, and prints the domain's address. FILE is\n"
       "        replaced atomically; '-' prints the frame instead. It needs only\n"
       "        the node's own identity (sync.trust files need not exist yet).\n"
       "duplicity  shows the evidence recorded when IDENTITY signed two different\n"
       "        frames at one position (it is refused since); --keep-held is the\n"
       "        operator's decision to trust it again, following the branch this\n"
       "        node had accepted. The other frame stays stored as evidence.\n"
       "frames  prints the frames this node holds of IDENTITY (a tjp address),\n"
       "        genesis first, as JSON: run it on a peer for `recover`.\n"
       "recover brings a node restored from a backup forward: verifies the frames\n"
       "        of FILE (`frames` output of a peer) that descend from the head the\n"
       "        node holds of its own domain identity, stores them, then signs one\n"
       "        endorsement to prove the node's signer can go on. It fails, saying\n"
       "        why, when it cannot (docs/security.md, \"Recovering a restored node\").\n"
       "trust   trusts the peer domain whose genesis FILE holds (a peer's `export`),\n"
       "        stored in the node's space: through a running gibd it applies at\n"
       "        once. Also lifts an earlier untrust. Prints the domain's tjp.\n"
       "untrust refuses the trusted peer DOMAIN (its tjp, ib or a unique gib\n"
       "        prefix) from now on, also when a sync.trust file names it: the\n"
       "        untrust wins over the file, at every start, until `trust` again.\n"
       "trusted lists the peer domains, one per line, tab separated: tjp, ib,\n"
       "        source (config FILE, command, or both) and state (trusted, UNTRUSTED).\n"
       "\n"
       "exit status: 0 done, 1 unknown address or refused frames, 2 usage, 3 node or\n"
       "signer failure (recover: the signer cannot go on)\n",
       &run_keystone},
      {"sync", "sync timelines with a peer",
       "usage: gib sync --config FILE --peer URL [--peer-domain IDENTITY] ADDRESS...\n"
       "\n"
       "Runs the sync saga as sender with the peer at URL (e.g. ws://127.0.0.1:4100)\n"
       "over the node's sync transport, for the timelines (any of their addresses)\n"
       "and stones named. Each request turn is signed by a session identity the\n"
       "node's domain identity endorses; the peer must trust that domain\n"
       "(gib keystone export, then the peer's sync.trust). Each reply is signed the\n"
       "same way by the peer, which must answer as the domain identity\n"
       "--peer-domain names (default: the sync.peers entry for URL), trusted here.\n"
       "\n"
       "Progress goes to stderr: one line redrawn in place on a terminal, otherwise\n"
       "a log line (event=sync.progress) per leg and at most one per second. At the\n"
       "end a summary goes to stdout: each timeline's outcome (in_sync, sent,\n"
       "received, merged, conflict) and head, records and bytes each way, time,\n"
       "signed turns and legs.\n"
       "\n"
       "exit status: 0 synced, 2 usage, 3 the node could not be opened or the sync\n"
       "failed (nothing was committed on either side; the error says why)\n",
       &run_sync},
      {"fsck", "check a node's store for damage",
       "usage: gib fsck --config FILE\n"
       "\n"
       "Checks the node's store, as git fsck checks a repository, and repairs\n"
       "nothing:\n"
       "  1. every stored record parses, is intrinsically valid (as verify) and is\n"
       "     stored under its own address;\n"
       "  2. every head names a stored record; a timeline's head (data timelines,\n"
       "     identities, saga logs) a frame of that timeline;\n"
       "  3. every address a stored record relates is stored (primitives aside);\n"
       "  4. every identity verifies from its genesis, frame by frame, with the\n"
       "     node's signer for its frames, for the claim the node's ledger or the\n"
       "     frame itself records;\n"
       "  5. the temporary (staging) spaces hold nothing.\n"
       "\n"
       "Each finding is one line on stdout, \"problem: KIND: DETAIL\" or\n"
       "\"warning: KIND: DETAIL\" (an identity marked duplicitous, staging leftovers),\n"
       "then a summary \"fsck: N records, M heads, K identities checked; P problems,\n"
       "W warnings\". With gibd running the node, fsck runs inside gibd (its\n"
       "local API), where a saga in flight may have staged records.\n"
       "\n"
       "exit status: 0 no problems (warnings allowed), 1 problems found, 2 usage or\n"
       "deployment, 3 the node could not be opened (locked) or read\n",
       &run_fsck},
      {"ls", "list a node's timelines, identities and stones",
       "usage: gib ls --config FILE\n"
       "\n"
       "Lists what the node holds: each timeline (n, timestamp of its head, head,\n"
       "ib), each identity (n, head, identity; DUPLICITOUS when marked) and each\n"
       "stone. Records the saga and the registry keep for themselves (contexts,\n"
       "ledger entries) and transform dna are not listed as stones.\n"
       "\n"
       "exit status: 0 listed, 2 usage, 3 node failure\n",
       &run_ls},
      {"sagas", "list a node's recent sync sagas, both roles, newest first",
       "usage: gib sagas --config FILE [-n N]\n"
       "\n"
       "Lists the node's last N sync sagas (default 20), as sender and as receiver,\n"
       "newest first, from the saga timelines every saga writes into the durable\n"
       "space. One line per saga: time, role, outcome, legs, saga id, peer, and for\n"
       "a failed saga the reason. The header says how many sagas the node holds.\n"
       "\n"
       "  time     when the sender issued the Init (UTC, its clock); '-' for a saga\n"
       "           that ended before its Init went out (listed last)\n"
       "  role     sender or receiver\n"
       "  outcome  committed, aborted, failed, or open (in flight, or its node\n"
       "           stopped mid-saga)\n"
       "  legs     the legs it got through, repeats counted: init,delta*3,commit\n"
       "  peer     the other node's domain identity ('-' when no leg got through)\n"
       "\n"
       "options:\n"
       "  --config FILE   the node's deployment (required)\n"
       "  -n N            show at most N sagas (default 20)\n"
       "\n"
       "exit status: 0 listed, 2 usage, 3 node failure\n",
       &run_sagas},
  }};
  return table;
}

}  // namespace gibkit::tools
