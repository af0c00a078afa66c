#include "batch_reserve.h"

#include <sys/mman.h>

#include <cstdint>
#include <limits>

namespace gibkit_space_leveldb {
namespace {

// Below this, doubling copies at most a few MiB: not worth a mapping.
constexpr std::size_t kWorthReserving = std::size_t{4} << 20;

std::size_t varint_size(std::size_t n) {
  std::size_t size = 1;
  while (n >= 128) {
    n >>= 7;
    ++size;
  }
  return size;
}

}  // namespace

std::size_t encoded_put_size(std::size_t key_size, std::size_t value_size) {
  return 1 + varint_size(key_size) + key_size + varint_size(value_size) + value_size;
}

void reserve(leveldb::WriteBatch& batch, std::size_t bytes) {
  // LevelDB writes a value's length as a 32-bit varint; a batch larger
  // than that (only without a staging spill) is left to grow.
  if (bytes < kWorthReserving || bytes > std::numeric_limits<std::uint32_t>::max()) return;
  // Read-only private anonymous memory reads as zeros from the kernel's
  // shared zero page (a huge one where transparent huge pages allow it):
  // nothing is allocated or charged for it.
  void* zeros = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (zeros == MAP_FAILED) return;
  (void)::madvise(zeros, bytes, MADV_HUGEPAGE);  // fewer faults; fine if refused
  try {
    batch.Put(leveldb::Slice(), leveldb::Slice(static_cast<const char*>(zeros), bytes));
  } catch (...) {
    // Out of memory for the string: no reservation, and the batch goes on
    // growing as it would have. Put() may have counted and begun the
    // record; Clear() (no allocation) makes the batch empty again.
  }
  batch.Clear();  // std::string::clear(): the capacity stays
  ::munmap(zeros, bytes);
}

}  // namespace gibkit_space_leveldb
