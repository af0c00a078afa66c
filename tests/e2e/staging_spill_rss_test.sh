#!/usr/bin/env bash
# Memory independent of sync size (issue #11): a `gibd` receiver whose
# staging spills to a LevelDB temporary space past
# sync.staging_spill_threshold_bytes (8 MiB) receives a sync of ~64 MiB
# (random, incompressible records of 64 KiB) from `gib sync`. What is staged
# stays under the threshold in memory, and the commit writes small batches,
# never the whole set. Over the idle baseline (after one small sync):
#
#  - gibd's peak RSS (VmHWM, /proc) grows by at most kRssBoundMiB. VmHWM
#    counts file pages too; space-leveldb reads its table files with pread
#    (plugins/space-leveldb/pread_env.h), so they no longer count, where
#    mapped they grew with the data (docs/performance.md, "Staging spill").
#    Without the spill the same sync peaks at ~360 MiB over the baseline.
#  - its anonymous memory (RssAnon, sampled every 50 ms: the kernel keeps
#    no peak of it, so a shorter spike can escape) grows by at most
#    kAnonBoundMiB, which does not depend on the sync's size.
#
# usage: staging_spill_rss_test.sh GIB GIBD PLUGIN_DIR NODE
# Environment (for measuring, not needed by ctest):
#   SPILL_RSS_RECORDS=N    sync N records of 64 KiB (default 1024: 64 MiB;
#                          over ~4000 needs SPILL_RSS_MAX_STAGED_MIB)
#   SPILL_RSS_MAX_STAGED_MIB=M  gibd's sync.max_staged_bytes_per_saga and
#                          max_staged_bytes (defaults 256 MiB and 1 GiB)
#   SPILL_RSS_MESSAGE_MIB=M  the sender's max_message_bytes (default 1; the
#                          tag of 16384 records needs 2)
#   SPILL_RSS_NO_SPILL=1   the same sync without a spill space (no bound
#                          asserted; prints the figure for comparison)
#   SPILL_RSS_KEEP=1       keep the work directory
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 node=$4

# Records synced: this many stones of kRecordKiB (~64 MiB in all).
records=${SPILL_RSS_RECORDS:-1024}
kRecordKiB=64
threshold_mib=8
# The sender's Delta messages (sync.max_message_bytes): each is held a few
# times over while it is decoded and staged, two at once with pipelining.
message_mib=${SPILL_RSS_MESSAGE_MIB:-1}
# What gibd's anonymous memory may grow by: the memory tier of staging
# (threshold_mib), the Delta messages in flight with their decoded records,
# a commit batch (2 MiB) with its copies, LevelDB's memtables and its one
# 8 MiB block cache (filled now that table files are read, not mapped), the
# allocator's slack (freed block buffers in glibc's per-thread arenas).
# Measured: 54-58 MiB.
kAnonBoundMiB=80
# What its peak RSS may grow by: that, plus the few file pages of code and
# libraries a sync first touches. Measured: 54-58 MiB (123 when mapped).
kRssBoundMiB=96

