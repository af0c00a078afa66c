#!/usr/bin/env bash
# Baseline for saga_bench's websocket figure: `git fetch` of N small objects
# (about 1 KiB each, like the benchmark's records) over the git protocol from
# a `git daemon` on loopback, into an empty repository.
#
#   bash tools/bench/git_fetch_baseline.sh [N...]      (default: 1000 10000 100000)
#
# Prints objects fetched per second for each N. Git sends one packfile after
# one negotiation round, compressing objects (zlib) and deltifying similar
# ones; the objects here differ in a counter, so deltas are small: git's best
# case, as content-addressed sync goes.
set -euo pipefail

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-git-bench.XXXXXX")
daemon=""
cleanup() {
  # The daemon dies of our TERM (143); that is not the script's outcome.
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# One repository with n blobs, one tree listing them and one commit.
make_repo() {
  local n=$1 repo=$2 pad
  pad=$(printf '%*s' 1000 '' | tr ' ' 'x')
  git init -q --bare "$repo"
  {
    for ((i = 1; i <= n; i++)); do
      local body="record $i $pad"
      printf 'blob\nmark :%d\ndata %d\n%s\n' "$i" "${#body}" "$body"
    done
    printf 'commit refs/heads/main\ncommitter bench <bench@localhost> 0 +0000\ndata 6\nbench\n'
    for ((i = 1; i <= n; i++)); do printf 'M 100644 :%d r/%d\n' "$i" "$i"; done
  } | git -C "$repo" fast-import --quiet
}

port=$((20000 + RANDOM % 20000))
git daemon --reuseaddr --base-path="$work" --export-all --listen=127.0.0.1 --port="$port" "$work" &
daemon=$!
sleep 0.5

for n in "${@:-1000 10000 100000}"; do
  for count in $n; do
    make_repo "$count" "$work/src-$count.git"
    git init -q "$work/dst-$count"
    start=$(now_ms)
    git -C "$work/dst-$count" fetch -q "git://127.0.0.1:$port/src-$count.git" main
    elapsed=$(($(now_ms) - start))
    objects=$((count + 2))
    echo "git fetch over git://: $objects objects in ${elapsed} ms = $((objects * 1000 / (elapsed > 0 ? elapsed : 1))) objects/s"
  done
done
