#!/usr/bin/env bash
# Long timelines with real processes: one note edited again and again with
# `gib mut8`, then synced to a fresh peer at 1,000 and at 10,000 frames,
# with frames that link only the previous frame and their own dna (ts-gib
# linkedRel8ns [past, dna], gibkit's default) and with frames whose past
# and dna list the whole history (ts-gib's default; `timelines:
# {linked_rel8ns: []}` in the deployment).
#
#   bash tools/bench/long_timeline.sh [FRAMES...]   (default 1000 10000; needs a Release build)
#   GIBKIT_BUILD_DIR=build-bench bash tools/bench/long_timeline.sh 1000
#
# For each kind, Alice (LevelDB) grows the timeline with one `gib mut8`
# process per edit (`gib fork --data` makes its first two frames); when it
# has FRAMES frames, a fresh Bob (gibd, LevelDB, websocket on loopback)
# receives it with `gib sync`, the whole process timed, start included.
# Reported per checkpoint: the median time of one `gib mut8` over the last
# 100 edits before it, the sync's time, records and bytes sent (gib sync's
# own count of message bytes), the size of the last frame, and Bob's store
# on disk. Accumulating timelines stop at 1,000 frames unless
# GIBKIT_ACCUMULATING_MAX says otherwise: their sync grows as n^2 (105 MB
# at 1,000 frames, ~10 GB at 10,000, above a receiver's max_staged_bytes).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/tools/bench/bench_lib.sh"
build=${GIBKIT_BUILD_DIR:-$repo/build}
case $build in /*) ;; *) build=$repo/$build ;; esac
checkpoints=("${@:-1000 10000}")
read -r -a checkpoints <<<"${checkpoints[*]}"
accumulating_max=${GIBKIT_ACCUMULATING_MAX:-1000}
bench_use_build "$build"

bench_workdir long-timeline

deployment() {  # NAME LISTEN TRUST LINKED
  bench_deployment "$1" "$2" "$3" "$(leveldb_main "$1/db")" "$work/secrets-$1"
  printf 'timelines:\n  linked_rel8ns: %s\n' "$4"
}

# run KIND LINKED_LIST: one timeline grown to the largest checkpoint.
run() {
  local kind=$1 linked=$2 dir=$work/$1
  mkdir -p "$dir"
  cd "$dir"
  mkdir -p "$work/secrets-alice-$kind"
  chmod 700 "$work/secrets-alice-$kind"
  deployment "alice-$kind" false bob-domain.json "$linked" >alice.yaml
  "$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
  local note frames=2 times=() checkpoint
  note=$("$gib" fork --config alice.yaml --ib "note bench" --data '{"text":"0"}')
  for checkpoint in "${checkpoints[@]}"; do
    if [ "$kind" = accumulating ] && [ "$checkpoint" -gt "$accumulating_max" ]; then continue; fi
    times=()
    while [ "$frames" -lt "$checkpoint" ]; do
      local start
      start=$(now_ms)
      note=$("$gib" mut8 --config alice.yaml "$note" --data "{\"text\":\"line $frames of the note\"}")
      times+=($(($(now_ms) - start)))
      frames=$((frames + 1))
    done
    local edit_ms frame_bytes
    local last=$((${#times[@]} > 100 ? ${#times[@]} - 100 : 0))
    edit_ms=$(printf '%s\n' "${times[@]:$last}" | median)
    frame_bytes=$("$gib" get --config alice.yaml "$note" | wc -c)

    # A fresh receiver for each checkpoint.
    local bob=bob-$kind-$checkpoint
    mkdir -p "$work/secrets-$bob"
    chmod 700 "$work/secrets-$bob"
    deployment "$bob" true alice-domain.json "$linked" >"$bob.yaml"
    local bob_domain
    bob_domain=$("$gib" keystone --config "$bob.yaml" export bob-domain.json)
    bench_start_gibd "$bob"
    local start sync_ms
    start=$(now_ms)
    "$gib" --log-level info sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note" \
      >"sync-$checkpoint.out" 2>"sync-$checkpoint.err"
    sync_ms=$(($(now_ms) - start))
    bench_stop_gibd
    local sent bytes store
    sent=$(sed -n 's/.*sync\.done.* sent=\([0-9]*\).*/\1/p' "sync-$checkpoint.err" | head -n 1)
    bytes=$(sed -n 's/.*sync\.done.* bytes_out=\([0-9]*\).*/\1/p' "sync-$checkpoint.err" | head -n 1)
    store=$(du -sb "$bob/db" | cut -f1)
    echo "$kind $checkpoint $edit_ms $sync_ms ${sent:-?} ${bytes:-?} $frame_bytes $store"
  done
  cd "$work"
}

printf '%-13s %7s %14s %9s %9s %14s %12s %12s\n' "timeline" "frames" "mut8 ms (p50)" "sync ms" "records" "bytes sent" "last frame" "Bob's store"
{
  run linked "[past, dna]"
  run accumulating "[]"
} | while read -r kind frames edit_ms sync_ms sent bytes frame_bytes store; do
  printf '%-13s %7s %14s %9s %9s %14s %12s %12s\n' "$kind" "$frames" "$edit_ms" "$sync_ms" "$sent" "$bytes" "$frame_bytes" "$store"
done
echo "(mut8: median of the last 100 edits before the checkpoint, whole process; sync: whole gib sync process to a fresh gibd)"
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores)"
