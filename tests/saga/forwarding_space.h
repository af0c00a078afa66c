// Test helpers over spaces, shared by the staging suites: a space that
// forwards everything to another (derive and override what a test watches
// or breaks), and a count of a space's records.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gibkit/space.h"

namespace gibkit::saga::testing {

class ForwardingSpace : public Space {
 public:
  explicit ForwardingSpace(Space& inner) : inner_(inner) {}
  Status write(const WriteBatch& batch) override { return inner_.write(batch); }
  Result<std::optional<std::string>> get(std::string_view address) override { return inner_.get(address); }
  Result<bool> has(std::string_view address) override { return inner_.has(address); }
  Result<std::optional<std::string>> head(std::string_view timeline) override { return inner_.head(timeline); }
  Status for_each_record(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return inner_.for_each_record(visit);
  }
  Status for_each_head(const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return inner_.for_each_head(visit);
  }

 protected:
  Space& inner_;
};

inline std::size_t record_count(Space& space) {
  std::size_t count = 0;
  EXPECT_TRUE(space.for_each_record([&](std::string_view, std::string_view) { return ++count, true; }).ok());
  return count;
}

}  // namespace gibkit::saga::testing
