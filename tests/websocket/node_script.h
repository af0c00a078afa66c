// Running the scripts of the test's node folder (Node's `ws` package, a peer
// that is not ours), for websocket_node_test.cc and compression_node_test.cc.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "gibkit/json.h"

namespace gibkit::plugins::websocket::test_support {

// The shell command that runs a script of the test's node folder.
inline std::string node_command(const std::string& arguments) {
  return std::string(GIBKIT_TEST_NODE) + " " + GIBKIT_TEST_NODE_DIR + "/" + arguments;
}

// Runs a node script from the test's node folder; returns its stdout.
inline std::string run_node(const std::string& arguments) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(node_command(arguments).c_str(), "r"), pclose);
  if (!pipe) return "";
  std::string output;
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) output.append(buffer, n);
  return output;
}

// Runs a script that prints one JSON object when it is done; returns it
// parsed. A test failure (and an empty object) when it printed none, or
// when the script says it timed out -- or does not say, as a script that
// failed prints nothing of the kind.
inline json::Object run_node_result(const std::string& arguments) {
  const std::string output = run_node(arguments);
  Result<json::Value> parsed = json::parse(output);
  EXPECT_TRUE(parsed.ok() && parsed->is_object()) << "node printed: " << output;
  if (!parsed.ok() || !parsed->is_object()) return json::Object();
  const json::Value* timed_out = parsed->find("timedOut");
  EXPECT_TRUE(timed_out != nullptr && !timed_out->truthy()) << output;
  return parsed->as_object();
}

}  // namespace gibkit::plugins::websocket::test_support
