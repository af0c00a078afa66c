// An exclusive lock on a space's directory, held for the space's lifetime.
//
// LevelDB takes its own LOCK only inside DB::Open, after the space has read
// and removed the clean-close mark (clean_close.h). Without a lock of ours
// around both, a second process could open the directory in between, write
// a new log and die mid-record, and the first would then reuse that torn
// log. The lock is taken before the mark is read and released after the
// mark is left at close. It is flock(2) on <dir>/GIBKIT-LOCK: a second
// space instance in the same process is refused too.
#pragma once

#include <string>

#include "gibkit/status.h"

namespace gibkit_space_leveldb {

class DirectoryLock {
 public:
  // Takes the lock on existing directory `dir`; kUnavailable naming `dir`
  // if another process or space instance holds it.
  [[nodiscard]] static gibkit::Result<DirectoryLock> take(const std::string& dir);

  DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();  // releases it

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace gibkit_space_leveldb
