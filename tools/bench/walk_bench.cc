// What an address -> relations index kept at put time could save the
// sender's dependency walk (issue #11, "Graph walks without parsing"), and
// what looking relations up in such an index would cost instead.
//
// The sender reads every record it sends once, as it walks
// (gibkit/record_graph.h, ClosureWalk), and takes its relations from the
// text it read: json::split_object finds the rel8ns member and only that
// member is parsed. An index could spare that decoding but never the read,
// since the text is sent. So the most an index can save is
// BM_Load/with_relations minus BM_Load/text, per record; an index kept apart
// from the record (its own key) costs a lookup per record instead, which
// BM_LevelDbLookup prices (a miss is what a record without relations, like
// every stone of tools/bench/sync_vs_git.sh, would cost).
//
// Records have the shapes of sync_vs_git.sh: stones of ~1.3 KiB of random
// base64 and no rel8ns, and tag frames relating 1,000 stones each.
#include <benchmark/benchmark.h>

#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "gibkit/record_graph.h"

namespace {

using gibkit::Result;
using gibkit::Status;

// Holds texts in a hash map, so that a read costs a copy and nothing else:
// the figures are the walk's own, without any storage under them.
class MapSpace : public gibkit::Space {
 public:
  Status write(const gibkit::WriteBatch& batch) override {
    for (const gibkit::StoredRecord& record : batch.puts) texts_[record.address] = record.json_text;
    return {};
  }
  Result<std::optional<std::string>> get(std::string_view address) override {
    auto found = texts_.find(std::string(address));
    if (found == texts_.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  Result<bool> has(std::string_view address) override { return texts_.contains(std::string(address)); }
  Result<std::optional<std::string>> head(std::string_view) override { return std::optional<std::string>(); }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    for (const auto& [address, text] : texts_) {
      if (!visit(address, text)) break;
    }
    return {};
  }
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>&) override { return {}; }

 private:
  std::unordered_map<std::string, std::string> texts_;
};

std::string random_base64(std::mt19937_64& random, std::size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(length, 'A');
  for (char& c : out) c = kAlphabet[random() % 64];
  return out;
}

struct Fixture {
  MapSpace space;
  std::vector<std::string> stones;  // addresses
  std::vector<std::string> tags;    // the walk's roots
};

// `n` stones, one tag per 1,000 relating them.
const Fixture& fixture(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Fixture>> made;
  std::unique_ptr<Fixture>& slot = made[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  std::mt19937_64 random(42);
  gibkit::WriteBatch batch;
  for (std::size_t i = 0; i < n; ++i) {
    gibkit::json::Object data{{"i", static_cast<double>(i)}, {"text", random_base64(random, 1200)}};
    gibkit::IbGib stone = gibkit::make_stone("stone " + std::to_string(i), std::move(data), gibkit::json::Object());
    slot->stones.push_back(stone.address());
    batch.puts.push_back(gibkit::StoredRecord{stone.address(), stone.to_json_text()});
  }
  for (std::size_t k = 0; k * 1000 < n; ++k) {
    gibkit::json::Array targets;
    for (std::size_t i = k * 1000; i < std::min(n, k * 1000 + 1000); ++i) targets.emplace_back(slot->stones[i]);
    gibkit::IbGib tag = gibkit::make_stone("tag " + std::to_string(k), gibkit::json::Object{{"k", static_cast<double>(k)}},
                                           gibkit::json::Object{{"target", std::move(targets)}});
    slot->tags.push_back(tag.address());
    batch.puts.push_back(gibkit::StoredRecord{tag.address(), tag.to_json_text()});
  }
  if (!slot->space.write(batch).ok()) std::abort();
  return *slot;
}

// The walk as the sender makes it: every record read once, relations decoded.
void BM_ClosureWalk(benchmark::State& state) {
  Fixture& f = const_cast<Fixture&>(fixture(static_cast<std::size_t>(state.range(0))));
  gibkit::RecordReader reader({&f.space});
  std::size_t given = 0;
  for (auto _ : state) {
    gibkit::ClosureWalk walk(reader, f.tags);
    while (true) {
      auto next = walk.next();
      if (!next.ok()) std::abort();
      if (!*next) break;
      benchmark::DoNotOptimize((*next)->json_text.data());
    }
    given = walk.given();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(given));
}

// Every record's text read, alone (the walk's floor with any index) or with
// its relations decoded (what the walk does).
void BM_Load(benchmark::State& state, bool with_relations) {
  Fixture& f = const_cast<Fixture&>(fixture(static_cast<std::size_t>(state.range(0))));
  gibkit::RecordReader reader({&f.space});
  for (auto _ : state) {
    for (const std::string& address : f.stones) {
      if (with_relations) {
        benchmark::DoNotOptimize(reader.load_with_relations(address));
      } else {
        benchmark::DoNotOptimize(reader.load_text(address));
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(f.stones.size()));
}

// One lookup per record in a LevelDB holding an index entry for each of
// `n` records, as space-leveldb opens its tables (Bloom filters, 10 bits a
// key): the hit a record with relations costs, the miss one without.
void BM_LevelDbLookup(benchmark::State& state, bool hit) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Fixture& f = fixture(n);
  const std::string dir = std::filesystem::temp_directory_path() / ("gibkit-walk-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  leveldb::Options options;
  options.create_if_missing = true;
  std::unique_ptr<const leveldb::FilterPolicy> bloom(leveldb::NewBloomFilterPolicy(10));
  options.filter_policy = bloom.get();
  leveldb::DB* raw = nullptr;
  if (!leveldb::DB::Open(options, dir, &raw).ok()) std::abort();
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteBatch batch;
  for (const std::string& address : f.stones) batch.Put("x:" + address, f.tags.front());
  if (!db->Write(leveldb::WriteOptions(), &batch).ok()) std::abort();
  // Out of the memtable into tables, as a store that has lived a while.
  db->CompactRange(nullptr, nullptr);
  std::string value;
  for (auto _ : state) {
    for (const std::string& address : f.stones) {
      leveldb::Status s = db->Get(leveldb::ReadOptions(), hit ? "x:" + address : "y:" + address, &value);
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  db.reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_ClosureWalk)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, text, false)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, with_relations, true)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LevelDbLookup, hit, true)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LevelDbLookup, miss, false)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