script_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-spill.XXXXXX")
gibd_pid=
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    {
      echo "=== FAILED (exit $rc)"
      echo "--- rss:"; cat "$work/rss.txt" 2>/dev/null || true
      echo "--- bob.out (last 30 lines):"; tail -n 30 "$work/bob.out" 2>/dev/null || true
      for f in "$work"/sync-*.err; do [ -f "$f" ] && { echo "--- $f:"; tail -n 10 "$f"; }; done
    } >&2
  fi
  [ -n "$gibd_pid" ] && { kill -TERM "$gibd_pid" 2>/dev/null || true; wait "$gibd_pid" 2>/dev/null || true; }
  if [ -n "${SPILL_RSS_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
cd "$work"
source "$script_dir/lib.sh"  # fail, start_gibd, ws_endpoint, stone_set, status_kb, mib, yaml_*

# deployment NAME LISTEN SPILL: LevelDB durable, memory staging and, when
# SPILL is "spill", a LevelDB temporary space that staging spills to.
deployment() {
  yaml_node "$1"
  yaml_leveldb_main "$1/db"
  cat <<YAML
  - name: staging
    plugin: space-memory
    role: temporary
YAML
  if [ "$3" = spill ]; then
    cat <<YAML
  - name: spill
    plugin: space-leveldb
    role: temporary
    config:
      path: $1/spill
YAML
  fi
  cat <<YAML
signers:
  - name: keys
    plugin: signer-keystone
    config:
      secrets_dir: $work/$1/secrets
transports:
  - name: ws
    plugin: transport-websocket
    listen: $2
sync:
  staging: staging
YAML
  if [ "$3" = spill ]; then
    echo "  staging_spill: spill"
    echo "  staging_spill_threshold_bytes: $((threshold_mib * 1024 * 1024))"
  fi
}

spill=spill
[ -n "${SPILL_RSS_NO_SPILL:-}" ] && spill=none
deployment alice false none >alice.yaml
echo "  max_message_bytes: $((message_mib * 1024 * 1024))" >>alice.yaml
deployment bob true "$spill" >bob.yaml
if [ -n "${SPILL_RSS_MAX_STAGED_MIB:-}" ]; then
  echo "  max_staged_bytes_per_saga: $((SPILL_RSS_MAX_STAGED_MIB * 1024 * 1024))" >>bob.yaml
  echo "  max_staged_bytes: $((SPILL_RSS_MAX_STAGED_MIB * 1024 * 1024))" >>bob.yaml
fi
"$gibd" validate bob.yaml >validate.out 2>&1 || fail "gibd validate: $(cat validate.out)"

# The big set: random bytes as base64, so no layer can compress them away.
# Written a line at a time: a 1 GiB set is longer than a V8 string may be.
"$node" -e '
  const crypto = require("crypto"), fs = require("fs");
  const [count, kib] = [Number(process.argv[1]), Number(process.argv[2])];
  const out = fs.openSync("big.in", "w");
  for (let i = 0; i < count; i++) {
    const text = crypto.randomBytes(kib * 768).toString("base64");
    fs.writeSync(out, JSON.stringify({ib: "blob " + i, gib: "", data: {i, text}}) + "\n");
  }
  fs.closeSync(out);' "$records" "$kRecordKiB"
"$gib" hash <big.in >big.gib
# Each record with its gib (line i of big.gib; hex, base64 has no tab).
paste big.gib big.in | awk -F '\t' '{ sub(/"gib":""/, "\"gib\":\"" $1 "\"", $2); print $2 }' >big.jsonl
"$gib" put --config alice.yaml --all-or-nothing big.jsonl >/dev/null 2>big.put || fail "gib put: $(cat big.put)"
big=$("$gib" fork --config alice.yaml --ib "tag big")
args=()
i=0
while read -r gib_; do args+=(--rel8n "target=blob $i^$gib_"); i=$((i + 1)); done <big.gib
big=$("$gib" rel8 --config alice.yaml "$big" "${args[@]}")
small=$(stone_set alice.yaml small 20)
echo "synced set: $(( $(wc -c <big.jsonl) / 1024 / 1024 )) MiB in $records records"

bob_domain=$(pair_trust alice bob)

start_gibd bob
gibd_pid=${pids[-1]}
url=$(ws_endpoint bob.out)
[ -n "$url" ] || fail "no endpoint in: $(cat bob.out)"
echo "  peers: {\"$url\": \"$bob_domain\"}" >>alice.yaml

sync_set() {
  "$gib" sync --config alice.yaml --peer "$url" "$2" >"sync-$1.out" 2>"sync-$1.err" ||
    fail "sync '$1' failed: $(tail -n 3 "sync-$1.err")"
  grep '^records:' "sync-$1.out"
}

# Baseline: the idle gibd after one small sync (sessions, plugins, threads).
sync_set small "$small" >/dev/null
baseline=$(status_kb "$gibd_pid" VmHWM)
baseline_anon=$(status_kb "$gibd_pid" RssAnon)
echo "baseline: VmHWM $(mib "$baseline") MiB, RssAnon $(mib "$baseline_anon") MiB" | tee -a rss.txt

# RssAnon every 50 ms while the big sync runs; the largest sample wins.
( peak_anon=0
  while kill -0 "$gibd_pid" 2>/dev/null && [ ! -e sampling.stop ]; do
    anon=$(status_kb "$gibd_pid" RssAnon) || break
    [ "${anon:-0}" -gt "$peak_anon" ] && { peak_anon=$anon; echo "$peak_anon" >anon.peak; }
    sleep 0.05
  done ) &
sampler=$!
started_ns=$(date +%s%N)
sync_set big "$big" | tee -a rss.txt
echo "big sync wall time: $(( ($(date +%s%N) - started_ns) / 1000000 )) ms" | tee -a rss.txt
touch sampling.stop; wait "$sampler" || true
peak_anon=$(cat anon.peak)
sent=$(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' sync-big.out)
[ "$sent" -gt "$records" ] || fail "the big sync sent $sent records, expected more than $records"
peak=$(status_kb "$gibd_pid" VmHWM)
echo "big sync (spill: $spill, threshold $threshold_mib MiB, messages $message_mib MiB): VmHWM $(mib "$peak") MiB, $(mib $((peak - baseline))) MiB over the baseline (bound $kRssBoundMiB); RssAnon sampled peak $(mib "$peak_anon") MiB, $(mib $((peak_anon - baseline_anon))) MiB over the baseline (bound $kAnonBoundMiB)" |
  tee -a rss.txt
# Committed: the last blob is durable at Bob (gib get on Bob's stopped store below).
kill -TERM "$gibd_pid"; wait "$gibd_pid" 2>/dev/null || true; gibd_pid=
"$gib" get --config bob.yaml "blob $((records - 1))^$(tail -n 1 big.gib)" >/dev/null ||
  fail "bob does not hold the last record after the sync"
if [ "$spill" = spill ]; then
  [ $((peak - baseline)) -le $((kRssBoundMiB * 1024)) ] ||
    fail "gibd's peak RSS grew $(mib $((peak - baseline))) MiB in the sync, over $kRssBoundMiB MiB"
  [ $((peak_anon - baseline_anon)) -le $((kAnonBoundMiB * 1024)) ] ||
    fail "gibd's anonymous memory grew $(mib $((peak_anon - baseline_anon))) MiB in the sync, over $kAnonBoundMiB MiB"
fi
echo "PASS"
