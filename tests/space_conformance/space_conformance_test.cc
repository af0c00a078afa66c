// The Space contract (gibkit/space.h), checked against every space plugin
// through the kernel: each plugin is loaded from the build's plugin
// directory and used only through the host-side proxy, as the node uses it.
//
// Built twice: space_conformance_test over the plugins that need nothing
// outside the build, and, with GIBKIT_CONFORMANCE_POSTGRES, over
// space-postgres against the test cluster that tests/postgres starts (found
// through PGHOST in the environment; each test gets a fresh PostgreSQL schema).
// tests/compat builds it a third time (GIBKIT_CONFORMANCE_COMPAT) over
// space-files-c built against earlier SDK minors' headers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <ostream>
#include <map>
#include <memory>
#include <string>

#include "gibkit/kernel/plugin/loaded_plugin.h"
#include "gibkit/saga_staging.h"
#include "support/temp_dir.h"

namespace gibkit {
namespace {

using kernel::LoadedPlugin;

struct SpacePluginCase {
  std::string plugin;     // file stem in the plugin directory
  bool durable;           // survives being closed and reopened
  bool postgres = false;  // configured by connection and schema instead of a path
  // A configuration of the plugin worth every clause too: its name in the
  // test's name, and the keys it sets.
  std::string variant{};
  std::vector<std::pair<std::string, json::Value>> extra_config{};
};

// Readable names in ctest output instead of a byte dump.
void PrintTo(const SpacePluginCase& c, std::ostream* os) {
  *os << c.plugin << (c.variant.empty() ? "" : " (" + c.variant + ")");
}

std::string PrintCase(const ::testing::TestParamInfo<SpacePluginCase>& info) {
  std::string name = info.param.plugin + (info.param.variant.empty() ? "" : "_" + info.param.variant);
  for (char& c : name) {
    if (c == '-' || c == '.') c = '_';
  }
  return name;
}

class SpaceConformance : public ::testing::TestWithParam<SpacePluginCase> {
 protected:
  void SetUp() override {
    auto loaded = LoadedPlugin::load(std::filesystem::path(GIBKIT_PLUGIN_DIR) /
                                     ("libgibkit-" + GetParam().plugin + ".so"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    plugin_ = *loaded;
    ASSERT_EQ(plugin_->kind(), kernel::PluginKind::kSpace);
    space_ = open();
    ASSERT_NE(space_, nullptr);
  }

  // Config for an instance stored in `dir_` (ignored by non-durable spaces).
  json::Object config() const {
    json::Object config;
    if (GetParam().postgres) {
      config.set("connection", json::Value(""));  // libpq's defaults and the test's PGHOST
      config.set("schema", json::Value(schema_));
      config.set("pool_size", json::Value(2));
      config.set("statement_timeout_ms", json::Value(60000));
      config.set("fetch_size", json::Value(2));  // iterations below cross cursor pages
    } else if (GetParam().durable) {
      config.set("path", json::Value((dir_.path() / "db").string()));
      config.set("create_if_missing", json::Value(true));
    }
    for (const auto& [key, value] : GetParam().extra_config) config.set(key, value);
    return config;
  }

  std::unique_ptr<Space> open() {
    auto space = plugin_->create_space(config());
    EXPECT_TRUE(space.ok()) << space.status().to_string();
    return space.ok() ? std::move(*space) : nullptr;
  }

  static StoredRecord record(const std::string& ib, const std::string& data = "1") {
    return StoredRecord{ib + "^gib", R"({"ib":")" + ib + R"(","gib":"gib","data":)" + data + "}"};
  }

  std::optional<std::string> get(std::string_view address) {
    auto r = space_->get(address);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::nullopt;
  }

  std::optional<std::string> head(std::string_view timeline) {
    auto r = space_->head(timeline);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::nullopt;
  }

  std::map<std::string, std::string> all_records() {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(space_->for_each_record([&](std::string_view a, std::string_view j) {
      out.emplace(a, j);
      return true;
    }).ok());
    return out;
  }

  testing::TempDir dir_;
  // A PostgreSQL schema of this test's own (the cluster is thrown away whole).
  const std::string schema_ = [] {
    static std::atomic<int> counter{0};
    return "conformance_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  }();
  std::shared_ptr<LoadedPlugin> plugin_;
  std::unique_ptr<Space> space_;
};

TEST_P(SpaceConformance, PutThenGetAndHas) {
  StoredRecord a = record("a");
  ASSERT_TRUE(space_->write(WriteBatch{{a}, {}, {}}).ok());
  EXPECT_EQ(get(a.address), a.json_text);
  EXPECT_EQ(get("missing^gib"), std::nullopt);
  EXPECT_TRUE(*space_->has(a.address));
  EXPECT_FALSE(*space_->has("missing^gib"));
}

TEST_P(SpaceConformance, PutOfStoredAddressKeepsFirstBytes) {
  StoredRecord first = record("a", "1");
  StoredRecord second = record("a", "2");
  ASSERT_TRUE(space_->write(WriteBatch{{first}, {}, {}}).ok());
  ASSERT_TRUE(space_->write(WriteBatch{{second}, {}, {}}).ok());
  EXPECT_EQ(get("a^gib"), first.json_text);
  EXPECT_EQ(all_records().size(), 1u);
}

TEST_P(SpaceConformance, HeadIsLatestWritten) {
  EXPECT_EQ(head("t^gib"), std::nullopt);
  ASSERT_TRUE(space_->write(WriteBatch{{}, {{"t^gib", "t1^gib", std::nullopt}}, {}}).ok());
  EXPECT_EQ(head("t^gib"), "t1^gib");
  ASSERT_TRUE(space_->write(WriteBatch{{}, {{"t^gib", "t2^gib", std::nullopt}}, {}}).ok());
  EXPECT_EQ(head("t^gib"), "t2^gib");
}

TEST_P(SpaceConformance, CompareAndSwapMovesHeadWhenExpectedMatches) {
  ASSERT_TRUE(space_->write(WriteBatch{{}, {{"t^gib", "t1^gib", std::string()}}, {}}).ok());
  ASSERT_TRUE(space_->write(WriteBatch{{}, {{"t^gib", "t2^gib", std::string("t1^gib")}}, {}}).ok());
  EXPECT_EQ(head("t^gib"), "t2^gib");
}

TEST_P(SpaceConformance, CompareAndSwapFailureWritesNothing) {
  ASSERT_TRUE(space_->write(WriteBatch{{}, {{"t^gib", "t1^gib", std::nullopt}}, {}}).ok());
  StoredRecord a = record("a");
  WriteBatch batch{{a}, {{"u^gib", "u1^gib", std::nullopt}, {"t^gib", "t2^gib", std::string("stale^gib")}}, {}};
  Status s = space_->write(batch);
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.to_string();
  EXPECT_FALSE(*space_->has(a.address));
  EXPECT_EQ(head("t^gib"), "t1^gib");
  EXPECT_EQ(head("u^gib"), std::nullopt);
}

TEST_P(SpaceConformance, CompareAndSwapSeesEarlierUpdateInSameBatch) {
  WriteBatch batch{{}, {{"t^gib", "t1^gib", std::string()}, {"t^gib", "t2^gib", std::string("t1^gib")}}, {}};
  ASSERT_TRUE(space_->write(batch).ok());
  EXPECT_EQ(head("t^gib"), "t2^gib");
}

TEST_P(SpaceConformance, BatchAppliesRecordsAndHeadsTogether) {
  StoredRecord a = record("a");
  StoredRecord b = record("b");
  ASSERT_TRUE(space_->write(WriteBatch{{a, b}, {{"t^gib", b.address, std::string()}}, {}}).ok());
  EXPECT_EQ(all_records().size(), 2u);
  EXPECT_EQ(head("t^gib"), b.address);
}

TEST_P(SpaceConformance, InvalidBatchIsRejectedWhole) {
  StoredRecord a = record("a");
  Status s = space_->write(WriteBatch{{a, StoredRecord{"", "{}"}}, {}, {}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_FALSE(*space_->has(a.address));
}

TEST_P(SpaceConformance, EraseRemovesRecord) {
  StoredRecord a = record("a");
  ASSERT_TRUE(space_->write(WriteBatch{{a}, {}, {}}).ok());
  ASSERT_TRUE(space_->write(WriteBatch{{}, {}, {a.address}}).ok());
  EXPECT_FALSE(*space_->has(a.address));
}

TEST_P(SpaceConformance, IterationVisitsEveryRecordAndHeadAndCanStop) {
  ASSERT_TRUE(space_->write(WriteBatch{{record("a"), record("b"), record("c")},
                                       {{"t^gib", "a^gib", std::nullopt}, {"u^gib", "b^gib", std::nullopt}},
                                       {}})
                  .ok());
  std::map<std::string, std::string> records = all_records();
  EXPECT_EQ(records.size(), 3u);
  EXPECT_EQ(records["b^gib"], record("b").json_text);
  std::map<std::string, std::string> heads;
  ASSERT_TRUE(space_->for_each_head([&](std::string_view t, std::string_view h) {
    heads.emplace(t, h);
    return true;
  }).ok());
  EXPECT_EQ(heads, (std::map<std::string, std::string>{{"t^gib", "a^gib"}, {"u^gib", "b^gib"}}));
  int visited = 0;
  ASSERT_TRUE(space_->for_each_record([&](std::string_view, std::string_view) { return ++visited < 2; }).ok());
  EXPECT_EQ(visited, 2);
}

TEST_P(SpaceConformance, VisitorExceptionIsReportedNotPropagated) {
  ASSERT_TRUE(space_->write(WriteBatch{{record("a")}, {}, {}}).ok());
  Status s = space_->for_each_record([](std::string_view, std::string_view) -> bool { throw std::runtime_error("x"); });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
}

// What only a durable space promises; instantiated for durable plugins only.
class DurableSpaceConformance : public SpaceConformance {};

TEST_P(DurableSpaceConformance, SurvivesRestart) {
  StoredRecord a = record("a");
  ASSERT_TRUE(space_->write(WriteBatch{{a}, {{"t^gib", a.address, std::nullopt}}, {}}).ok());
  space_.reset();
  space_ = open();
  ASSERT_NE(space_, nullptr);
  EXPECT_EQ(get(a.address), a.json_text);
  EXPECT_EQ(head("t^gib"), a.address);
}

// The sagas' staging contract (gibkit/saga_staging.h), for the plugins that
// offer it (space-memory, space-postgres); every clause over each.
class SagaStagingConformance : public SpaceConformance {
 protected:
  void SetUp() override {
    SpaceConformance::SetUp();
    ASSERT_NE(space_, nullptr);
    staging_ = space_->saga_staging();
    ASSERT_NE(staging_, nullptr) << GetParam().plugin << " offers no sagas' staging";
  }

  std::map<std::string, std::string> staged(std::string_view saga_id) {
    std::map<std::string, std::string> out;
    Status listed = staging_->for_each_staged(saga_id, [&](std::string_view a, std::string_view j) {
      out.emplace(a, j);
      return true;
    });
    EXPECT_TRUE(listed.ok()) << listed.to_string();
    return out;
  }

  static constexpr std::int64_t kNow = 1'790'000'000'000;
  SagaStaging* staging_ = nullptr;
};

TEST_P(SagaStagingConformance, StagedRecordsAreTheSagasAloneAndNotTheSpaces) {
  StoredRecord a = record("a");
  StoredRecord b = record("b");
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 1000, {a, b}).ok());
  ASSERT_TRUE(staging_->stage("s2", "alice", kNow + 1000, {b}).ok());
  EXPECT_EQ(staged("s1"), (std::map<std::string, std::string>{{a.address, a.json_text}, {b.address, b.json_text}}));
  EXPECT_EQ(staged("s2"), (std::map<std::string, std::string>{{b.address, b.json_text}}));
  EXPECT_TRUE(staged("unknown").empty());
  EXPECT_EQ(get(a.address), std::nullopt);
  EXPECT_FALSE(*space_->has(a.address));
  EXPECT_TRUE(all_records().empty());
}

TEST_P(SagaStagingConformance, StagingAgainKeepsFirstBytesAndZeroRecordsOnlyMovesExpiry) {
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 10, {record("a", "1")}).ok());
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 10, {record("a", "2")}).ok());
  EXPECT_EQ(staged("s1").at("a^gib"), record("a", "1").json_text);
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 5000, {}).ok());  // moved past kNow + 100
  EXPECT_EQ(*staging_->reclaim(kNow + 100), 0u);
  EXPECT_EQ(staged("s1").size(), 1u);
}

