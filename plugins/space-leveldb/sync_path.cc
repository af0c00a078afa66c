#include "sync_path.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace gibkit_space_leveldb {

gibkit::Status sync_path(const std::filesystem::path& path, bool directory) {
  const auto reason = [](int error) { return std::error_code(error, std::generic_category()).message(); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return gibkit::unavailable("cannot open " + path.string() + " to sync it: " + reason(errno));
  const int synced = ::fsync(fd);
  const int sync_error = errno;
  const int closed = ::close(fd);
  if (synced != 0) return gibkit::unavailable("cannot sync " + path.string() + ": " + reason(sync_error));
  if (closed != 0) return gibkit::unavailable("cannot close " + path.string() + ": " + reason(errno));
  return gibkit::Status();
}

}  // namespace gibkit_space_leveldb
