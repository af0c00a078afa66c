// Whether a LevelDB directory may keep its log across an open: the mark a
// clean close leaves.
//
// LevelDB's reuse_logs (append to the log and MANIFEST found at open) spares
// every open the level-0 table it would otherwise write, whose pile-up makes
// some later process pay for a compaction (docs/performance.md, "Round 4").
// But LevelDB 1.23 appends after a torn last record as if it were whole, and
// the next open then fails ("partial record without end") or loses synced
// writes (google/leveldb#1287). A record is torn when the process dies
// between the write(2)s of a record over 32 KiB (a Commit's batch), or the
// machine before a write reached the disk. So a log is reused only after a
// clean close: the space syncs its log, closes the DB and leaves this mark,
// naming the log it left; the next open takes the mark away (durably) before
// opening, and reuses the log only if it is still that one. After a crash
// there is no mark and LevelDB recovers as it always did. Both happen under
// the space's directory lock (directory_lock.h).
//
// Known limit: the mark says nothing of the MANIFEST, which reuse_logs also
// appends to. A MANIFEST edit is one write(2) (a kill cannot tear it), but
// one that failed half-way on a disk error during the close's last
// background compaction could leave a torn MANIFEST under a mark; the open
// after the reusing one then refuses the directory as corrupt
// (paranoid_checks), it does not lose writes silently.
#pragma once

#include <string>

namespace gibkit_space_leveldb {

// True if `dir` holds a mark naming its current log, as it was at a clean
// close. The mark is removed first, durably, so that a crash from now on
// leaves none; false if there is no mark, it names another log, or it
// cannot be removed.
bool take_clean_close_mark(const std::string& dir);

// Leaves the mark in `dir`, durably. Only once the DB is closed and its log
// was synced after its last write; a failure leaves no mark (the next open
// recovers the old way).
void leave_clean_close_mark(const std::string& dir);

}  // namespace gibkit_space_leveldb