TEST_P(SagaStagingConformance, AnotherOwnerCannotStageIntoASaga) {
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 1000, {record("a")}).ok());
  Status other = staging_->stage("s1", "mallory", kNow + 1000, {record("m")});
  EXPECT_EQ(other.code(), StatusCode::kFailedPrecondition) << other.to_string();
  EXPECT_EQ(staged("s1").size(), 1u);
}

TEST_P(SagaStagingConformance, AdoptMovesEverythingOnlyForTheOwner) {
  ASSERT_TRUE(staging_->stage("broken", "alice", kNow + 1000, {record("a"), record("b")}).ok());
  EXPECT_FALSE(*staging_->adopt("broken", "theirs", "mallory", kNow + 2000));  // another owner
  EXPECT_FALSE(*staging_->adopt("never", "theirs", "alice", kNow + 2000));     // unknown saga
  EXPECT_EQ(staged("broken").size(), 2u);
  EXPECT_TRUE(staged("theirs").empty());

  ASSERT_TRUE(*staging_->adopt("broken", "resumed", "alice", kNow + 2000));
  EXPECT_TRUE(staged("broken").empty());
  EXPECT_EQ(staged("resumed").size(), 2u);
  EXPECT_FALSE(*staging_->adopt("broken", "again", "alice", kNow + 2000));  // adopted once only
  // The adopted saga is the adopter's: staging into it goes on.
  ASSERT_TRUE(staging_->stage("resumed", "alice", kNow + 2000, {record("c")}).ok());
  EXPECT_EQ(staged("resumed").size(), 3u);
}

