#include "signer_testing.h"

#include <cstdlib>  // mkdtemp (POSIX)

#include "gibkit/gib_hash.h"

namespace gibkit::signer_testing {

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  path_ = ::mkdtemp(pattern.data());
}

TempDir::~TempDir() { std::filesystem::remove_all(path_); }

std::string category(const Status& s) {
  if (s.ok()) return "ok";
  if (s.code() != StatusCode::kPermissionDenied) return "code:" + std::string(status_code_name(s.code()));
  return s.message().substr(0, s.message().find(':'));
}

std::string target(int i) { return "context^" + sha256_hex_upper("turn " + std::to_string(i)); }

IbGib parse(const std::string& text) {
  auto record = IbGib::parse(text);
  EXPECT_TRUE(record.ok()) << record.status().to_string();
  return *record;
}

std::string tampered(const std::string& frame_json, const std::function<void(IbGib&)>& change) {
  IbGib frame = parse(frame_json);
  change(frame);
  frame.gib = *compute_gib(frame);
  return frame.to_json_text();
}

json::Object& data_of(IbGib& frame) { return frame.data->as_object(); }

}  // namespace gibkit::signer_testing
