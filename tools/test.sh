#!/usr/bin/env bash
# Installs dependencies, builds gibkit three times (release, ASan+UBSan, and
# ThreadSanitizer for the suites labelled threads) and runs every test in the
# first two builds. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh
jobs=$(nproc)

# [TARGETS="a b"] build_and_test DIR CTEST_ARGS... -- CMAKE_ARGS...
# Builds every target, or only TARGETS (and what they depend on).
build_and_test() {
  local dir=$1; shift
  local ctest_args=()
  while [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  shift
  cmake -S . -B "$dir" "$@"
  local targets=()
  for target in ${TARGETS:-}; do targets+=(--target "$target"); done
  cmake --build "$dir" -j "$jobs" "${targets[@]}"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "${ctest_args[@]}"
}

# The release build runs everything, long suites included (label soak:
# bounded by their own counts, see tests/soak).
build_and_test build -- -DCMAKE_BUILD_TYPE=RelWithDebInfo
# libFuzzer targets (tests/fuzz): a separate Clang ASan+UBSan build in
# build-fuzz, every saved crash replayed, then 20 s of fuzzing per target.
bash tests/fuzz/run.sh
# The sanitizer build reruns the same suites but the long ones (labels soak
# and crash: the crash test's kill -9 rounds would take far too long there),
# those measuring gibd's memory (label rss: shadow memory and the
# quarantine are the sanitizer's, not gibd's) and the Debian package's
# (label package: it would install sanitizer binaries into /usr);
# leaks in dlopen'd plugins are real leaks too, so LeakSanitizer stays on. Benchmarks are not tests and
# are not built there.
# use_tls=0 and its suppressions: see tests/lsan_dtls.supp (a tracer crash of
# LeakSanitizer on the thread-local storage of dlopen'd libraries). Tests that
# set LSAN_OPTIONS themselves (tests/websocket) do not load those libraries.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS="use_tls=0:print_suppressions=0:suppressions=$PWD/tests/lsan_dtls.supp" \
  build_and_test build-asan -LE 'soak|crash|rss|package' -- -DCMAKE_BUILD_TYPE=Debug -DGIBKIT_SANITIZE=ON -DGIBKIT_BUILD_BENCHMARKS=OFF
# ThreadSanitizer over the suites that run threads of their own (label
# threads: the websocket transport's event loop and worker pool, sagas in
# parallel on work pools). A race that ASan+UBSan catches only when it
# happens to crash (an EventLoop pointer read while it was reset, once in
# many runs) TSan reports on every run. About 2 minutes to build, 4 to run.
TSAN_OPTIONS=second_deadlock_stack=1 TARGETS="websocket_test websocket_node_test saga_test" \
  build_and_test build-tsan -L threads -- -DCMAKE_BUILD_TYPE=Debug -DGIBKIT_SANITIZE_THREAD=ON -DGIBKIT_BUILD_BENCHMARKS=OFF
