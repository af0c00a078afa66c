// pread_env.h's Env: table files read with pread(2), never mapped.
//
// A table file keeps its descriptor open while LevelDB's table cache holds
// it (up to max_open_files - 10 per DB), so a read is one pread. Those
// descriptors are capped process-wide at a fifth of RLIMIT_NOFILE, the
// share LevelDB's own POSIX Env gives them: several DBs (a durable space and
// a spill) with hundreds of tables each must not starve the sockets of
// descriptors. A file opened past the cap opens and closes its descriptor on
// each read instead: slower, but correct.
#include "pread_env.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace gibkit_space_leveldb {
namespace {

leveldb::Status io_error(const std::string& file, const char* call, int error) {
  return leveldb::Status::IOError(file, std::string(call) + ": " + std::strerror(error));
}

int open_read_only(const std::string& file) {
  int fd;
  do {
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// How many table descriptors may stay open at once, in the whole process.
class DescriptorBudget {
 public:
  DescriptorBudget() : available_(limit()) {}

  bool acquire() {
    if (available_.fetch_sub(1, std::memory_order_acquire) > 0) return true;
    available_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  void release() { available_.fetch_add(1, std::memory_order_relaxed); }

 private:
  static int limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 50;  // LevelDB's fallback
    if (rl.rlim_cur == RLIM_INFINITY) return std::numeric_limits<int>::max();
    return static_cast<int>(rl.rlim_cur / 5);
  }

  std::atomic<int> available_;
};

class PreadFile final : public leveldb::RandomAccessFile {
 public:
  // fd < 0: no descriptor kept (over the budget); each read opens the file.
  PreadFile(std::string file, int fd, DescriptorBudget& budget) : file_(std::move(file)), fd_(fd), budget_(budget) {}

  ~PreadFile() override {
    if (fd_ >= 0) {
      ::close(fd_);
      budget_.release();
    }
  }

  // LevelDB asks for whole blocks it knows are there; fewer bytes than n
  // only at the end of the file, which LevelDB reports as corruption itself.
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* scratch) const override {
    *result = leveldb::Slice();
    int fd = fd_;
    if (fd < 0) {
      fd = open_read_only(file_);
      if (fd < 0) return io_error(file_, "open", errno);
    }
    size_t done = 0;
    int error = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        error = errno;
        break;
      }
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    if (fd != fd_) ::close(fd);
    *result = leveldb::Slice(scratch, done);
    if (error != 0) return io_error(file_, "pread", error);
    return leveldb::Status::OK();
  }

 private:
  const std::string file_;
  const int fd_;
  DescriptorBudget& budget_;
};

class PreadEnv final : public leveldb::EnvWrapper {
 public:
  explicit PreadEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

  leveldb::Status NewRandomAccessFile(const std::string& file, leveldb::RandomAccessFile** result) override {
    *result = nullptr;
    // Open once even when no descriptor is kept: a missing or unreadable
    // table is reported here, where LevelDB expects it, not at a later read.
    const int fd = open_read_only(file);
    if (fd < 0) return io_error(file, "open", errno);
    if (budget_.acquire()) {
      *result = new PreadFile(file, fd, budget_);
    } else {
      ::close(fd);
      *result = new PreadFile(file, -1, budget_);
    }
    return leveldb::Status::OK();
  }

 private:
  DescriptorBudget budget_;
};

}  // namespace

leveldb::Env* pread_env() {
  // Leaked on purpose, like Env::Default(): no destructor runs at exit while
  // a DB's background compaction may still call into it.
  static PreadEnv* const env = new PreadEnv(leveldb::Env::Default());
  return env;
}

}  // namespace gibkit_space_leveldb
