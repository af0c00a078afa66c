#!/usr/bin/env bash
# The main git baseline for sync speed (issue #11): `git fetch` over git://
# from a `git daemon` on loopback, into an empty repository, of N blobs of
# about 1.3 KiB of *random* content each (base64 of /dev/urandom bytes), so
# no delta is possible and zlib gains only base64's 25 %: like N distinct
# records. (tools/bench/git_fetch_baseline.sh is git's best case: blobs that
# differ in a counter.) The blobs sit in directories of 1,000 (one tree
# each) under r/, the root tree and one commit, written with `git fast-import`.
#
#   bash tools/bench/git_fetch_random_baseline.sh [--one RUNS] [N...]
#        (default N: 1000 10000 100000; --one 0 skips the one-commit case)
#
# Prints, for each N, one line
#   random N=<n> objects=<objects> ms=<fetch ms> objects_per_s=<rate>
# where the time is the whole `git fetch` process (the daemon forks
# upload-pack, which builds the pack; the client indexes it). Then the
# everyday case: one new commit of one ~1.3 KiB random file pushed to the
# served repository, fetched by a clone that has all earlier commits,
# process start included, RUNS times (default 5):
#   one-commit runs=<runs> median_ms=<ms> times=<t1,t2,...>
set -euo pipefail

one_runs=5
if [ "${1:-}" = "--one" ]; then one_runs=$2; shift 2; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-git-random.XXXXXX")
daemon=""
cleanup() {
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

# fast_import_stream N: N random blobs in directories of 1,000, one commit.
fast_import_stream() {
  python3 - "$1" <<'PY'
import base64, os, sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(1, n + 1):
    body = base64.b64encode(os.urandom(975)) + b"\n"  # 1,301 bytes
    out.write(b"blob\nmark :%d\ndata %d\n" % (i, len(body)) + body + b"\n")
out.write(b"commit refs/heads/main\ncommitter bench <bench@localhost> 0 +0000\ndata 6\nbench\n")
for i in range(1, n + 1):
    out.write(b"M 100644 :%d r/%d/%d\n" % (i, (i - 1) // 1000, i))
out.write(b"\n")
PY
}

port=$((20000 + RANDOM % 20000))
git daemon --reuseaddr --base-path="$work" --export-all --listen=127.0.0.1 --port="$port" \
  "$work" >"$work/daemon.out" 2>&1 &
daemon=$!
tries=0
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  tries=$((tries + 1)); [ "$tries" -lt 200 ] || { echo "git daemon did not start" >&2; cat "$work/daemon.out" >&2; exit 1; }
  sleep 0.05
done

for n in "${sizes[@]}"; do
  src=$work/src-$n.git
  git init -q --bare "$src"
  fast_import_stream "$n" | git -C "$src" fast-import --quiet
  git init -q "$work/dst-$n"
  objects=$(( n + (n + 999) / 1000 + 3 ))  # blobs, their trees, r/, the root tree, the commit
  start=$(now_ms)
  git -C "$work/dst-$n" fetch -q "git://127.0.0.1:$port/src-$n.git" main
  elapsed=$(($(now_ms) - start))
  got=$(git -C "$work/dst-$n" count-objects -v | awk '$1 == "in-pack:" {print $2}')
  [ "$got" -eq "$objects" ] || echo "warning: fetched $got objects, expected $objects" >&2
  echo "random N=$n objects=$objects ms=$elapsed objects_per_s=$((objects * 1000 / (elapsed > 0 ? elapsed : 1)))"
  rm -rf "$src" "$work/dst-$n"
done

[ "$one_runs" -gt 0 ] || exit 0

# The everyday case: a clone that is up to date fetches one new small commit.
src=$work/one.git
git init -q --bare --initial-branch=main "$src"
git clone -q "$src" "$work/writer" 2>/dev/null
commit_one() {
  head -c 975 /dev/urandom | base64 -w0 >"$work/writer/note.txt"
  git -C "$work/writer" add note.txt
  git -C "$work/writer" -c user.name=b -c user.email=b@localhost commit -q -m "edit $1"
  git -C "$work/writer" push -q origin HEAD:main
}
commit_one 0
git clone -q "git://127.0.0.1:$port/one.git" "$work/reader"
times=()
for ((i = 1; i <= one_runs; i++)); do
  commit_one "$i"
  start=$(now_ms)
  git -C "$work/reader" fetch -q origin
  times+=($(($(now_ms) - start)))
done
echo "one-commit runs=$one_runs median_ms=$(printf '%s\n' "${times[@]}" | median) times=$(IFS=,; echo "${times[*]}")"
