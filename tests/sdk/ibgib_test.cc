#include "gibkit/ibgib.h"

#include "gibkit/json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace gibkit {
namespace {

TEST(IbGib, ReadsAndWritesRecords) {
  Result<IbGib> r = IbGib::parse(
      R"({"rel8ns":{"past":["a^gib","b^gib"],"tjp":["t^gib"]},"gib":"G","ib":"x y","data":{"n":3,"k":"v"}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->ib, "x y");
  EXPECT_EQ(r->address(), "x y^G");
  EXPECT_EQ(r->rel8d("past"), (std::vector<std::string>{"a^gib", "b^gib"}));
  EXPECT_TRUE(r->rel8d("none").empty());
  EXPECT_EQ(r->all_rel8d(), (std::vector<std::string>{"a^gib", "b^gib", "t^gib"}));
  EXPECT_EQ(r->tjp_address(), "t^gib");
  EXPECT_EQ(r->n(), 3.0);
  EXPECT_EQ(r->to_json_text(),
            R"({"ib":"x y","gib":"G","data":{"n":3,"k":"v"},"rel8ns":{"past":["a^gib","b^gib"],"tjp":["t^gib"]}})");
  Result<IbGib> again = IbGib::parse(r->to_json_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

TEST(IbGib, NullDataAndRel8nsAreAbsent) {
  Result<IbGib> r = IbGib::parse(R"({"ib":"x","gib":"gib","data":null,"rel8ns":null})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->data.has_value());
  EXPECT_FALSE(r->rel8ns.has_value());
  EXPECT_EQ(r->to_json_text(), R"({"ib":"x","gib":"gib"})");
  EXPECT_EQ(r->tjp_address(), std::nullopt);
  EXPECT_EQ(r->n(), std::nullopt);
}

TEST(IbGib, TjpItselfIsItsOwnTimeline) {
  Result<IbGib> r = IbGib::parse(R"({"ib":"x","gib":"H","data":{"isTjp":true}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tjp_address(), "x^H");
}

TEST(IbGib, RejectsBadShapes) {
  const char* bad[][2] = {
      {R"([1])", "must be a JSON object"},
      {R"({"gib":"g"})", "missing key \"ib\""},
      {R"({"ib":"x"})", "missing key \"gib\""},
      {R"({"ib":1,"gib":"g"})", "\"ib\" must be string"},
      {R"({"ib":"x","gib":"g","extra":1})", "unknown top-level key \"extra\""},
      {R"({"ib":"x","gib":"g","rel8ns":[]})", "rel8ns must be an object"},
      {R"({"ib":"x","gib":"g","rel8ns":{"past":"a^gib"}})", "rel8ns.past must be an array"},
      {R"({"ib":"x","gib":"g","rel8ns":{"past":["a^gib",1]}})", "rel8ns.past[1] must be a string"},
      {R"({"ib":"x",)", "line 1"},
  };
  for (const auto& [text, reason] : bad) {
    const Status s = IbGib::parse(text).status();
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find(reason), std::string::npos) << text << " -> " << s.message();
  }
}

TEST(IbGib, FromJsonRvalueMovesWhatTheCopyCopies) {
  const Result<json::Value> parsed =
      json::parse(R"({"ib":"x","gib":"G","data":{"k":[1,{"z":2,"a":3}],"s":"text"},"rel8ns":{"past":["a^gib"]}})");
  ASSERT_TRUE(parsed.ok());
  const json::Value original = *parsed;
  const Result<IbGib> copied = IbGib::from_json(*parsed);
  json::Value value = *parsed;
  const Result<IbGib> moved = IbGib::from_json(std::move(value));
  ASSERT_TRUE(copied.ok());
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, *copied);
  EXPECT_EQ(*parsed, original);  // the const overload leaves its input alone
  EXPECT_EQ(moved->to_json_text(), json::stringify(original));

  // Both overloads refuse the same records with the same messages.
  for (const char* text : {R"([1])", R"({"ib":"x","gib":"g","extra":1})", R"({"ib":"x","gib":"g","rel8ns":{"p":[1]}})",
                           R"({"ib":1,"gib":"g"})", R"({"ib":"x","gib":"g","rel8ns":7})"}) {
    const json::Value bad = *json::parse(text);
    const Status by_copy = IbGib::from_json(bad).status();
    const Status by_move = IbGib::from_json(json::Value(bad)).status();
    EXPECT_FALSE(by_move.ok()) << text;
    EXPECT_EQ(by_move.message(), by_copy.message()) << text;
  }
}

TEST(IbGib, ToJsonTextIsStringifyOfToJson) {
  for (const char* text :
       {R"({"ib":"x","gib":"g"})", R"({"ib":"q\"uote\u0001","gib":"g","data":"s"})", R"({"ib":"x","gib":"g","data":[{"b":1,"a":2}]})",
        R"({"rel8ns":{"tjp":["t^gib"],"past":[]},"data":{"2":0,"b":{"1":[]},"a":null},"gib":"G","ib":"x"})"}) {
    const Result<IbGib> r = IbGib::parse(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(r->to_json_text(), json::stringify(r->to_json())) << text;
  }
  std::ifstream vectors(std::string(GIBKIT_VECTORS_DIR) + "/ibgib-v1/records.jsonl");
  ASSERT_TRUE(vectors.good());
  for (std::string line; std::getline(vectors, line);) {
    const Result<IbGib> r = IbGib::parse(line);
    ASSERT_TRUE(r.ok()) << line;
    EXPECT_EQ(r->to_json_text(), json::stringify(r->to_json())) << line;
  }
}

// A reader keeps a record's text as it came when the text is stringify's
// output (json::parse_with_form) with to_json_text()'s layout: then the two
// must be the same bytes. Every other layout is refused, so it is written.
TEST(IbGib, JsonTextLayoutMeansToJsonTextGivesTheTextBack) {
  std::vector<std::string> texts = {R"({"ib":"x","gib":"g"})", R"({"ib":"x","gib":"g","data":{"a":1}})",
                                    R"({"ib":"x","gib":"g","rel8ns":{"past":["a^B"]}})"};
  std::ifstream vectors(std::string(GIBKIT_VECTORS_DIR) + "/ibgib-v1/records.jsonl");
  ASSERT_TRUE(vectors.good());
  for (std::string line; std::getline(vectors, line);) texts.push_back(line);
  std::size_t kept = 0;
  for (const std::string& text : texts) {
    bool stringified = false;
    Result<json::Value> value = json::parse_with_form(text, stringified);
    ASSERT_TRUE(value.ok()) << text;
    if (!stringified || !IbGib::has_json_text_layout(*value)) continue;
    ++kept;
    EXPECT_EQ(IbGib::from_json(*value)->to_json_text(), text);
  }
  EXPECT_GE(kept, 3u);  // the vectors are ts-gib's stringify output; most qualify
  for (std::string_view other : {R"({"gib":"g","ib":"x"})", R"({"ib":"x","gib":"g","data":null})",
                                 R"({"ib":"x","gib":"g","rel8ns":null})", R"({"ib":"x","gib":"g","rel8ns":{},"data":1})",
                                 R"({"ib":"x"})", R"({"ib":1,"gib":"g"})", R"({"ib":"x","gib":"g","more":1})", "[]"}) {
    Result<json::Value> value = json::parse(other);
    ASSERT_TRUE(value.ok()) << other;
    EXPECT_FALSE(IbGib::has_json_text_layout(*value)) << other;
  }
}

}  // namespace
}  // namespace gibkit
