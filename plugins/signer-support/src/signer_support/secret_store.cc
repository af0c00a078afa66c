#include "signer_support/secret_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include <botan/hex.h>

#include "gibkit/ibgib.h"

namespace gibkit::signer_support {

namespace {

constexpr std::string_view kSecretSuffix = ".secret";
constexpr std::string_view kHeadSuffix = ".head";
constexpr std::size_t kMaxSecretFileBytes = 4096;
// The address line plus the frame's JSON: a Winternitz frame is about
// 5.3 KiB, a challenge-pool frame about 85 KiB; anything much longer is not
// one of ours.
constexpr std::size_t kMaxHeadFileBytes = 1 << 20;

std::string errno_text(int error) { return std::strerror(error); }

// Identities are genesis gibs (hex); anything else could escape the directory.
bool is_safe_identity(std::string_view identity) {
  if (identity.empty() || identity.size() > 200) return false;
  for (char c : identity) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status write_all(int fd, const std::string& bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable("secret store: write failed: " + errno_text(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  return {};
}

enum class Install {
  kCreate,   // link(): fails rather than replace an existing file
  kReplace,  // rename(): atomically replaces the previous file
};

// Writes `bytes` as `target` in `dir` so that a crash leaves the old file or
// the whole new one: a 0600 temporary file in the same directory (so that
// link/rename are atomic), fsynced, put in place, then the directory fsynced.
// kAlreadyExists when kCreate finds the target.
Status install_file(const std::filesystem::path& dir, const std::filesystem::path& target, const std::string& bytes,
                    Install how) {
  // pid + a per-process counter: two stores over one directory in the same
  // process must not collide on the temporary name (O_EXCL would refuse).
  static std::atomic<unsigned> sequence{0};
  const std::filesystem::path temp =
      target.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(sequence++);
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return unavailable("secret store: cannot create " + temp.string() + ": " + errno_text(errno));
  Status written = write_all(fd.get(), bytes);
  if (written.ok() && ::fsync(fd.get()) != 0) written = unavailable("secret store: fsync failed: " + errno_text(errno));
  if (::close(fd.release()) != 0 && written.ok()) written = unavailable("secret store: close failed: " + errno_text(errno));
  if (written.ok()) {
    if (how == Install::kCreate) {
      // link() instead of rename(): it fails rather than replace an existing secret.
      if (::link(temp.c_str(), target.c_str()) != 0) {
        written = errno == EEXIST ? already_exists("secret store: identity already has a secret")
                                  : unavailable("secret store: cannot install " + target.string() + ": " + errno_text(errno));
      }
    } else if (::rename(temp.c_str(), target.c_str()) != 0) {
      written = unavailable("secret store: cannot install " + target.string() + ": " + errno_text(errno));
    }
  }
  ::unlink(temp.c_str());  // after link() or a failure; a no-op after rename()
  GIBKIT_RETURN_IF_ERROR(written);
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) {
    return unavailable("secret store: fsync of " + dir.string() + " failed: " + errno_text(errno));
  }
  return {};
}

// Reads a file only its owner (this user) may read or write, never through a
// symlink. `absent` is the kNotFound message for a missing file. The caller
// zeroes the text if it is secret.
Result<std::string> read_owner_only_file(const std::filesystem::path& path, std::size_t max_bytes,
                                         std::string_view absent) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return not_found(std::string(absent));
    return unavailable("secret store: cannot open " + path.string() + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return unavailable("secret store: cannot stat " + path.string());
  if (!S_ISREG(st.st_mode)) return permission_denied("secret store: " + path.string() + " is not a regular file");
  if ((st.st_mode & 0077) != 0) {
    return permission_denied("secret store: " + path.string() + " is accessible by group or others; chmod 600 it");
  }
  if (st.st_uid != ::geteuid()) return permission_denied("secret store: " + path.string() + " is owned by another user");
  if (st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > max_bytes) {
    return data_loss("secret store: " + path.string() + " has an unexpected size");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fill(text.begin(), text.end(), '\0');
      return unavailable("secret store: cannot read " + path.string());
    }
    got += static_cast<std::size_t>(n);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

Status check_head_address(std::string_view address) {
  if (address.find('\n') != std::string_view::npos || address.find('\r') != std::string_view::npos) {
    return invalid_argument("secret store: a head address may not contain a line break");
  }
  Result<Address> parsed = Address::parse(address);
  if (!parsed.ok()) return parsed.status().with_context("secret store: head");
  return {};
}

}  // namespace

SecretStore::SecretStore() = default;
SecretStore::SecretStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

Result<std::unique_ptr<SecretStore>> SecretStore::open_directory(const std::filesystem::path& dir) {
  if (dir.empty()) return invalid_argument("secret store: empty secrets_dir");
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return unavailable("secret store: cannot create " + dir.string() + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return invalid_argument("secret store: " + dir.string() + " is not a directory");
  }
  return std::unique_ptr<SecretStore>(new SecretStore(dir));
}

Result<std::filesystem::path> SecretStore::file_for(std::string_view identity, std::string_view suffix) const {
  if (!is_safe_identity(identity)) return invalid_argument("secret store: malformed identity name");
  return *dir_ / (std::string(identity) + std::string(suffix));
}

Status SecretStore::put(std::string_view identity, const Secret& secret, Lifetime lifetime) {
  std::lock_guard lock(mutex_);
  if (!dir_ || lifetime == Lifetime::kProcess) {
    if (memory_.contains(identity)) return already_exists("secret store: identity already has a secret");
    memory_.emplace(std::string(identity), secret);
    return {};
  }
  GIBKIT_ASSIGN_OR_RETURN(const std::filesystem::path target, file_for(identity, kSecretSuffix));
  if (::access(target.c_str(), F_OK) == 0) return already_exists("secret store: identity already has a secret");
  std::string text = Botan::hex_encode(secret, false) + "\n";
  Status installed = install_file(*dir_, target, text, Install::kCreate);
  std::fill(text.begin(), text.end(), '\0');
  return installed;
}

Result<Secret> SecretStore::get(std::string_view identity) const {
  std::lock_guard lock(mutex_);
  if (const auto it = memory_.find(identity); it != memory_.end()) return it->second;
  if (!dir_) return not_found("secret store: no secret held for this identity");
  GIBKIT_ASSIGN_OR_RETURN(const std::filesystem::path path, file_for(identity, kSecretSuffix));
  GIBKIT_ASSIGN_OR_RETURN(std::string text, read_owner_only_file(path, kMaxSecretFileBytes,
                                                                 "secret store: no secret held for this identity"));
  Secret secret;
  try {
    secret = Botan::hex_decode_locked(text, false);
  } catch (const std::exception&) {
    secret.clear();
  }
  std::fill(text.begin(), text.end(), '\0');
  if (secret.empty()) return data_loss("secret store: " + path.string() + " is corrupt");
  return secret;
}

Status SecretStore::put_head(std::string_view identity, std::string_view address, std::string_view frame_json) {
  GIBKIT_RETURN_IF_ERROR(check_head_address(address));
  // One line per member: a frame's JSON text escapes its line breaks, so a
  // raw one means it is not a frame we wrote.
  if (frame_json.find('\n') != std::string_view::npos || frame_json.find('\r') != std::string_view::npos) {
    return invalid_argument("secret store: a head frame's JSON may not contain a raw line break");
  }
  std::lock_guard lock(mutex_);
  // In memory with its secret: an in-memory store, or a kProcess identity.
  if (!dir_ || memory_.contains(identity)) {
    memory_heads_.insert_or_assign(std::string(identity), HeadRecord{std::string(address), std::string(frame_json)});
    return {};
  }
  GIBKIT_ASSIGN_OR_RETURN(const std::filesystem::path target, file_for(identity, kHeadSuffix));
  // Address and frame in one file, replaced by one rename(): a crash leaves
  // the old pair or the new one, never an address with another's frame.
  std::string text = std::string(address) + "\n";
  if (!frame_json.empty()) text += std::string(frame_json) + "\n";
  return install_file(*dir_, target, text, Install::kReplace);
}

Result<SecretStore::HeadRecord> SecretStore::read_head(std::string_view identity) const {
  std::lock_guard lock(mutex_);
  if (const auto it = memory_heads_.find(identity); it != memory_heads_.end()) return it->second;
  if (!dir_ || memory_.contains(identity)) {
    return not_found("secret store: no latest frame recorded for this identity");
  }
  GIBKIT_ASSIGN_OR_RETURN(const std::filesystem::path path, file_for(identity, kHeadSuffix));
  GIBKIT_ASSIGN_OR_RETURN(std::string text,
                          read_owner_only_file(path, kMaxHeadFileBytes,
                                               "secret store: no latest frame recorded for this identity"));
  HeadRecord record;
  const std::size_t line_end = text.find('\n');
  record.address = text.substr(0, line_end);
  if (line_end != std::string::npos) record.frame_json = text.substr(line_end + 1);
  if (!record.address.empty() && record.address.back() == '\r') record.address.pop_back();
  if (!check_head_address(record.address).ok() || record.frame_json.find('\n') != std::string::npos) {
    return data_loss("secret store: " + path.string() + " is corrupt");
  }
  return record;
}

Status SecretStore::forget(std::string_view identity) {
  std::lock_guard lock(mutex_);
  if (const auto it = memory_.find(identity); it != memory_.end()) memory_.erase(it);
  if (const auto it = memory_heads_.find(identity); it != memory_heads_.end()) memory_heads_.erase(it);
  return {};
}

Result<std::string> SecretStore::get_head(std::string_view identity) const {
  GIBKIT_ASSIGN_OR_RETURN(HeadRecord record, read_head(identity));
  return std::move(record.address);
}

Result<std::string> SecretStore::get_head_frame(std::string_view identity) const {
  GIBKIT_ASSIGN_OR_RETURN(HeadRecord record, read_head(identity));
  if (record.frame_json.empty()) return not_found("secret store: only the address of the latest frame is recorded");
  return std::move(record.frame_json);
}

}  // namespace gibkit::signer_support