TEST_P(SagaStagingConformance, AdoptIntoAnotherOwnersSagaChangesNothing) {
  ASSERT_TRUE(staging_->stage("broken", "alice", kNow + 1000, {record("a")}).ok());
  ASSERT_TRUE(staging_->stage("taken", "mallory", kNow + 1000, {record("m")}).ok());
  EXPECT_FALSE(*staging_->adopt("broken", "taken", "alice", kNow + 2000));
  EXPECT_EQ(staged("broken").size(), 1u);
  EXPECT_EQ(staged("taken").size(), 1u);
}

TEST_P(SagaStagingConformance, DropForgetsTheSagaOnly) {
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 1000, {record("a")}).ok());
  ASSERT_TRUE(staging_->stage("s2", "alice", kNow + 1000, {record("a")}).ok());
  ASSERT_TRUE(staging_->drop("s1").ok());
  ASSERT_TRUE(staging_->drop("unknown").ok());
  EXPECT_TRUE(staged("s1").empty());
  EXPECT_EQ(staged("s2").size(), 1u);
}

TEST_P(SagaStagingConformance, ReclaimDropsExpiredSagasOfAnyOwner) {
  ASSERT_TRUE(staging_->stage("old-alice", "alice", kNow - 1, {record("a")}).ok());
  ASSERT_TRUE(staging_->stage("old-bob", "bob", kNow - 1, {record("b")}).ok());
  ASSERT_TRUE(staging_->stage("live", "alice", kNow + 1000, {record("c")}).ok());
  Result<std::uint64_t> dropped = staging_->reclaim(kNow);
  ASSERT_TRUE(dropped.ok()) << dropped.status().to_string();
  EXPECT_EQ(*dropped, 2u);
  EXPECT_TRUE(staged("old-alice").empty());
  EXPECT_TRUE(staged("old-bob").empty());
  EXPECT_EQ(staged("live").size(), 1u);
  EXPECT_EQ(*staging_->reclaim(kNow), 0u);
}

