#include "gibkit/gib_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
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

// UTF-16 code units of a WTF-8 string, decoded here independently of the SDK.
std::u16string utf16_of(std::string_view s) {
  std::u16string units;
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (cp >= 0x10000) {
      units += static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10));
      units += static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      units += static_cast<char16_t>(cp);
    }
    i += length;
  }
  return units;
}

// normalize_keys as ts-gib defines it, written without the SDK's ordering
// code: keys sorted by UTF-16 units into a new object (which puts array-index
// keys first), recursing through objects only.
json::Value reference_normalize(const json::Value& x) {
  if (!x.is_object()) return x;
  std::vector<json::Object::Member> members;
  for (const auto& [key, value] : x.as_object()) members.emplace_back(key, reference_normalize(value));
  std::sort(members.begin(), members.end(),
            [](const json::Object::Member& a, const json::Object::Member& b) { return utf16_of(a.first) < utf16_of(b.first); });
  return json::Object::from_members(std::move(members));
}

// compute_gib's hash (the part before any ".<tjp gib>") by the definition it
// had before it streamed: H over stringify(normalize_keys(x)) strings.
// Only for records whose ib holds no lone surrogate.
std::string hash_by_old_definition(const IbGib& record, GibAlgorithm algorithm) {
  const auto h = [](const std::string& s) { return s.empty() ? s : sha256_hex_upper(s); };
  const auto j = [&](const json::Value& x) {
    if (algorithm == GibAlgorithm::kSha256V1Legacy) return json::stringify(x);
    const std::string normalized = json::stringify(normalize_keys(x));
    EXPECT_EQ(normalized, json::stringify(reference_normalize(x)));
    return normalized;
  };
  bool with_rel8ns = false;
  if (record.rel8ns) {
    for (const auto& [name, list] : *record.rel8ns) with_rel8ns |= list.is_array() && !list.as_array().empty();
  }
  bool with_data = false;
  if (record.data) {
    const json::Value& d = *record.data;
    with_data = d.is_object()   ? !d.as_object().empty()
                : d.is_array()  ? !d.as_array().empty()
                : d.is_string() ? !d.as_string().empty()
                                : algorithm == GibAlgorithm::kSha256V1 && d.truthy();
  }
  const std::string ib_hash = h(record.ib);
  if (!with_rel8ns && !with_data) return h(ib_hash);
  return h(ib_hash + (with_rel8ns ? h(j(json::Value(*record.rel8ns))) : "") + (with_data ? h(j(*record.data)) : ""));
}

void expect_old_definition(const IbGib& record, GibAlgorithm algorithm, const std::string& what) {
  Result<std::string> gib = compute_gib(record, algorithm);
  ASSERT_TRUE(gib.ok()) << what << ": " << gib.status().to_string();
  EXPECT_EQ(gib->substr(0, gib->find('.')), hash_by_old_definition(record, algorithm)) << what;
}

TEST(GibHashDifferential, VectorRecordsHashAsByTheOldDefinition) {
  for (const char* folder : {"ibgib-v1", "ibgib-legacy"}) {
    const std::vector<std::string> records = read_lines(std::string(GIBKIT_VECTORS_DIR) + "/" + folder + "/records.jsonl");
    ASSERT_FALSE(records.empty());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const IbGib record = record_from(records[i]);
      if (record.gib == kPrimitiveGib) continue;
      // Both algorithms on every record: the other one's order differs.
      expect_old_definition(record, GibAlgorithm::kSha256V1, std::string(folder) + " line " + std::to_string(i + 1));
      expect_old_definition(record, GibAlgorithm::kSha256V1Legacy, std::string(folder) + " line " + std::to_string(i + 1));
    }
  }
}

