// A LevelDB Env that reads table files with pread(2) instead of mmap(2).
//
// LevelDB's default POSIX Env memory-maps up to 1000 table files on 64-bit
// hosts, and every mapped page a read touches counts in the process's
// resident memory until the kernel reclaims it. A gibd receiving a large
// sync reads back the spill's tables at commit and the durable space's in
// compactions, so its peak RSS grew with the sync's size (issue #11,
// docs/performance.md "Staging spill"). With pread the bytes land in
// LevelDB's block cache (bounded, anonymous memory) or in a short-lived
// buffer, and the file pages stay in the page cache, which the kernel
// shares and does not charge to the process.
#pragma once

#include <leveldb/env.h>

namespace gibkit_space_leveldb {

// The process's one pread Env: it wraps leveldb::Env::Default(), so files,
// locks, the background compaction thread and the clock are LevelDB's own;
// only NewRandomAccessFile differs. Set it in leveldb::Options::env of every
// DB this plugin opens. Never destroyed (like Env::Default()): a DB still
// closing at exit may use it.
leveldb::Env* pread_env();

}  // namespace gibkit_space_leveldb