TEST_P(SagaStagingConformance, VisitorCanStopAndItsExceptionIsReported) {
  ASSERT_TRUE(staging_->stage("s1", "alice", kNow + 1000, {record("a"), record("b"), record("c")}).ok());
  int visits = 0;
  ASSERT_TRUE(staging_->for_each_staged("s1", [&](std::string_view, std::string_view) { return ++visits < 2; }).ok());
  EXPECT_EQ(visits, 2);
  Status threw = staging_->for_each_staged("s1", [](std::string_view, std::string_view) -> bool {
    throw std::runtime_error("x");
  });
  EXPECT_EQ(threw.code(), StatusCode::kInternal);
}

// What a space kept in a directory (LevelDB) promises about that directory.
class DirectorySpaceConformance : public DurableSpaceConformance {};

TEST_P(DirectorySpaceConformance, RefusesLockedDirectory) {
  auto second = plugin_->create_space(config());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("locked"), std::string::npos) << second.status().message();
}

TEST_P(DirectorySpaceConformance, ReportsCorruptDirectory) {
  space_.reset();
  // CURRENT names the live manifest; pointing it at garbage is a corrupt store.
  std::ofstream(dir_.path() / "db" / "CURRENT", std::ios::trunc) << "not-a-manifest";
  auto reopened = plugin_->create_space(config());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kDataLoss) << reopened.status().to_string();
  EXPECT_NE(reopened.status().message().find(dir_.path().string()), std::string::npos)
      << reopened.status().message();
}

