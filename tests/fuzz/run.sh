#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with Clang, ASan and UBSan in a
# separate build directory, replays every saved crash in
# tests/fuzz/regressions/<target>/, then fuzzes each target for a bounded
# time, starting from a copy of tests/fuzz/corpus/<target>/ (the corpus in
# the repository is never modified). Exits non-zero if any input crashes;
# the crashing input is kept in <build dir>/fuzz-artifacts/<target>/.
#
#   GIBKIT_FUZZ_SECONDS    seconds of fuzzing per target (default 20; 0 only
#                          replays the regressions)
#   GIBKIT_FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   GIBKIT_FUZZ_TARGETS    targets to run (default: all, see below)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${GIBKIT_FUZZ_SECONDS:-20}
build=${GIBKIT_FUZZ_BUILD_DIR:-build-fuzz}
targets=(${GIBKIT_FUZZ_TARGETS:-json record sync_messages envelope deployment})
jobs=$(nproc)

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DGIBKIT_FUZZ=ON -DGIBKIT_SANITIZE=ON -DGIBKIT_BUILD_BENCHMARKS=OFF -DGIBKIT_BUILD_TESTS=ON >/dev/null
nice cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()

for target in "${targets[@]}"; do
  bin=$build/bin/fuzz_$target
  artifacts=$build/fuzz-artifacts/$target
  mkdir -p "$artifacts"
  log=$work/$target.log

  # Every crash ever found, replayed once (libFuzzer runs files given as arguments).
  regressions=(tests/fuzz/regressions/$target/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" -artifact_prefix="$artifacts/" "${regressions[@]}" >"$log" 2>&1; then
      echo "fuzz_$target: a regression input crashes again:"; tail -n 40 "$log"
      failed+=("$target (regressions)")
      continue
    fi
    echo "fuzz_$target: ${#regressions[@]} regression input(s) pass"
  fi

  [ "$seconds" -gt 0 ] || continue
  corpus=$work/corpus-$target
  mkdir -p "$corpus"
  cp tests/fuzz/corpus/$target/* "$corpus"/
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    echo "fuzz_$target: CRASH (input saved in $artifacts/; add it to tests/fuzz/regressions/$target/):"
    tail -n 60 "$log"
    failed+=("$target")
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz_$target: ${runs:-?} runs in ${seconds}s, no crash ($(ls "$corpus" | wc -l) corpus inputs)"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]}"
  exit 1
fi
echo "fuzzing passed: ${targets[*]}"
