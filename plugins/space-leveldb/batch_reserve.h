// File: plugins/space-leveldb/batch_reserve.h
//
// Room for a LevelDB WriteBatch's contents before they are put.
//
// A WriteBatch keeps its contents in one std::string that each Put()
// appends to, so it grows by doubling: a commit of 100k records (~130 MB)
// copies what it holds again at every doubling and faults in each new
// buffer's pages -- about a seventh of the receiver's commit
// (docs/performance.md, round 5). LevelDB 1.23 has no reserve(). Its one
// public way to a large string is a large Put() followed by Clear(), which
// keeps the string's capacity; the value put is read from a mapping of
// zero pages, so nothing is allocated for it.
#pragma once

#include <leveldb/write_batch.h>

#include <cstddef>

namespace gibkit_space_leveldb {

// LevelDB's encoding of one Put of a key and value of these sizes: a type
// byte and two varint lengths before the bytes.
[[nodiscard]] std::size_t encoded_put_size(std::size_t key_size, std::size_t value_size);

// Makes `batch` (empty) hold `bytes` of contents without growing. Only
// an optimization: below a size where doubling costs little, or when the
// mapping or the string's allocation fails, it does nothing. Leaves `batch`
// empty; does not throw.
void reserve(leveldb::WriteBatch& batch, std::size_t bytes);

}  // namespace gibkit_space_leveldb
