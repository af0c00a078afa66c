#include "pack_files.h"

#include "sync_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <climits>
#include <system_error>

namespace gibkit_space_leveldb {
namespace {

using gibkit::Result;
using gibkit::Status;

constexpr char kEscapeTag = '\x00';    // a text follows that starts with a tag byte
constexpr char kLocationTag = '\x01';  // a PackLocation follows
static_assert(kPackLocationSize == 1 + 8 + 8 + 8 + 8);
constexpr std::string_view kPackMagic = "GIBPACK1";  // PackFiles::kHeaderSize bytes
constexpr std::string_view kPackSuffix = ".pack";
constexpr std::size_t kMaxPieces = IOV_MAX;  // a writev's limit

void put_fixed(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_fixed(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return value;
}

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// Writes `header` and then every text to `fd`, in writev calls of at most
// IOV_MAX pieces, resuming where a short write stopped. Every
// kWritebackBytes the kernel is asked to start writing back what came
// before (Linux's sync_file_range, which waits for nothing), so the disk
// works while the rest is copied and the final fdatasync has less to wait
// for.
Status write_all(int fd, std::string_view header, const std::vector<std::string_view>& texts,
                 const std::string& name) {
  constexpr std::uint64_t kWritebackBytes = 8 << 20;
  std::uint64_t total = 0;
  std::uint64_t written_back = 0;  // bytes handed to writeback so far
  const std::size_t count = texts.size() + 1;
  auto piece = [&](std::size_t i) { return i == 0 ? header : texts[i - 1]; };
  std::vector<iovec> pieces;
  pieces.reserve(std::min(count, kMaxPieces));
  std::size_t next = 0;  // the first piece not wholly written
  std::size_t done = 0;  // bytes of it that are
  while (next < count) {
    pieces.clear();
    for (std::size_t i = next; i < count && pieces.size() < kMaxPieces; ++i) {
      std::string_view rest = piece(i);
      if (i == next) rest.remove_prefix(done);
      pieces.push_back({const_cast<char*>(rest.data()), rest.size()});
    }
    const ssize_t n = ::writev(fd, pieces.data(), static_cast<int>(pieces.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return gibkit::unavailable("cannot write pack file " + name + ": " + errno_text(errno));
    if (n == 0) return gibkit::unavailable("cannot write pack file " + name + ": no byte written");
    total += static_cast<std::uint64_t>(n);
#ifdef SYNC_FILE_RANGE_WRITE
    if (total - written_back >= kWritebackBytes) {
      // Only a hint: fdatasync below is what makes the file durable.
      (void)::sync_file_range(fd, static_cast<off_t>(written_back), static_cast<off_t>(total - written_back),
                              SYNC_FILE_RANGE_WRITE);
      written_back = total;
    }
#endif
    for (auto written = static_cast<std::size_t>(n); next < count;) {
      const std::size_t left = piece(next).size() - done;
      if (written < left) {
        done += written;
        break;
      }
      written -= left;
      ++next;
      done = 0;
    }
  }
  return Status();
}

}  // namespace

struct PackFiles::OpenFile {
  int fd = -1;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

bool needs_escape(std::string_view text) {
  return !text.empty() && (text[0] == kEscapeTag || text[0] == kLocationTag);
}

void append_stored_text(std::string& out, std::string_view text) {
  if (needs_escape(text)) out.push_back(kEscapeTag);
  out.append(text);
}

void append_location(std::string& out, const PackLocation& location) {
  out.push_back(kLocationTag);
  put_fixed(out, location.pack, 8);
  put_fixed(out, location.offset, 8);
  put_fixed(out, location.length, 8);
  put_fixed(out, location.checksum, 8);
}

Result<StoredValue> decode_stored_value(std::string_view value) {
  StoredValue decoded;
  if (value.empty() || (value[0] != kEscapeTag && value[0] != kLocationTag)) {
    decoded.text = value;
  } else if (value[0] == kEscapeTag) {
    decoded.text = value.substr(1);
  } else {
    if (value.size() != kPackLocationSize) {
      return gibkit::data_loss("storage is corrupt: a record's pack location has " + std::to_string(value.size()) +
                               " bytes, not " + std::to_string(kPackLocationSize));
    }
    decoded.packed = PackLocation{get_fixed(value, 1, 8), get_fixed(value, 9, 8), get_fixed(value, 17, 8),
                                  get_fixed(value, 25, 8)};
  }
  return decoded;
}

std::string pack_key(std::uint64_t number) {
  std::string digits = std::to_string(number);
  std::string key(kPackKeyPrefix);
  key.append(20 - std::min<std::size_t>(20, digits.size()), '0');  // fixed width: numeric order
  key.append(digits);
  return key;
}

std::string encode_pack_info(const PackInfo& info) {
  std::string out;
  put_fixed(out, info.size, 8);
  put_fixed(out, info.live, 8);
  return out;
}

Result<PackInfo> decode_pack_info(std::string_view value) {
  if (value.size() != 16) {
    return gibkit::data_loss("storage is corrupt: a pack's registration has " + std::to_string(value.size()) +
                             " bytes, not 16");
  }
  return PackInfo{get_fixed(value, 0, 8), get_fixed(value, 8, 8)};
}

std::optional<std::uint64_t> parse_pack_number(std::string_view digits) {
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() || number == 0) {
    return std::nullopt;
  }
  return number;
}

std::uint64_t checksum(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

Result<std::unique_ptr<PackFiles>> PackFiles::open(const std::string& db_path,
                                                   const std::map<std::uint64_t, PackInfo>& registered) {
  const std::string dir = db_path + "/packs";
  std::uint64_t highest = registered.empty() ? 0 : registered.rbegin()->first;
  std::error_code ec;
  const bool exists = std::filesystem::is_directory(dir, ec);
  if (exists) {
    // Advanced with the error_code overloads: nothing here throws.
    std::filesystem::directory_iterator it(dir, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() <= kPackSuffix.size() || !name.ends_with(kPackSuffix)) continue;  // not ours
      const std::optional<std::uint64_t> number =
          parse_pack_number(std::string_view(name).substr(0, name.size() - kPackSuffix.size()));
      if (!number) continue;
      highest = std::max(highest, *number);
      if (registered.count(*number) == 0) {
        // A write that crashed before its batch: nothing points into it.
        if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
          return gibkit::unavailable("cannot remove unregistered pack file " + it->path().string() + ": " +
                                     errno_text(errno));
        }
      }
    }
    if (ec) return gibkit::unavailable("cannot list pack directory " + dir + ": " + ec.message());
  }
  std::unique_ptr<PackFiles> packs(new PackFiles(dir, highest + 1));
  for (const auto& [number, info] : registered) {
    const std::string name = packs->file_name(number);
    struct stat st {};
    if (::stat(name.c_str(), &st) != 0) {
      return gibkit::data_loss("storage is corrupt: pack file " + name + " is registered but cannot be read: " +
                               errno_text(errno));
    }
    if (static_cast<std::uint64_t>(st.st_size) < info.size) {
      return gibkit::data_loss("storage is corrupt: pack file " + name + " has " + std::to_string(st.st_size) +
                               " bytes, registered with " + std::to_string(info.size));
    }
  }
  return packs;
}

PackFiles::~PackFiles() {
  std::unique_lock lock(removal_);  // no reader is left by now
  unlink_pending();
}

std::string PackFiles::file_name(std::uint64_t number) const {
  return dir_ + "/" + std::to_string(number) + std::string(kPackSuffix);
}

Status PackFiles::make_dir() {
  if (dir_made_) return Status();
  // Synced even when it exists: a process that crashed may have made it
  // and never synced its entry; packs inside it would go with it.
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    return gibkit::unavailable("cannot make pack directory " + dir_ + ": " + errno_text(errno));
  }
  GIBKIT_RETURN_IF_ERROR(sync_path(std::filesystem::path(dir_).parent_path(), /*directory=*/true));
  dir_made_ = true;
  return Status();
}

Status PackFiles::write(std::uint64_t number, const std::vector<std::string_view>& texts) {
  GIBKIT_RETURN_IF_ERROR(make_dir());
  const std::string name = file_name(number);
  // Used up whatever happens: a file left by a failure below does not
  // block the next write's name.
  next_number_ = std::max(next_number_, number + 1);
  const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return gibkit::unavailable("cannot create pack file " + name + ": " + errno_text(errno));
  Status written = write_all(fd, kPackMagic, texts, name);
  if (written.ok() && ::fdatasync(fd) != 0) {
    written = gibkit::unavailable("cannot sync pack file " + name + ": " + errno_text(errno));
  }
  if (::close(fd) != 0 && written.ok()) {
    written = gibkit::unavailable("cannot close pack file " + name + ": " + errno_text(errno));
  }
  if (written.ok()) written = sync_path(dir_, /*directory=*/true);  // its name, too, before a key names it
  if (!written.ok()) ::unlink(name.c_str());
  return written;
}

void PackFiles::discard(std::uint64_t number) { ::unlink(file_name(number).c_str()); }

void PackFiles::remove_unregistered(const std::vector<std::uint64_t>& numbers) {
  pending_removal_.insert(pending_removal_.end(), numbers.begin(), numbers.end());
  if (pending_removal_.empty()) return;
  std::unique_lock lock(removal_, std::try_to_lock);
  if (lock.owns_lock()) unlink_pending();
}

void PackFiles::unlink_pending() {
  for (std::uint64_t number : pending_removal_) {
    {
      std::lock_guard lock(mutex_);
      open_.erase(number);
    }
    // Not removed (an error): no key names it any more, so the next open does.
    ::unlink(file_name(number).c_str());
  }
  pending_removal_.clear();
}

Result<std::shared_ptr<PackFiles::OpenFile>> PackFiles::file(std::uint64_t number) {
  std::lock_guard lock(mutex_);
  if (auto it = open_.find(number); it != open_.end()) return it->second;
  auto opened = std::make_shared<OpenFile>();
  const std::string name = file_name(number);
  opened->fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (opened->fd < 0) {
    return gibkit::data_loss("storage is corrupt: cannot open pack file " + name + ": " + errno_text(errno));
  }
  if (open_.size() >= kMaxOpen) open_.erase(open_.begin());  // the oldest pack; a reader keeps its own
  open_.emplace(number, opened);
  return opened;
}

Result<std::string> PackFiles::read(const PackLocation& location) {
  GIBKIT_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> opened, file(location.pack));
  std::string text(location.length, '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pread(opened->fd, text.data() + done, text.size() - done,
                              static_cast<off_t>(location.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return gibkit::unavailable("cannot read pack file " + file_name(location.pack) + ": " + errno_text(errno));
    }
    if (n == 0) {
      return gibkit::data_loss("storage is corrupt: pack file " + file_name(location.pack) + " ends before byte " +
                               std::to_string(location.offset + location.length));
    }
    done += static_cast<std::size_t>(n);
  }
  if (checksum(text) != location.checksum) {
    return gibkit::data_loss("storage is corrupt: the record at byte " + std::to_string(location.offset) +
                             " of pack file " + file_name(location.pack) + " does not match its checksum");
  }
  return text;
}

PendingPack::PendingPack(PackFiles& files, std::vector<std::string_view> texts)
    : files_(files), texts_(std::move(texts)), number_(files.next_number()) {
  auto write = [this]() noexcept {
    try {
      written_ = files_.write(number_, texts_);
    } catch (const std::exception& e) {  // bad_alloc: no exception leaves the space
      written_ = gibkit::resource_exhausted(std::string("pack file write: ") + e.what());
    }
  };
  try {
    writer_ = std::thread(write);
  } catch (const std::system_error&) {
    write();  // no thread to be had: written now, one after the other
  }
}

PendingPack::~PendingPack() {
  join();
  if (!finished_) files_.discard(number_);
}

void PendingPack::join() {
  if (writer_.joinable()) writer_.join();
}

Status PendingPack::finish() {
  join();
  finished_ = true;  // written: the caller's; failed: write() left no file
  return written_;
}

}  // namespace gibkit_space_leveldb
