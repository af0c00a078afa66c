#!/usr/bin/env bash
# The everyday case, side by side in one run: a node that changed one record
# syncs it to a peer, against `git fetch` of one new small commit.
#
#   bash tools/bench/one_record_sync.sh [RUNS]        (default 5; needs build/)
#
# gibkit: Alice (LevelDB, websocket) runs `gib sync` against Bob's gibd on
# loopback after one `gib mut8`, for each signer (keystone, ed25519); the
# time is the whole `gib sync` process, start included. Bytes are what
# crossed the TCP connection, counted by a relay (tools/bench/tcp_count.py)
# in a second, untimed run of the same step. git: a bare repository served
# by `git daemon` on loopback; one new commit of one ~100-byte file per run,
# then `git fetch` into a clone; bytes counted by the same relay.
# Prints the median time and the bytes of each, and the ratios.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/tools/bench/bench_lib.sh"
build=${GIBKIT_BUILD_DIR:-$repo/build}
runs=${1:-5}
bench_use_build "$build"
count=$repo/tools/bench/tcp_count.py

bench_workdir one-record

# counted_bytes TARGET_PORT FILE COMMAND...: runs COMMAND with {PORT}
# replaced by the port of a relay in front of TARGET_PORT, and prints the
# bytes the relay moved both ways.
counted_bytes() {
  local target_port=$1 file=$2
  shift 2
  python3 "$count" 127.0.0.1 "$target_port" "$file" >"$file.port" &
  local relay_pid=$!
  pids+=("$relay_pid")
  wait_for "$file.port" "^[0-9]" 300
  local relay arg args=()
  relay=$(cat "$file.port")
  for arg in "$@"; do args+=("${arg//\{PORT\}/$relay}"); done
  "${args[@]}" >/dev/null 2>&1
  kill "$relay_pid" 2>/dev/null || true
  wait "$relay_pid" 2>/dev/null || true
  wait_for "$file" "bytes" 300
  sed -n 's/^bytes \([0-9]*\).*/\1/p' "$file"
}

deployment() {  # NAME SIGNER LISTEN TRUST
  bench_deployment "$1" "$3" "$4" "$(leveldb_main "$1/db")" "$work/$2-$1/secrets" "$2"
}

gibkit_run() {  # SIGNER
  local signer=$1 dir=$work/$1
  mkdir -p "$dir" "$work/$signer-alice/secrets" "$work/$signer-bob/secrets"
  chmod 700 "$work/$signer-alice/secrets" "$work/$signer-bob/secrets"
  cd "$dir"
  deployment alice "$signer" false bob-domain.json >alice.yaml
  deployment bob "$signer" true alice-domain.json >bob.yaml
  "$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
  local bob_domain
  bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
  local note
  note=$("$gib" fork --config alice.yaml --ib "note bench" --data '{"text":"0"}')
  bench_start_gibd bob
  local port=${url##*:}
  # First sync: the whole timeline; not measured.
  "$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note" >/dev/null 2>&1
  local times=() i
  for ((i = 1; i <= runs; i++)); do
    note=$("$gib" mut8 --config alice.yaml "$note" --data "{\"text\":\"$i\"}")
    local start
    start=$(now_ms)
    "$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note" >/dev/null 2>&1
    times+=($(($(now_ms) - start)))
  done
  # Bytes of one more such sync, through the relay.
  note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"counted"}')
  local bytes
  bytes=$(counted_bytes "$port" "$dir/bytes" \
    "$gib" sync --config alice.yaml --peer "ws://127.0.0.1:{PORT}" --peer-domain "$bob_domain" "$note")
  echo "$signer $(printf '%s\n' "${times[@]}" | median) $bytes"
  bench_stop_gibd
  cd "$work"
}

git_run() {
  local dir=$work/git
  mkdir -p "$dir"
  git init -q --bare --initial-branch=main "$dir/src.git"
  git clone -q "$dir/src.git" "$dir/writer" 2>/dev/null
  git -C "$dir/writer" -c user.name=b -c user.email=b@localhost commit -q --allow-empty -m init
  git -C "$dir/writer" push -q origin HEAD:main
  local port=$((20000 + RANDOM % 20000))
  git daemon --reuseaddr --base-path="$dir" --export-all --listen=127.0.0.1 --port="$port" "$dir" >"$dir/daemon.out" 2>&1 &
  pids+=($!)
  local tries=0
  until git ls-remote "git://127.0.0.1:$port/src.git" >/dev/null 2>&1; do
    tries=$((tries + 1)); [ "$tries" -lt 100 ] || { echo "git daemon did not start" >&2; exit 1; }; sleep 0.05
  done
  git clone -q "git://127.0.0.1:$port/src.git" "$dir/reader"
  local times=() i
  commit_one() {
    head -c 100 /dev/urandom | base64 >"$dir/writer/note.txt"
    git -C "$dir/writer" add note.txt
    git -C "$dir/writer" -c user.name=b -c user.email=b@localhost commit -q -m "edit $1"
    git -C "$dir/writer" push -q origin HEAD:main
  }
  for ((i = 1; i <= runs; i++)); do
    commit_one "$i"
    local start
    start=$(now_ms)
    git -C "$dir/reader" fetch -q origin
    times+=($(($(now_ms) - start)))
  done
  commit_one counted
  local bytes
  bytes=$(counted_bytes "$port" "$dir/bytes" git -C "$dir/reader" fetch -q "git://127.0.0.1:{PORT}/src.git" main)
  echo "git $(printf '%s\n' "${times[@]}" | median) $bytes"
}

results=$( {
  gibkit_run signer-keystone
  gibkit_run signer-ed25519
  git_run
} )
git_ms=$(awk '$1 == "git" {print $2}' <<<"$results")
git_bytes=$(awk '$1 == "git" {print $3}' <<<"$results")
printf '%-16s %10s %12s %12s %12s\n' "one-record sync" "median ms" "bytes" "time/git" "bytes/git"
while read -r name ms bytes; do
  printf '%-16s %10s %12s %12s %12s\n' "$name" "$ms" "$bytes" \
    "$(awk -v a="$ms" -v b="$git_ms" 'BEGIN {printf "%.2fx", a / (b > 0 ? b : 1)}')" \
    "$(awk -v a="$bytes" -v b="$git_bytes" 'BEGIN {printf "%.1fx", a / (b > 0 ? b : 1)}')"
done <<<"$results"
echo "($runs runs each; time: median of the whole client process; bytes: both directions of the TCP connection)"
