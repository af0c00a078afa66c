// Issue #9's soak: many syncs of one changed record between two nodes.
// Identity, session and saga-log timelines link their `past`, and an Init
// carries only the endorsements the peer lacks, so the bytes of a sync must
// not grow with history and the receiver's store must grow linearly with
// what was synced. GIBKIT_SOAK_SYNCS overrides the count (default 2000).
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "saga_fixture.h"

namespace gibkit::saga::testing {
namespace {

int sync_count() {
  const char* text = std::getenv("GIBKIT_SOAK_SYNCS");
  return text != nullptr ? std::max(20, std::atoi(text)) : 2000;
}

// Bytes and records of everything a node's durable space holds.
struct StoreSize {
  std::size_t records = 0;
  std::size_t bytes = 0;
};

StoreSize store_size(const TestNode& node) {
  StoreSize size;
  EXPECT_TRUE(node.durable
                  ->for_each_record([&](std::string_view address, std::string_view text) {
                    ++size.records;
                    size.bytes += address.size() + text.size();
                    return true;
                  })
                  .ok());
  return size;
}

class SoakTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SoakTest, TheCostOfASyncStaysFlat) {
  const std::string signer = GetParam();
  const int syncs = sync_count();
  auto alice = make_node("alice-soak-" + signer, {}, signer);
  auto bob = make_node("bob-soak-" + signer, {}, signer);
  ASSERT_TRUE(alice && bob);
  enroll(*alice, *bob);
  // Linked past and dna: the data timeline's frames do not grow either, so
  // what is measured is the saga's and the identities' overhead.
  TimelineBuilder notes(*alice, "notes", /*linked=*/true);
  auto connection = connect(*alice, *bob);

  std::vector<std::size_t> bytes_sent;
  std::vector<StoreSize> sizes;  // after sync 10, syncs/2 and syncs
  for (int i = 1; i <= syncs; ++i) {
    notes.patch({{"count", i}});
    auto report = alice->service->sync(*connection, bob->domain_tjp, {notes.head()});
    ASSERT_TRUE(report.ok()) << "sync " << i << ": " << report.status().to_string();
    if (i > 1) {
      ASSERT_EQ(report->records_sent, 2u) << "sync " << i;  // the new frame and its dna
    }
    bytes_sent.push_back(report->bytes_sent);
    if (i == 10 || i == syncs / 2 || i == syncs) sizes.push_back(store_size(*bob));
  }
  ASSERT_EQ(bob->head(notes.tjp()), notes.head());

  const std::size_t tenth = bytes_sent[9];
  const std::size_t last = bytes_sent.back();
  std::cout << "[soak " << signer << "] " << syncs << " syncs; bytes sent: 10th " << tenth << ", last " << last
            << "; receiver store: " << sizes[0].bytes << " B after 10, " << sizes[1].bytes << " B after "
            << syncs / 2 << ", " << sizes[2].bytes << " B after " << syncs << "\n";
  EXPECT_LE(static_cast<double>(last), 1.1 * static_cast<double>(tenth));
  // Linear growth: the second half of the run adds no more per sync than
  // the first (within 10%).
  const double first_half = static_cast<double>(sizes[1].bytes - sizes[0].bytes) / (syncs / 2 - 10);
  const double second_half = static_cast<double>(sizes[2].bytes - sizes[1].bytes) / (syncs - syncs / 2);
  EXPECT_LE(second_half, 1.1 * first_half) << "per sync: " << first_half << " then " << second_half;
}

INSTANTIATE_TEST_SUITE_P(Signers, SoakTest, ::testing::Values("signer-keystone", "signer-ed25519"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace gibkit::saga::testing