// Keys that order differently by bytes, by code points, by UTF-16 units or
// as array indices, and keys that look alike.
const std::vector<std::string>& tricky_keys() {
  static const std::vector<std::string> keys = {
      "", "0", "1", "2", "10", "9", "4294967294", "4294967295", "01", "-1", "1.5", " 1",
      "a", "A", "b", "ab", "a b", std::string("a\0", 2), std::string("a\0b", 3), "\"", "\\", "\n", "\x7f",
      "\xC3\xA9",               // U+00E9 precomposed
      "e\xCC\x81",              // e + combining acute: looks the same
      "\xEE\x80\x80",          // U+E000, private use
      "\xEF\xBD\x9E",          // U+FF5E
      "\xEF\xBF\xBF",          // U+FFFF
      "\xF0\x90\x80\x80",      // U+10000 (D800 DC00)
      "\xF0\x9F\x98\x80",      // U+1F600 (D83D DE00)
      "\xED\xA0\xBD",          // lone high surrogate D83D
      "\xED\xA0\xBDx",         // ... followed by x
      "\xED\xB8\x80",          // lone low surrogate DE00
      "\xED\x9F\xBF",          // U+D7FF, just below the surrogates
  };
  return keys;
}

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  json::Object object(int depth) {
    json::Object o;
    const int n = pick(0, 8);
    for (int i = 0; i < n; ++i) o.set(key(), value(depth - 1));
    return o;
  }

  json::Value value(int depth) {
    switch (pick(0, depth > 0 ? 8 : 4)) {
      case 0: return json::Value();
      case 1: return json::Value(pick(0, 1) == 1);
      case 2: {
        static const double numbers[] = {0, -0.0, 1, -1.5, 1e21, 1e-7, 5e-324, 123456789012345680000.0, 0.1};
        return json::Value(numbers[pick(0, 8)]);
      }
      case 3: return json::Value(key());  // strings with the same tricky content
      case 4: return json::Value(std::string(static_cast<std::size_t>(pick(0, 3)) * 5000, 'x') + key());
      case 5:
      case 6: return json::Value(object(depth));
      default: {
        // Arrays are not normalized, objects in them included.
        json::Array a;
        const int n = pick(0, 4);
        for (int i = 0; i < n; ++i) a.push_back(value(depth - 1));
        return json::Value(std::move(a));
      }
    }
  }

  json::Object rel8ns() {
    json::Object o;
    const int n = pick(0, 4);
    for (int i = 0; i < n; ++i) {
      json::Array addresses;
      const int m = pick(0, 3);
      for (int k = 0; k < m; ++k) addresses.emplace_back(key() + "^gib");
      o.set(key(), json::Value(std::move(addresses)));
    }
    return o;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string key() { return tricky_keys()[static_cast<std::size_t>(pick(0, static_cast<int>(tricky_keys().size()) - 1))]; }
  std::mt19937 rng_;
};

TEST(GibHashDifferential, GeneratedNestedRecordsHashAsByTheOldDefinition) {
  Generator generate(20261124);
  for (int i = 0; i < 400; ++i) {
    IbGib record;
    record.ib = "generated " + std::to_string(i);
    record.data = i % 5 == 0 ? generate.value(4) : json::Value(generate.object(4));
    record.rel8ns = generate.rel8ns();
    expect_old_definition(record, GibAlgorithm::kSha256V1, "record " + std::to_string(i));
    expect_old_definition(record, GibAlgorithm::kSha256V1Legacy, "record " + std::to_string(i));
  }
}

TEST(GibHashDifferential, LargeRecordsHashedInChunks) {
  // Well past the hasher's chunk size, in one string, in many members and in
  // one long array.
  json::Object data;
  data.set("long", std::string(100000, 'y'));
  for (int i = 0; i < 3000; ++i) data.set(std::string("k").append(std::to_string(3000 - i)), i);
  json::Array past;
  for (int i = 0; i < 3000; ++i) past.emplace_back("comment " + std::to_string(i) + "^" + std::string(64, 'A'));
  IbGib record;
  record.ib = "large";
  record.data = json::Value(std::move(data));
  record.rel8ns = json::Object{{"past", json::Value(std::move(past))}};
  expect_old_definition(record, GibAlgorithm::kSha256V1, "large");
  expect_old_definition(record, GibAlgorithm::kSha256V1Legacy, "large");
}

}  // namespace
}  // namespace gibkit
