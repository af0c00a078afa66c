// The subcommand table. Adding a subcommand: write run_<name> in its own
// <name>_command.cc, declare it in command.h, add a row here.
#include <array>

#include "command.h"

namespace gibkit::tools {

std::span<const Command> commands() {
  static const std::array<Command, 2> table = {{
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
  }};
  return table;
}

}  // namespace gibkit::tools