// Every `gib` command opens the space in a process of its own. Reopening
// keeps appending to the log (LevelDB's reuse_logs) instead of writing a
// table per open, whose pile-up makes a later command pay for a compaction.
TEST_P(DirectorySpaceConformance, ReopeningAfterSmallWritesMakesNoTables) {
  std::vector<StoredRecord> written;
  for (int round = 0; round < 6; ++round) {
    written.push_back(record("r" + std::to_string(round)));
    ASSERT_TRUE(space_->write(WriteBatch{{written.back()}, {{"t^gib", written.back().address, std::nullopt}}, {}}).ok());
    space_.reset();
    space_ = open();
    ASSERT_NE(space_, nullptr);
  }
  int tables = 0;
  for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator(dir_.path() / "db")) {
    if (entry.path().extension() == ".ldb") ++tables;
  }
  EXPECT_EQ(tables, 0);
  for (const StoredRecord& r : written) EXPECT_EQ(get(r.address), r.json_text);
  EXPECT_EQ(head("t^gib"), written.back().address);
}

// A process killed in the middle of a large write (a record over 32 KiB is
// several write(2)s) leaves a torn record at the end of the log. The next
// open must not append after it (LevelDB's reuse_logs would, and the open
// after that would fail or lose synced writes: google/leveldb#1287), so the
// log is reused only after a clean close.
TEST_P(DirectorySpaceConformance, AfterACrashATornLogIsNotReused) {
  namespace fs = std::filesystem;
  const StoredRecord small = record("small");
  const StoredRecord big = record("big", "\"" + std::string(200 * 1024, 'x') + "\"");
  ASSERT_TRUE(space_->write(WriteBatch{{small}, {}, {}}).ok());
  ASSERT_TRUE(space_->write(WriteBatch{{big}, {}, {}}).ok());
  // The crash: the directory as the killed process left it, the big
  // record's last parts never written (cut at a block boundary).
  const fs::path crashed = dir_.path() / "crashed";
  fs::copy(dir_.path() / "db", crashed, fs::copy_options::recursive);
  fs::path log;
  for (const fs::directory_entry& entry : fs::directory_iterator(crashed)) {
    if (entry.path().extension() == ".log" && (log.empty() || fs::file_size(entry.path()) > fs::file_size(log))) {
      log = entry.path();
    }
  }
  ASSERT_FALSE(log.empty());
  ASSERT_GT(fs::file_size(log), 3u * 32768);
  fs::resize_file(log, 3 * 32768);

  json::Object at_crash;
  at_crash.set("path", json::Value(crashed.string()));
  at_crash.set("create_if_missing", json::Value(false));
  const StoredRecord after = record("after");
  {
    auto reopened = plugin_->create_space(at_crash);
    ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
    ASSERT_TRUE((*reopened)->write(WriteBatch{{after}, {}, {}}).ok());
  }
  auto again = plugin_->create_space(at_crash);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(*(*again)->get(small.address), small.json_text);
  EXPECT_EQ(*(*again)->get(after.address), after.json_text);
  EXPECT_FALSE((*again)->get(big.address)->has_value());  // torn: never whole, never there
}

