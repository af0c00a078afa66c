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

void expect_verify_names_malformed_frame(Signer& signer, std::string_view who, const std::string& prev,
                                         const std::string& next, const Claim& claim) {
  const std::string context = std::string(who) + " verify: ";
  const Status bad_prev = signer.verify("{not json", next, claim);
  EXPECT_EQ(bad_prev.code(), StatusCode::kInvalidArgument) << bad_prev.to_string();
  EXPECT_EQ(bad_prev.message().rfind(context + "prev frame: ", 0), 0u) << bad_prev.to_string();
  const Status bad_next = signer.verify(prev, "{not json", claim);
  EXPECT_EQ(bad_next.code(), StatusCode::kInvalidArgument) << bad_next.to_string();
  EXPECT_EQ(bad_next.message().rfind(context + "next frame: ", 0), 0u) << bad_next.to_string();
}

void expect_linked_frames_of_constant_size(const std::vector<std::string>& f) {
  ASSERT_GE(f.size(), 201u);
  const IbGib last = parse(f.back());
  EXPECT_EQ(last.rel8d("past"), std::vector<std::string>{parse(f[f.size() - 2]).address()});
  const std::size_t digits = std::to_string(f.size() - 1).size() - 1;  // "n":2 against "n":200
  EXPECT_EQ(f.back().size(), f[2].size() + digits) << f[2].size() << " B at n 2, " << f.back().size() << " B last";
  EXPECT_EQ(f.back().size(), f[1].size() + 65 + digits) << f[1].size() << " B at n 1";
}

std::string expect_only_the_latest_frame_signs(Signer& restarted, const std::vector<std::string>& frames,
                                               const std::function<std::string(int)>& target) {
  auto expect_refused = [&](const std::string& frame) {
    const auto refused = restarted.sign(frame, {"sync", target(5)});
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find("not the latest frame this signer made"), std::string::npos);
  };
  // The frame just before the last would be caught up (see below), so only
  // the older ones are refused before the last signs.
  for (std::size_t i = 0; i + 2 < frames.size(); ++i) expect_refused(frames[i]);
  auto next = restarted.sign(frames.back(), {"sync", target(2)});
  EXPECT_TRUE(next.ok()) << next.status().to_string();
  if (!next.ok()) return {};
  EXPECT_EQ(next->records_json.size(), 1u);
  EXPECT_TRUE(restarted.verify(frames.back(), next->records_json.back(), {"sync", target(2)}).ok());
  // (frames.back() is now the frame before the latest: it would adopt `next`.)
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) expect_refused(frames[i]);
  return next->records_json.back();
}

std::string expect_the_frame_made_last_is_adopted(Signer& signer, const std::string& before,
                                                  const std::string& latest, const Claim& claim) {
  auto caught_up = signer.sign(before, claim);
  EXPECT_TRUE(caught_up.ok()) << caught_up.status().to_string();
  if (!caught_up.ok()) return {};
  EXPECT_EQ(caught_up->records_json.size(), 2u);
  if (caught_up->records_json.size() != 2) return {};
  // The very frame made before: its one-time key (or its pools' solutions)
  // was not used a second time.
  EXPECT_EQ(caught_up->records_json[0], latest);
  const std::string& next = caught_up->records_json[1];
  EXPECT_EQ(caught_up->latest_address, parse(next).address());
  EXPECT_TRUE(signer.verify(latest, next, claim).ok());
  // `before` is not evolved a second time. (`latest`, now the frame before
  // the latest, would adopt `next` in turn.)
  const auto again = signer.sign(before, claim);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition) << again.status().to_string();
  EXPECT_NE(again.status().message().find("not the latest frame this signer made"), std::string::npos);
  return next;
}

void expect_sessions_live_in_memory_until_forgotten(Signer& signer, Signer& restarted,
                                                    const std::filesystem::path& dir, const Claim& session_claim,
                                                    const Claim& domain_claim) {
  const auto files = [&dir] {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
    return n;
  };
  auto domain = signer.create_identity(json::Object{{"preset", "domain"}});
  ASSERT_TRUE(domain.ok()) << domain.status().to_string();
  const std::size_t domain_files = files();
  EXPECT_EQ(domain_files, 2u);  // .secret and .head

  // A session preset alone (`gib keystone create --preset session`) is kept
  // like any identity; only the kernel's per-saga sessions are not.
  auto kept = signer.create_identity(json::Object{{"preset", "session"}});
  ASSERT_TRUE(kept.ok()) << kept.status().to_string();
  EXPECT_EQ(files(), domain_files + 2);
  EXPECT_TRUE(signer.forget(kept->latest_address).ok());
  EXPECT_EQ(files(), domain_files + 2);
  EXPECT_TRUE(restarted.sign(kept->records_json.back(), session_claim).ok());
  const std::size_t stored_files = files();

  auto bad = signer.create_identity(json::Object{{"preset", "session"}, {"lifetime", "forever"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("lifetime"), std::string::npos) << bad.status().to_string();

  auto session = signer.create_identity(json::Object{{"preset", "session"}, {"lifetime", "saga"}});
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  EXPECT_EQ(files(), stored_files);
  auto turn = signer.sign(session->records_json.back(), session_claim);
  ASSERT_TRUE(turn.ok()) << turn.status().to_string();
  EXPECT_EQ(files(), stored_files);

  EXPECT_TRUE(signer.forget(session->latest_address).ok());
  auto after = signer.sign(turn->records_json.back(), session_claim);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kNotFound) << after.status().to_string();
  EXPECT_TRUE(signer.forget(session->latest_address).ok());  // not held: nothing to do

  // A stored identity is never dropped by forget.
  EXPECT_TRUE(signer.forget(domain->latest_address).ok());
  EXPECT_EQ(files(), stored_files);
  auto endorsed = restarted.sign(domain->records_json.back(), domain_claim);
  EXPECT_TRUE(endorsed.ok()) << endorsed.status().to_string();
}

}  // namespace gibkit::signer_testing
