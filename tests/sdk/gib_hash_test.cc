#include "gibkit/gib_hash.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace gibkit {
namespace {

IbGib record_from(std::string_view text) {
  Result<IbGib> r = IbGib::parse(text);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : IbGib{};
}

std::string gib_of(std::string_view text, GibAlgorithm algorithm = GibAlgorithm::kSha256V1) {
  Result<std::string> gib = compute_gib(record_from(text), algorithm);
  EXPECT_TRUE(gib.ok()) << gib.status().to_string();
  return gib.ok() ? *gib : "";
}

constexpr char kIbGibGib[] = "E975776B1A3E4468086E1D8C409116F6E098D13BEEDFE17AF668071B5D11CD55";

TEST(Sha256, HexUpper) {
  EXPECT_EQ(sha256_hex_upper("ib"), "765DBB8C38A58A5DC019D7B3133DFFB251D643CB291328AD8E86D4F05655E68B");
  EXPECT_EQ(sha256_hex_upper(""), "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
}

TEST(GibHash, KnownAnswersFromTsGib) {
  EXPECT_EQ(gib_of(R"({"ib":"ib","gib":""})"), kIbGibGib);
  // Empty, missing and null data and rel8ns all hash like no data.
  EXPECT_EQ(gib_of(R"({"ib":"ib","gib":"","data":{},"rel8ns":{}})"), kIbGibGib);
  EXPECT_EQ(gib_of(R"({"ib":"ib","gib":"","data":null,"rel8ns":null})"), kIbGibGib);
  EXPECT_EQ(gib_of(R"({"ib":"ib","gib":"","rel8ns":{"past":[]}})"), kIbGibGib);
  const char* rel8ns = R"("rel8ns":{"past":["ib^gib"],"ancestor":["ib^gib"],"dna":["ib^gib"],"identity":["ib^gib"]})";
  EXPECT_EQ(gib_of(std::string(R"({"ib":"ib","gib":"","data":{"x":1,"y":2},)") + rel8ns + "}"),
            "34F03B3EC694FBEE1F93944CF6BAD4B6A07FD450276B9FC1A523EB4C1E4157B7");
  EXPECT_EQ(gib_of(std::string(R"({"ib":"ib","gib":"","data":{"x":1,"s":"string here"},)") + rel8ns + "}"),
            "577E5732B8E00539B5FBF27607E09496805BB113232C970958D8DF05BE6164B6");
  EXPECT_EQ(sha256_hex_upper(R"({"x":1,"y":2})"), "689A8F1DB95402580476E38C264278CE7B1E664320CFB4E9AE8D3A908CF09964");
}

TEST(GibHash, PrimitivesAreGib) { EXPECT_EQ(gib_of(R"({"ib":"42","gib":"gib","data":{"a":1}})"), "gib"); }

TEST(GibHash, NormalizationSortsKeysRecursivelyButNotInsideArrays) {
  const std::string sorted = gib_of(R"({"ib":"x","gib":"","data":{"a":{"c":1,"d":[{"f":1,"e":2}]},"b":2}})");
  EXPECT_EQ(gib_of(R"({"ib":"x","gib":"","data":{"b":2,"a":{"d":[{"f":1,"e":2}],"c":1}}})"), sorted);
  EXPECT_NE(gib_of(R"({"ib":"x","gib":"","data":{"b":2,"a":{"d":[{"e":2,"f":1}],"c":1}}})"), sorted);
  // Legacy hashes the order as written.
  EXPECT_NE(gib_of(R"({"ib":"x","gib":"","data":{"b":2,"a":1}})", GibAlgorithm::kSha256V1Legacy),
            gib_of(R"({"ib":"x","gib":"","data":{"a":1,"b":2}})", GibAlgorithm::kSha256V1Legacy));
}

TEST(GibHash, NormalizeKeysUsesUtf16OrderAndKeepsIndexKeysFirst) {
  // U+FF5E sorts before U+1F600 by UTF-8 bytes, after it by UTF-16 units.
  const Result<json::Value> v = json::parse("{\"\xEF\xBD\x9E\":1,\"\xF0\x9F\x98\x80\":2,\"b\":3,\"10\":4,\"2\":5,\"a\":{\"z\":1,\"y\":2}}");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(json::stringify(normalize_keys(*v)),
            "{\"2\":5,\"10\":4,\"a\":{\"y\":2,\"z\":1},\"b\":3,\"\xF0\x9F\x98\x80\":2,\"\xEF\xBD\x9E\":1}");
  const Result<json::Value> array = json::parse(R"([{"b":1,"a":2}])");
  ASSERT_TRUE(array.ok());
  EXPECT_EQ(json::stringify(normalize_keys(*array)), R"([{"b":1,"a":2}])");
}

TEST(GibHash, HasDataRulesPerAlgorithm) {
  const std::string bare = gib_of(R"({"ib":"x","gib":""})");
  EXPECT_EQ(gib_of(R"({"ib":"x","gib":"","data":""})"), bare);
  EXPECT_EQ(gib_of(R"({"ib":"x","gib":"","data":[]})"), bare);
  EXPECT_EQ(gib_of(R"({"ib":"x","gib":"","data":0})"), bare);
  EXPECT_EQ(gib_of(R"({"ib":"x","gib":"","data":false})"), bare);
  EXPECT_NE(gib_of(R"({"ib":"x","gib":"","data":7})"), bare);
  EXPECT_NE(gib_of(R"({"ib":"x","gib":"","data":"s"})"), bare);
  EXPECT_NE(gib_of(R"({"ib":"x","gib":"","data":[0]})"), bare);
  // Legacy: Object.keys(7) is empty, so a number is no data.
  EXPECT_EQ(gib_of(R"({"ib":"x","gib":"","data":7})", GibAlgorithm::kSha256V1Legacy), bare);
  EXPECT_NE(gib_of(R"({"ib":"x","gib":"","data":"s"})", GibAlgorithm::kSha256V1Legacy), bare);
}

TEST(GibHash, TjpSuffixRules) {
  const std::string tjp_gib = "DBAD38441B92E76A83E4BBB640F3FB7D73E351EB5BDDB99C69C1C9DE4125D07C";
  const std::string frame = R"({"ib":"s","gib":"","rel8ns":{"tjp":["s^)" + tjp_gib + R"("]}})";
  const std::string gib = gib_of(frame);
  ASSERT_EQ(gib.size(), 64u + 1 + 64u);
  EXPECT_EQ(gib.substr(65), tjp_gib);
  // The tjp itself has the bare hash.
  EXPECT_EQ(gib_of(R"({"ib":"s","gib":"","data":{"isTjp":true}})").size(), 64u);
  // The last tjp wins.
  const std::string two = R"({"ib":"s","gib":"","rel8ns":{"tjp":["a^gib","s^)" + tjp_gib + R"("]}})";
  EXPECT_EQ(gib_of(two).substr(65), tjp_gib);
  // Where the reference throws, so do we.
  EXPECT_EQ(compute_gib(record_from(R"({"ib":"s","gib":"","data":{"isTjp":true},"rel8ns":{"tjp":[]}})")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(compute_gib(record_from(R"({"ib":"s","gib":"","rel8ns":{"tjp":["nocaret"]}})")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(compute_gib(record_from(R"({"ib":"s","gib":"","rel8ns":{"tjp":[""]}})")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(GibHash, LoneSurrogateInIbHashesLikeTextEncoder) {
  IbGib lone;
  lone.ib = "a\xED\xA0\xBD";  // "a\ud83d"
  IbGib replaced;
  replaced.ib = "a\xEF\xBF\xBD";  // "a\ufffd"
  EXPECT_EQ(*compute_gib(lone), *compute_gib(replaced));
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void check_vectors(const std::string& folder, GibAlgorithm algorithm) {
  const std::string dir = std::string(GIBKIT_VECTORS_DIR) + "/" + folder;
  const std::vector<std::string> records = read_lines(dir + "/records.jsonl");
  const std::vector<std::string> gibs = read_lines(dir + "/gibs.txt");
  ASSERT_FALSE(records.empty());
  ASSERT_EQ(records.size(), gibs.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const IbGib record = record_from(records[i]);
    Result<std::string> gib = compute_gib(record, algorithm);
    ASSERT_TRUE(gib.ok()) << "line " << i + 1 << ": " << gib.status().to_string();
    EXPECT_EQ(*gib, gibs[i]) << "line " << i + 1;
    EXPECT_EQ(record.gib, gibs[i]) << "line " << i + 1;
  }
}

TEST(GibHashVectors, CurrentMatchesJavaScriptReference) { check_vectors("ibgib-v1", GibAlgorithm::kSha256V1); }
TEST(GibHashVectors, LegacyMatchesJavaScriptReference) {
  check_vectors("ibgib-legacy", GibAlgorithm::kSha256V1Legacy);
}

}  // namespace
}  // namespace gibkit
