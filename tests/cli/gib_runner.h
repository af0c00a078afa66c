// Running the real `gib` binary (GIBKIT_GIB) from a test: one subprocess per
// call, stdin/stdout/stderr through files in the test's temporary directory.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace gibkit::testing {

struct GibRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string shell_quoted(std::string_view arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Runs `gib` with `args` (and `input` on stdin), its files kept in `dir`.
inline GibRun run_gib(const std::filesystem::path& dir, const std::vector<std::string>& args,
                      std::string_view input = "") {
  const std::filesystem::path in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  write_file(in, input);
  std::string command = shell_quoted(GIBKIT_GIB);
  for (const std::string& arg : args) command += " " + shell_quoted(arg);
  command += " <" + shell_quoted(in.string()) + " >" + shell_quoted(out.string()) + " 2>" + shell_quoted(err.string());
  const int status = std::system(command.c_str());
  return GibRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

}  // namespace gibkit::testing
