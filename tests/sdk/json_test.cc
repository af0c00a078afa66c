#include "gibkit/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace gibkit::json {
namespace {

Value must_parse(std::string_view text) {
  Result<Value> v = parse(text);
  EXPECT_TRUE(v.ok()) << v.status().to_string() << " for " << text;
  return v.ok() ? *v : Value();
}

std::string roundtrip(std::string_view text) { return stringify(must_parse(text)); }

struct NumberCase {
  double value;
  const char* expected;
};

TEST(JsonNumber, FormatsLikeEcmaScriptNumberToString) {
  const NumberCase cases[] = {
      {0.0, "0"},
      {-0.0, "0"},
      {1.0, "1"},
      {-1.0, "-1"},
      {100.0, "100"},
      {3.14, "3.14"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {1e-7, "1e-7"},
      {0.000001, "0.000001"},
      {-2.5e-7, "-2.5e-7"},
      {5e-324, "5e-324"},
      {1.5e300, "1.5e+300"},
      {9007199254740994.0, "9007199254740994"},  // 2^53 + 2
      {9007199254740992.0, "9007199254740992"},
      {12345600.0, "12345600"},
      {-2147483648.0, "-2147483648"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {123e-20, "1.23e-18"},
  };
  for (const NumberCase& c : cases) {
    EXPECT_EQ(number_to_string(c.value), c.expected) << "value " << c.value;
    EXPECT_EQ(stringify(Value(c.value)), c.expected);
  }
}

TEST(JsonNumber, NonFiniteNumbers) {
  EXPECT_EQ(number_to_string(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(number_to_string(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(number_to_string(-std::numeric_limits<double>::infinity()), "-Infinity");
  // JSON.stringify writes null for them.
  EXPECT_EQ(stringify(Value(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(stringify(Value(Array{Value(std::numeric_limits<double>::infinity())})), "[null]");
}

TEST(JsonNumber, ParsesToDoubles) {
  EXPECT_EQ(roundtrip("[1.0, 1E2, -0, 0.5e1, 9007199254740993, 1e400, -1e400, 1e-400]"),
            "[1,100,0,5,9007199254740992,null,null,0]");
  EXPECT_EQ(must_parse("123456789012345678901234567890").as_number(), 1.2345678901234568e29);
}

TEST(JsonString, EscapesLikeJsonStringify) {
  const std::string s = std::string("a\"b\\c\b\f\n\r\t") + '\x01' + '\x1f' + '\x00' + "\x7f/\xC3\xA9\xF0\x9F\x98\x80\xE2\x80\xA8";
  EXPECT_EQ(stringify(Value(s)),
            "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\\u0000\x7f/\xC3\xA9\xF0\x9F\x98\x80\xE2\x80\xA8\"");
}

TEST(JsonString, ParsesEscapes) {
  EXPECT_EQ(must_parse(R"("\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC")").as_string(),
            "\"\\/\b\f\n\r\t" "A\xC3\xA9\xE2\x82\xAC");
}

TEST(JsonString, SurrogatePairBecomesOneCodePoint) {
  const Value v = must_parse(R"("\ud83d\ude00")");
  EXPECT_EQ(v.as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stringify(v), "\"\xF0\x9F\x98\x80\"");
}

TEST(JsonString, LoneSurrogatesRoundTripEscaped) {
  EXPECT_EQ(roundtrip(R"("\ud83d")"), R"("\ud83d")");
  EXPECT_EQ(roundtrip(R"("\ude00\ud83d")"), R"("\ude00\ud83d")");
  EXPECT_EQ(roundtrip(R"("x\ud83dy")"), R"("x\ud83dy")");
  EXPECT_EQ(roundtrip(R"("\ud83d\u0041")"), R"("\ud83dA")");
  EXPECT_EQ(roundtrip(R"("\uDBFF\uDFFF")"), "\"\xF4\x8F\xBF\xBF\"");
}

TEST(JsonString, EscapesBetweenPlainRuns) {
  // U+D7FF shares the lead byte 0xED with the surrogates but is copied; lone
  // surrogates are escaped wherever they sit in the string.
  EXPECT_EQ(stringify(Value(std::string("\xED\x9F\xBF" "a\xED\xA0\xBD" "b\n\xED\xB8\x80"))),
            "\"\xED\x9F\xBF" "a\\ud83db\\n\\ude00\"");
  EXPECT_EQ(stringify(Value(std::string("\xED\xA0\xBD\xED\xB8\x80"))), R"("\ud83d\ude00")");
  // Bytes that form no WTF-8 sequence (not from parse) are copied as they are.
  EXPECT_EQ(stringify(Value(std::string("x\xED\xA0"))), "\"x\xED\xA0\"");
  EXPECT_EQ(stringify(Value(std::string())), R"("")");
}

TEST(JsonString, ParsesRunsBetweenEscapes) {
  EXPECT_EQ(must_parse("\"ab\xC3\xA9\\n\xF0\x9F\x98\x80z\\u0041\"").as_string(), "ab\xC3\xA9\n\xF0\x9F\x98\x80zA");
  // Invalid UTF-8 after an escape and valid UTF-8 is reported where it is.
  ParseError error;
  EXPECT_FALSE(parse("\"ab\\n\xC3\xA9\xC0\xAF\"", {}, &error).ok());
  EXPECT_EQ(error.offset, 7u);
}

// The string loops skip plain ASCII eight bytes at a time: each byte that
// ends a run ('"', '\\', a control, DEL's neighbours, UTF-8, a surrogate's
// 0xED) at every offset of a word, in strings of every length around it,
// must stringify, parse back and be refused exactly as byte by byte.
TEST(JsonString, EveryStopByteAtEveryOffsetRoundTrips) {
  const std::string stops[] = {"\"", "\\", "\n", std::string(1, '\0'), "\x1F", " ", "~", "\x7F",
                               "\xC3\xA9", "\xED\x9F\xBF", "\xED\xA0\xBD", "\xF0\x9F\x98\x80"};
  for (const std::string& stop : stops) {
    for (std::size_t before = 0; before <= 17; ++before) {
      for (std::size_t after : {0u, 1u, 7u, 8u, 9u}) {
        const std::string text = std::string(before, 'a') + stop + std::string(after, 'z');
        const std::string json = stringify(Value(text));
        Result<Value> back = parse(json);
        ASSERT_TRUE(back.ok()) << json << ": " << back.status().to_string();
        EXPECT_EQ(back->as_string(), text) << json;
        const std::string array = "[" + json + "]";
        Result<std::vector<std::string_view>> split = split_array(array);
        ASSERT_TRUE(split.ok()) << json;
        EXPECT_EQ((*split)[0], json);
      }
    }
  }
  // A raw control byte or a bad UTF-8 byte is refused at its offset, wherever
  // it sits in a word.
  for (std::size_t before = 0; before <= 17; ++before) {
    for (const std::string& bad : {std::string("\x01"), std::string("\xFF")}) {
      const std::string json = "\"" + std::string(before, 'a') + bad + "zzzzzzzzz\"";
      ParseError error;
      EXPECT_FALSE(parse(json, {}, &error).ok()) << json;
      EXPECT_EQ(error.offset, before + 1) << json;
      EXPECT_FALSE(split_array("[" + json + "]").ok()) << json;
    }
  }
}

Status parse_status(std::string_view text, ParseError* error = nullptr) {
  return parse(text, {}, error).status();
}

TEST(JsonString, RejectsInvalidUtf8WithPosition) {
  struct Case {
    std::string text;
    const char* reason;
  };
  const Case cases[] = {
      {"\"ab\xC0\xAF\"", "overlong"},
      {"\"ab\xE0\x80\xAF\"", "overlong"},
      {"\"ab\xED\xA0\x80\"", "surrogate"},
      {"\"ab\xE2\x82\"", "truncated"},
      {"\"ab\xF0\x9F\x98", "truncated"},
      {"\"ab\x80\"", "continuation"},
      {"\"ab\xF5\x80\x80\x80\"", "above U+10FFFF"},
      {"\"ab\xFF\"", "0xF8-0xFF"},
  };
  for (const Case& c : cases) {
    ParseError error;
    const Status s = parse_status(c.text, &error);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(error.reason.find(c.reason), std::string::npos) << error.reason;
    EXPECT_EQ(error.offset, 3u) << c.text;
    EXPECT_EQ(error.line, 1u);
    EXPECT_EQ(error.column, 4u);
  }
}

TEST(JsonParse, ErrorsCarryLineColumnAndOffset) {
  ParseError error;
  const Status s = parse_status("{\n  \"a\": tru\n}", &error);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(error.line, 2u);
  EXPECT_EQ(error.column, 8u);
  EXPECT_EQ(error.offset, 9u);
  EXPECT_NE(s.message().find("line 2, column 8"), std::string::npos) << s.message();
}

TEST(JsonParse, RejectsWhatJsonParseRejects) {
  const char* bad[] = {"",          "   ",       "{",          "[1,]",     "{\"a\":1,}", "01",
                       "1.",        ".5",        "+1",         "1e",       "-",          "NaN",
                       "'a'",       "{a:1}",     "[1 2]",      "\"a\nb\"", "\"\\x\"",    "\"\\u12g4\"",
                       "1 2",       "true false", "\xEF\xBB\xBF{}", "[1]x",  "nul",        "{\"a\" 1}"};
  for (const char* text : bad) {
    EXPECT_EQ(parse_status(text).code(), StatusCode::kInvalidArgument) << "accepted: " << text;
  }
}

TEST(JsonParse, AcceptsSurroundingWhitespace) {
  EXPECT_EQ(roundtrip(" \t\r\n{ \"a\" : [ 1 , true , null ] } \n"), R"({"a":[1,true,null]})");
}

TEST(JsonParse, DepthLimit) {
  const std::string ok = std::string(512, '[') + std::string(512, ']');
  EXPECT_TRUE(parse(ok).ok());
  const std::string deep = std::string(513, '[') + std::string(513, ']');
  ParseError error;
  EXPECT_EQ(parse(deep, {}, &error).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(error.offset, 512u);
  ParseOptions shallow;
  shallow.max_depth = 2;
  EXPECT_TRUE(parse(R"({"a":[1]})", shallow).ok());
  EXPECT_EQ(parse(R"({"a":[{}]})", shallow).status().code(), StatusCode::kResourceExhausted);
  // Hostile depth far beyond the limit fails cleanly, without exhausting the stack.
  EXPECT_FALSE(parse(std::string(1000000, '[')).ok());
}

TEST(JsonObject, ArrayIndexKeysFirstThenInsertionOrder) {
  EXPECT_EQ(roundtrip(R"({"b":1,"a":2,"1":3,"0":4,"4294967295":5,"4294967294":6,"01":7,"-1":8,"10":9,"2":10})"),
            R"({"0":4,"1":3,"2":10,"10":9,"4294967294":6,"b":1,"a":2,"4294967295":5,"01":7,"-1":8})");
}

TEST(JsonObject, IsArrayIndexKey) {
  EXPECT_TRUE(is_array_index_key("0"));
  EXPECT_TRUE(is_array_index_key("4294967294"));
  EXPECT_FALSE(is_array_index_key("4294967295"));
  EXPECT_FALSE(is_array_index_key("99999999999"));
  EXPECT_FALSE(is_array_index_key("01"));
  EXPECT_FALSE(is_array_index_key("-1"));
  EXPECT_FALSE(is_array_index_key("1.5"));
  EXPECT_FALSE(is_array_index_key(""));
  EXPECT_FALSE(is_array_index_key(" 1"));
}

TEST(JsonObject, DuplicateKeysLastValueFirstPosition) {
  EXPECT_EQ(roundtrip(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  EXPECT_EQ(roundtrip(R"({"1":1,"0":2,"1":3})"), R"({"0":2,"1":3})");
}

TEST(JsonObject, IndexKeysAfterNamedOnesMoveFirst) {
  EXPECT_EQ(roundtrip(R"({"b":1,"2":2,"a":3,"1":4})"), R"({"1":4,"2":2,"b":1,"a":3})");
  // Above 16 members duplicates are found by hashing.
  std::string text = "{";
  for (int i = 0; i < 20; ++i) {
    text += "\"k";
    text += std::to_string(i);
    text += "\":0,";
  }
  text += R"("7":"seven","k3":"dup","0":"zero"})";
  const Value v = must_parse(text);
  const Object& o = v.as_object();
  ASSERT_EQ(o.size(), 22u);
  EXPECT_EQ(o.begin()->first, "0");
  EXPECT_EQ((o.begin() + 1)->first, "7");
  EXPECT_EQ((o.begin() + 5)->first, "k3");
  EXPECT_EQ((o.begin() + 5)->second, Value("dup"));
  EXPECT_EQ(o.find("k3")->as_string(), "dup");
}

TEST(JsonObject, StringifyToObjectAppendsWhatValueGives) {
  const Value v = must_parse(R"({"b":[1,{"d":2,"c":3}],"1":null,"a":"x"})");
  std::string out = "prefix";
  stringify_to(v.as_object(), out);
  EXPECT_EQ(out, "prefix" + stringify(v));
}

TEST(JsonObject, SetKeepsPositionAndOrdersIndexKeys) {
  Object o;
  o.set("z", 1);
  o.set("5", 2);
  o.set("a", 3);
  o.set("3", 4);
  o.set("z", 5);  // replace keeps position
  EXPECT_EQ(stringify(Value(o)), R"({"3":4,"5":2,"z":5,"a":3})");
  EXPECT_TRUE(o.erase("5"));
  EXPECT_FALSE(o.erase("5"));
  o["new"] = Value("x");
  EXPECT_EQ(stringify(Value(o)), R"({"3":4,"z":5,"a":3,"new":"x"})");
  EXPECT_EQ(o.find("a")->as_number(), 3);
  EXPECT_EQ(o.find("missing"), nullptr);
}

TEST(JsonObject, LargeObjectsStayCorrect) {
  Object o;
  for (int i = 2000; i >= 0; --i) o.set(std::to_string(i), i);           // index keys, descending
  for (int i = 0; i < 2000; ++i) o.set(std::string("k").append(std::to_string(i)), i);      // named keys
  ASSERT_EQ(o.size(), 4001u);
  EXPECT_EQ(o.begin()->first, "0");
  EXPECT_EQ((o.begin() + 2000)->first, "2000");
  EXPECT_EQ((o.begin() + 2001)->first, "k0");
  for (int i = 0; i < 2000; i += 97) {
    ASSERT_NE(o.find(std::string("k").append(std::to_string(i))), nullptr);
    EXPECT_EQ(o.find(std::string("k").append(std::to_string(i)))->as_number(), i);
    EXPECT_EQ(o.find(std::to_string(i))->as_number(), i);
  }
  EXPECT_TRUE(o.erase("k5"));
  EXPECT_EQ(o.find("k5"), nullptr);
  EXPECT_EQ(o.find("k6")->as_number(), 6);
  const Object copy = o;
  EXPECT_EQ(copy, o);
  EXPECT_EQ(copy.find("k1999")->as_number(), 1999);

  // A parsed object with many keys (the parser builds it in one pass).
  std::string text = "{";
  for (int i = 0; i < 3000; ++i) text += (i ? ",\"" : "\"") + std::string("key") + std::to_string(i) + "\":" + std::to_string(i);
  text += ",\"key7\":\"dup\"}";
  const Value parsed = must_parse(text);
  EXPECT_EQ(parsed.as_object().size(), 3000u);
  EXPECT_EQ(parsed.find("key7")->as_string(), "dup");
  EXPECT_EQ((parsed.as_object().begin() + 7)->first, "key7");
}

TEST(JsonValue, TypesTruthinessAndLookups) {
  const Value v = must_parse(R"({"s":"x","n":0,"b":true,"a":[],"o":{},"z":null,"e":""})");
  const Object& o = v.as_object();
  EXPECT_EQ(*get_string(o, "s"), "x");
  EXPECT_EQ(*get_number(o, "n"), 0);
  EXPECT_TRUE(*get_bool(o, "b"));
  EXPECT_TRUE((*get_array(o, "a"))->empty());
  EXPECT_TRUE((*get_object(o, "o"))->empty());
  EXPECT_EQ(get_string(o, "missing").status().code(), StatusCode::kNotFound);
  const Status wrong = get_string(o, "n").status();
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("must be string, not number"), std::string::npos) << wrong.message();
  EXPECT_FALSE(v.find("n")->truthy());
  EXPECT_FALSE(v.find("z")->truthy());
  EXPECT_FALSE(v.find("e")->truthy());
  EXPECT_TRUE(v.find("a")->truthy());
  EXPECT_TRUE(v.find("o")->truthy());
  EXPECT_EQ(type_name(v.find("z")->type()), "null");
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_NE(Value(1), Value("1"));
}

// parse_with_form says "stringified" only for stringify's own output, and
// says it for the plain texts records are made of.
TEST(JsonForm, StringifiedOnlyWhenStringifyWritesTheTextBack) {
  for (std::string_view same : {R"({"ib":"a","n":[1,-2,0,123456789012345,1.5,1e+21,5e-324,0.1],"t":true,"z":null})",
                                "\"\xc3\xa9 \xe2\x80\xa8 \x7f\"", "[]", "{}", "0", R"({"b":{"a":[{"c":"d"}]}})"}) {
    bool stringified = false;
    Result<Value> value = parse_with_form(same, stringified);
    ASSERT_TRUE(value.ok()) << same;
    EXPECT_TRUE(stringified) << same;
    EXPECT_EQ(stringify(*value), same);
  }
  // Each parses to a value whose stringified form is other bytes (or, for
  // the escapes and the array index, may be the same bytes but is not
  // worth telling apart).
  for (std::string_view other : {R"({"a": 1})", " {}", "{}\n", "[1 ]", "1.0", "1E3", "1e21", "-0", "0.10",
                                 "12345678901234567890", R"({"a":1,"a":2})", R"({"b":1,"0":2})", R"({"0":1})",
                                 R"("\/")", R"("\u0041")", R"("\n")", R"({"\u0061":1})"}) {
    bool stringified = true;
    Result<Value> value = parse_with_form(other, stringified);
    ASSERT_TRUE(value.ok()) << other;
    EXPECT_FALSE(stringified) << other;
  }
  bool stringified = true;
  EXPECT_FALSE(parse_with_form("[1,", stringified).ok());
  EXPECT_FALSE(stringified);
}

}  // namespace
}  // namespace gibkit::json

// split_object/split_array check exactly what parse() checks but build no
// values: a reader decodes the members it needs now and the rest later.
namespace gibkit::json {
namespace {

TEST(JsonSplit, ObjectMembersKeepTheirTextAndOrder) {
  const std::string text = R"( {"a":1, "b" : [ {"x":"\u00e9"} ,2], "a":"again"} )";
  Result<std::vector<RawMember>> members = split_object(text);
  ASSERT_TRUE(members.ok()) << members.status().to_string();
  ASSERT_EQ(members->size(), 3u);
  EXPECT_EQ((*members)[0].key, "a");
  EXPECT_EQ((*members)[0].json_text, "1");
  EXPECT_EQ((*members)[1].key, "b");
  EXPECT_EQ((*members)[1].json_text, R"([ {"x":"\u00e9"} ,2])");
  EXPECT_EQ((*members)[2].json_text, R"("again")");
  EXPECT_TRUE(split_object("{}").ok());
}

TEST(JsonSplit, RefusesWhatParseRefuses) {
  for (std::string_view bad : {"[1]", "{\"a\":}", "{\"a\":[1,}", "{\"a\":1} x", "{\"a\":\"\\x\"}", "{\"a\":tru}", ""}) {
    EXPECT_FALSE(split_object(bad).ok()) << bad;
    EXPECT_FALSE(parse(bad).ok() && parse(bad)->is_object()) << bad;
  }
  ParseOptions shallow;
  shallow.max_depth = 3;
  Result<std::vector<RawMember>> deep = split_object(R"({"a":[[[[1]]]]})", shallow);
  EXPECT_EQ(deep.status().code(), StatusCode::kResourceExhausted);
}

TEST(JsonSplit, ArrayElementsKeepTheirText) {
  Result<std::vector<std::string_view>> elements = split_array(R"([ {"ib":"a"}, 2 ,"three",[] ])");
  ASSERT_TRUE(elements.ok()) << elements.status().to_string();
  ASSERT_EQ(elements->size(), 4u);
  EXPECT_EQ((*elements)[0], R"({"ib":"a"})");
  EXPECT_EQ((*elements)[3], "[]");
  EXPECT_TRUE(split_array("[]").ok() && split_array("[]")->empty());
  EXPECT_FALSE(split_array("{}").ok());
  EXPECT_FALSE(split_array("[1,]").ok());
}

}  // namespace
}  // namespace gibkit::json
