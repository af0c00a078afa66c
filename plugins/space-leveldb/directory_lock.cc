#include "directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gibkit_space_leveldb {

gibkit::Result<DirectoryLock> DirectoryLock::take(const std::string& dir) {
  const std::string file = (std::filesystem::path(dir) / "GIBKIT-LOCK").string();
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return gibkit::unavailable("cannot open " + file + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return gibkit::unavailable("LevelDB directory " + dir +
                                 " is locked: another process (or another space instance) has it open (" + file +
                                 ")");
    }
    return gibkit::unavailable("cannot lock " + file + ": " + std::strerror(error));
  }
  return DirectoryLock(fd);
}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace gibkit_space_leveldb
