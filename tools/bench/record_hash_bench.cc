// How fast gibkit computes gibs for ~1 KiB records, against the floor: raw
// SHA-256 of the same number of bytes. The gap is JSON normalization and
// stringification plus the four hashes the algorithm takes per record.
// Parsing a record and writing it back are measured on their own too.
#include <benchmark/benchmark.h>

#include <botan/hash.h>

#include "gibkit/gib_hash.h"

namespace {

// A realistic timeline frame of about 1 KiB: timestamps, uuid, some text,
// links to past frames, its tjp and dna.
gibkit::IbGib make_record() {
  const std::string hash(64, 'A');
  std::string text;
  for (int i = 0; i < 10; ++i) text += "comment text with ünïcødé and emoji 😀 ";
  const std::string json =
      R"({"ib":"comment 42","gib":"","data":{"timestamp":"Tue, 24 Nov 2026 21:04:23 GMT","uuid":"c87d3bff80df0f19b97e167f726bdf88b4a64f49c1789c2ad2949ccec8af2b58","n":7,"text":")" +
      text + R"(","count":0.1,"flags":{"z":true,"a":false}},"rel8ns":{"past":["comment 42^)" + hash + R"(","comment 42^)" + hash +
      R"("],"tjp":["comment 42^)" + hash + R"("],"dna":["mut8^)" + hash + R"("]}})";
  return *gibkit::IbGib::parse(json);
}

void BM_ComputeGib(benchmark::State& state, gibkit::GibAlgorithm algorithm) {
  const gibkit::IbGib record = make_record();
  for (auto _ : state) {
    auto gib = gibkit::compute_gib(record, algorithm);
    benchmark::DoNotOptimize(gib);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(record.to_json_text().size()));
  state.counters["record_bytes"] = static_cast<double>(record.to_json_text().size());
}
BENCHMARK_CAPTURE(BM_ComputeGib, sha256v1, gibkit::GibAlgorithm::kSha256V1);
BENCHMARK_CAPTURE(BM_ComputeGib, sha256v1_legacy, gibkit::GibAlgorithm::kSha256V1Legacy);

// Parse + hash: what `gib hash` does per line.
void BM_ParseAndComputeGib(benchmark::State& state) {
  const std::string text = make_record().to_json_text();
  for (auto _ : state) {
    auto record = gibkit::IbGib::parse(text);
    auto gib = gibkit::compute_gib(*record);
    benchmark::DoNotOptimize(gib);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseAndComputeGib);

// The two halves of a record's trip through a process boundary.
void BM_ParseRecord(benchmark::State& state) {
  const std::string text = make_record().to_json_text();
  for (auto _ : state) {
    auto record = gibkit::IbGib::parse(text);
    benchmark::DoNotOptimize(record);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseRecord);

void BM_ToJsonText(benchmark::State& state) {
  const gibkit::IbGib record = make_record();
  for (auto _ : state) {
    auto text = record.to_json_text();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(record.to_json_text().size()));
}
BENCHMARK(BM_ToJsonText);

// The floor: one SHA-256 over the record's JSON bytes.
void BM_RawSha256SameBytes(benchmark::State& state) {
  const std::string text = make_record().to_json_text();
  const auto sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  std::uint8_t digest[32];
  for (auto _ : state) {
    sha256->update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    sha256->final(digest);
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_RawSha256SameBytes);

}  // namespace
