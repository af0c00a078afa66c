// WriteBatchView (gibkit/space.h): the borrowed form of a write batch that
// the plugin ABI hands a plugin's space. The default Space::write_view must
// give write() exactly the batch the view describes, and the view's checks
// must be write()'s checks, so a space that does not override write_view
// behaves as before.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "gibkit/space.h"

namespace gibkit {
namespace {

// Keeps the batch write() was given; answers nothing else.
class RecordingSpace final : public Space {
 public:
  Status write(const WriteBatch& batch) override {
    written.push_back(batch);
    return Status();
  }
  Result<std::optional<std::string>> get(std::string_view) override { return std::optional<std::string>(); }
  Result<bool> has(std::string_view) override { return false; }
  Result<std::optional<std::string>> head(std::string_view) override { return std::optional<std::string>(); }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>&) override { return {}; }
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>&) override { return {}; }

  std::vector<WriteBatch> written;
};

WriteBatchView sample_view() {
  WriteBatchView view;
  view.puts = {{"a^1", R"({"ib":"a","gib":"1"})"}, {"b^2", R"({"ib":"b","gib":"2"})"}};
  view.heads = {{"t^0", "a^1", std::nullopt}, {"u^0", "b^2", std::optional<std::string_view>("")},
                {"t^0", "b^2", std::optional<std::string_view>("a^1")}};
  view.erases = {"c^3"};
  return view;
}

TEST(WriteBatchView, DefaultWriteViewGivesWriteTheSameBatchInOrder) {
  RecordingSpace space;
  ASSERT_TRUE(space.write_view(sample_view()).ok());
  ASSERT_EQ(space.written.size(), 1u);
  const WriteBatch& batch = space.written[0];
  ASSERT_EQ(batch.puts.size(), 2u);
  EXPECT_EQ(batch.puts[0].address, "a^1");
  EXPECT_EQ(batch.puts[0].json_text, R"({"ib":"a","gib":"1"})");
  EXPECT_EQ(batch.puts[1].address, "b^2");
  ASSERT_EQ(batch.heads.size(), 3u);
  EXPECT_EQ(batch.heads[0].timeline, "t^0");
  EXPECT_FALSE(batch.heads[0].expected_head.has_value());
  // An expected head of "" (no head yet) is kept apart from no expectation.
  ASSERT_TRUE(batch.heads[1].expected_head.has_value());
  EXPECT_EQ(*batch.heads[1].expected_head, "");
  EXPECT_EQ(batch.heads[2].head, "b^2");
  EXPECT_EQ(batch.heads[2].expected_head, std::optional<std::string>("a^1"));
  EXPECT_EQ(batch.erases, std::vector<std::string>{"c^3"});
}

TEST(WriteBatchView, EmptyViewIsEmptyBatch) {
  RecordingSpace space;
  EXPECT_TRUE(WriteBatchView{}.empty());
  EXPECT_FALSE(sample_view().empty());
  ASSERT_TRUE(space.write_view(WriteBatchView{}).ok());
  ASSERT_EQ(space.written.size(), 1u);
  EXPECT_TRUE(space.written[0].empty());
}

TEST(WriteBatchView, ChecksMatchThoseOfTheOwnedBatch) {
  std::vector<WriteBatchView> bad(5, sample_view());
  bad[0].puts[1].address = "";
  bad[1].puts[0].json_text = "";
  bad[2].heads[2].timeline = "";
  bad[3].heads[0].head = "";
  bad[4].erases[0] = "";
  for (const WriteBatchView& view : bad) {
    Status from_view = check_write_batch(view);
    Status from_batch = check_write_batch(to_write_batch(view));
    EXPECT_EQ(from_view.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(from_view.to_string(), from_batch.to_string());
  }
  EXPECT_TRUE(check_write_batch(sample_view()).ok());
}

}  // namespace
}  // namespace gibkit
