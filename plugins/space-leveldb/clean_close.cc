#include "clean_close.h"

#include "sync_path.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace gibkit_space_leveldb {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMark = "GIBKIT-CLEAN-CLOSE";

// The newest log ("NNNNNN.log", the highest number; LevelDB writes only to
// it) and its size, as one line: what the mark records and open compares.
std::string current_log(const fs::path& dir) {
  std::error_code ec;
  std::uint64_t newest = 0;
  fs::path found;
  // increment(ec), not a range-for: a failed readdir must not throw (this
  // runs in a destructor).
  for (fs::directory_iterator it(dir, ec), last; !ec && it != last; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".log") continue;
    std::uint64_t number = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size() - 4, number);
    if (err != std::errc() || end != name.data() + name.size() - 4) continue;
    if (found.empty() || number > newest) {
      newest = number;
      found = entry.path();
    }
  }
  if (ec || found.empty()) return {};
  const std::uintmax_t size = fs::file_size(found, ec);
  if (ec) return {};
  return found.filename().string() + " " + std::to_string(size);
}

}  // namespace

bool take_clean_close_mark(const std::string& dir) {
  const fs::path mark = fs::path(dir) / kMark;
  std::ifstream in(mark);
  if (!in) return false;
  std::stringstream named;
  named << in.rdbuf();
  in.close();
  std::error_code ec;
  // Gone for good before LevelDB writes anything: a later crash must find
  // no mark. If that cannot be made sure of, the log is not reused.
  if (!fs::remove(mark, ec) || ec || !sync_path(dir, /*directory=*/true).ok()) return false;
  const std::string expected = named.str();
  return !expected.empty() && expected == current_log(dir);
}

void leave_clean_close_mark(const std::string& dir) {
  const std::string log = current_log(dir);
  if (log.empty()) return;
  const fs::path mark = fs::path(dir) / kMark;
  {
    std::ofstream out(mark, std::ios::trunc);
    out << log;
    if (!out.flush()) {
      std::error_code ec;
      fs::remove(mark, ec);
      return;
    }
  }
  if (!sync_path(mark, /*directory=*/false).ok() || !sync_path(dir, /*directory=*/true).ok()) {
    std::error_code ec;
    fs::remove(mark, ec);  // not known to be on disk: better none than a doubtful one
  }
}

}  // namespace gibkit_space_leveldb
