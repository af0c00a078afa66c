#include "gibkit/validate.h"

#include <gtest/gtest.h>

#include <fstream>

namespace gibkit {
namespace {

IbGib parse_record(std::string_view text) {
  Result<IbGib> r = IbGib::parse(text);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : IbGib{};
}

const char kTjp[] = R"({"ib":"space 0","gib":"DBAD38441B92E76A83E4BBB640F3FB7D73E351EB5BDDB99C69C1C9DE4125D07C","data":{"timestamp":"Tue, 24 Nov 2026 21:04:23 GMT","uuid":"c87d3bff80df0f19b97e167f726bdf88b4a64f49c1789c2ad2949ccec8af2b58","isTjp":true}})";

TEST(Validate, AcceptsAValidRecord) { EXPECT_TRUE(validate_intrinsically(parse_record(kTjp)).ok()); }

TEST(Validate, ReportsGibMismatchWithBothValues) {
  IbGib r = parse_record(kTjp);
  r.ib = "space 1";
  const Status s = validate_intrinsically(r);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("gib mismatch: expected DBAD3844"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("computed "), std::string::npos);
}

TEST(Validate, ReportsMalformedInput) {
  IbGib r = parse_record(kTjp);
  r.gib = "XYZ";
  EXPECT_EQ(validate_intrinsically(r).code(), StatusCode::kInvalidArgument);
  r = parse_record(kTjp);
  r.ib = "a^b";
  EXPECT_NE(validate_intrinsically(r).message().find("malformed ib"), std::string::npos);
  r = parse_record(kTjp);
  r.rel8ns = json::Object{{"x", json::Array{json::Value("nocaret")}}};
  const Status bad_rel8n = validate_intrinsically(r);
  EXPECT_EQ(bad_rel8n.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_rel8n.message().find("bad rel8ns shape: rel8ns.x[0]"), std::string::npos) << bad_rel8n.message();
  r.rel8ns = json::Object{{"x", json::Value(1)}};
  EXPECT_NE(validate_intrinsically(r).message().find("is not an array"), std::string::npos);
  const IbGib primitive{"7", "gib", json::Value(json::Object{{"a", 1}}), std::nullopt};
  EXPECT_EQ(validate_intrinsically(primitive).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(validate_intrinsically(IbGib{"7", "gib", std::nullopt, std::nullopt}).ok());
}

TEST(Validate, ReportsTjpSuffixMismatch) {
  const std::string hash(64, 'A');
  IbGib frame{"s", hash + "." + std::string(64, 'B'), std::nullopt,
              json::Object{{"tjp", json::Array{json::Value("s^" + std::string(64, 'C'))}}}};
  Status s = validate_intrinsically(frame);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("tjp suffix mismatch"), std::string::npos) << s.message();
  IbGib tjp = parse_record(kTjp);
  tjp.gib += "." + std::string(64, 'B');
  s = validate_intrinsically(tjp);
  EXPECT_NE(s.message().find("is a tjp itself"), std::string::npos) << s.message();
}

TEST(Validate, Rel8DnaStillCarryingSrcIsAccepted) {
  IbGib dna{"rel8", "", json::Value(json::Object{{"dna", true}, {"rel8nsToAddByAddr", json::Object{{"x", json::Array{json::Value("a^gib")}}}}, {"type", "rel8"}}),
            json::Object{{"ancestor", json::Array{json::Value("rel8^gib")}}}};
  dna.gib = *compute_gib(dna);
  EXPECT_TRUE(validate_intrinsically(dna).ok());
  dna.data->as_object().set("srcAddr", "s^gib");
  EXPECT_TRUE(validate_intrinsically(dna).ok());
  IbGib not_rel8 = dna;
  not_rel8.ib = "mut8";
  not_rel8.rel8ns = json::Object{{"ancestor", json::Array{json::Value("mut8^gib")}}};
  EXPECT_EQ(validate_intrinsically(not_rel8).code(), StatusCode::kDataLoss);
}

void expect_every_tampered_line_refused(const std::string& folder, GibAlgorithm algorithm) {
  std::ifstream in(std::string(GIBKIT_VECTORS_DIR) + "/" + folder + "/tampered.jsonl");
  ASSERT_TRUE(in.good());
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    Result<IbGib> r = IbGib::parse(line);
    if (!r.ok()) continue;  // refused already at parsing
    EXPECT_FALSE(validate_intrinsically(*r, algorithm).ok()) << folder << " line " << lines << " accepted";
  }
  EXPECT_GT(lines, 0);
}

TEST(ValidateVectors, EveryTamperedRecordIsRefused) {
  expect_every_tampered_line_refused("ibgib-v1", GibAlgorithm::kSha256V1);
  expect_every_tampered_line_refused("ibgib-legacy", GibAlgorithm::kSha256V1Legacy);
}

TEST(ValidateVectors, EveryReferenceRecordIsValid) {
  for (const auto& [folder, algorithm] : {std::pair{"ibgib-v1", GibAlgorithm::kSha256V1},
                                          std::pair{"ibgib-legacy", GibAlgorithm::kSha256V1Legacy}}) {
    std::ifstream in(std::string(GIBKIT_VECTORS_DIR) + "/" + folder + "/records.jsonl");
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_number;
      const Status s = validate_intrinsically(parse_record(line), algorithm);
      EXPECT_TRUE(s.ok()) << folder << " line " << line_number << ": " << s.to_string();
    }
    EXPECT_GT(line_number, 0);
  }
}

}  // namespace
}  // namespace gibkit