TEST_P(DirectorySpaceConformance, HonoursCreateIfMissingFalse) {
  json::Object c;
  c.set("path", json::Value((dir_.path() / "absent").string()));
  c.set("create_if_missing", json::Value(false));
  auto space = plugin_->create_space(c);
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().code(), StatusCode::kNotFound) << space.status().to_string();
}

#ifdef GIBKIT_CONFORMANCE_POSTGRES
const SpacePluginCase kPostgres{"space-postgres", true, true};
INSTANTIATE_TEST_SUITE_P(Plugins, SpaceConformance, ::testing::Values(kPostgres), PrintCase);
INSTANTIATE_TEST_SUITE_P(Plugins, DurableSpaceConformance, ::testing::Values(kPostgres), PrintCase);
INSTANTIATE_TEST_SUITE_P(Plugins, SagaStagingConformance, ::testing::Values(kPostgres), PrintCase);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DirectorySpaceConformance);
#elif defined(GIBKIT_CONFORMANCE_COMPAT)
// tests/compat: examples/space-files-c built against the C ABI headers of
// earlier SDK minors, loaded by today's kernel.
INSTANTIATE_TEST_SUITE_P(Plugins, SpaceConformance,
                         ::testing::Values(SpacePluginCase{"space-files-c-sdk-1.1", true},
                                           SpacePluginCase{"space-files-c-sdk-1.2", true},
                                           SpacePluginCase{"space-files-c-sdk-1.3", true},
                                           SpacePluginCase{"space-files-c-sdk-1.4", true}),
                         PrintCase);
INSTANTIATE_TEST_SUITE_P(Plugins, DurableSpaceConformance,
                         ::testing::Values(SpacePluginCase{"space-files-c-sdk-1.1", true},
                                           SpacePluginCase{"space-files-c-sdk-1.2", true},
                                           SpacePluginCase{"space-files-c-sdk-1.3", true},
                                           SpacePluginCase{"space-files-c-sdk-1.4", true}),
                         PrintCase);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DirectorySpaceConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SagaStagingConformance);  // 1.1 to 1.3 predate it; the example has none
#else
// space-leveldb again with every write's records in a pack file of its own
// (pack_files.h), which otherwise only large writes use.
const SpacePluginCase kLevelDbPacked{"space-leveldb", true, false, "packed", {{"pack_min_bytes", json::Value(1)}}};
INSTANTIATE_TEST_SUITE_P(Plugins, SpaceConformance,
                         ::testing::Values(SpacePluginCase{"space-memory", false},
                                           SpacePluginCase{"space-leveldb", true}, kLevelDbPacked,
                                           // examples/space-files-c: a plugin written in C
                                           SpacePluginCase{"space-files-c", true}),
                         PrintCase);
INSTANTIATE_TEST_SUITE_P(Plugins, DurableSpaceConformance,
                         ::testing::Values(SpacePluginCase{"space-leveldb", true}, kLevelDbPacked,
                                           SpacePluginCase{"space-files-c", true}),
                         PrintCase);
// Not packed: these clauses are about LevelDB's own log (a pack's crash
// cases are in tests/space_leveldb/pack_files_test.cc).
INSTANTIATE_TEST_SUITE_P(Plugins, DirectorySpaceConformance,
                         ::testing::Values(SpacePluginCase{"space-leveldb", true}), PrintCase);
INSTANTIATE_TEST_SUITE_P(Plugins, SagaStagingConformance,
                         ::testing::Values(SpacePluginCase{"space-memory", false},
                                           SpacePluginCase{"space-leveldb", true}),
                         PrintCase);

// A space that does not offer it says so: nullptr, not a half table.
TEST(SagaStagingAbsent, PluginsWithoutItHaveNone) {
  for (const std::string stem : {"space-files-c"}) {
    auto loaded = LoadedPlugin::load(std::filesystem::path(GIBKIT_PLUGIN_DIR) / ("libgibkit-" + stem + ".so"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    testing::TempDir dir;
    json::Object config;
    config.set("path", json::Value((dir.path() / "db").string()));
    config.set("create_if_missing", json::Value(true));
    auto space = (*loaded)->create_space(config);
    ASSERT_TRUE(space.ok()) << space.status().to_string();
    EXPECT_EQ((*space)->saga_staging(), nullptr) << stem;
  }
}
#endif

}  // namespace
}  // namespace gibkit
