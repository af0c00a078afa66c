// fsync(2) of a file or a directory by path: what makes a file's bytes, or
// a name made or removed in a directory, survive a crash. Shared by the
// clean-close mark (clean_close.h) and the pack files (pack_files.h).
#pragma once

#include <filesystem>

#include "gibkit/status.h"

namespace gibkit_space_leveldb {

// kUnavailable naming the path and the system's reason when it cannot be
// opened, synced or closed.
[[nodiscard]] gibkit::Status sync_path(const std::filesystem::path& path, bool directory);

}  // namespace gibkit_space_leveldb
