#!/usr/bin/env bash
# Installs dependencies, builds gibkit twice (release, then ASan+UBSan) and
# runs every test in both builds. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh
jobs=$(nproc)

build_and_test() {
  local dir=$1; shift
  cmake -S . -B "$dir" "$@"
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The sanitizer build reruns the same suites; leaks in dlopen'd plugins are
# real leaks too, so LeakSanitizer stays on. Benchmarks are not tests and
# are not built there.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DGIBKIT_SANITIZE=ON -DGIBKIT_BUILD_BENCHMARKS=OFF
