#!/usr/bin/env bash
# A saga broken by the receiver's death resumes after its restart (issue
# #11, "Resume"): bob, a single gibd on LevelDB with `sync.shared_staging:
# main` (space-leveldb keeps sagas' staging in its own DB, docs/protocol.md
# "Resume across nodes"), is killed (kill -9) half-way through a sync of
# 10,000 stones and started again on the same directory; alice's next
# `gib sync` says it resumed and sends less than 55 % of the records, and
# bob then holds exactly alice's graph. Real processes on loopback; the cut
# is made by tests/e2e/node/cut_at_records.js (a ws relay) in its "one more"
# mode: it lets one Delta past the threshold reach bob and keeps its answer
# from alice, so that bob has settled (checked and staged) every Delta
# alice saw acknowledged before he dies. No fixed sleeps.
#
# usage: resume_after_restart_test.sh GIB GIBD PLUGIN_DIR NODE NODE_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 node=$4 node_dir=$5
script_dir=$(cd "$(dirname "$0")" && pwd)
source "$script_dir/lib.sh"
e2e_workdir resume-restart

fail() { fail_showing "$*" bob.out relay.out cut.out resume.out; }
tags=20
per_tag=500

deployment alice false >alice.yaml
echo "  max_message_bytes: 65536" >>alice.yaml  # ~450 stones a Delta: the cut lands mid-saga
deployment bob true >bob.yaml
echo "  shared_staging: main" >>bob.yaml
bob_domain=$(pair_trust alice bob)
small=$(stone_set alice.yaml small 10)
big=()
for ((t = 0; t < tags; t++)); do big+=("$(stone_set alice.yaml "big$t" "$per_tag")"); done

start_gibd bob
bob_pid=${pids[-1]}
sync_to() {  # sync_to OUT URL ADDRESS...
  local out=$1 peer=$2
  shift 2
  "$gib" sync --config alice.yaml --peer "$peer" --peer-domain "$bob_domain" "$@" >"$out" 2>&1
}
sent_of() { sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "$1"; }
# What a tag of N stones costs besides its stones, from a small set: the big
# sync's size is then known exactly.
sync_to small.out "$(ws_endpoint bob.out)" "$small" || { cat small.out >&2; fail "the small sync failed"; }
total=$((tags * (per_tag + $(sent_of small.out) - 10)))

# --- the cut: bob dies half-way -------------------------------------------
NODE_PATH="$node_dir/node_modules" "$node" "$node_dir/cut_at_records.js" "$(ws_endpoint bob.out)" \
  $((total / 2)) one-more >relay.out 2>&1 &
relay=$!
pids+=($relay)
wait_for_line relay.out '"port"' "$relay"
sync_to cut.out "ws://127.0.0.1:$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' relay.out)" "${big[@]}" &
sync=$!
wait_for_line relay.out '"cut"' "$sync" || fail "the relay did not cut"
acknowledged=$(sed -n 's/.*"event":"cut","records":\([0-9]*\).*/\1/p' relay.out)
kill -KILL "$bob_pid"
wait "$bob_pid" 2>/dev/null || true
status=0
wait "$sync" || status=$?
[ "$status" != 0 ] || fail "the sync survived bob's death"
kill -TERM "$relay" 2>/dev/null || true
[ "$acknowledged" -lt "$total" ] || fail "the relay let the whole sync through"
echo "cut: bob killed after acknowledging $acknowledged of $total records"

# --- bob comes back; alice syncs again --------------------------------------
start_gibd bob
sync_to resume.out "$(ws_endpoint bob.out)" "${big[@]}" || fail "the sync after bob's restart failed"
grep -qi "resum" resume.out || fail "gib sync does not say it resumed"
sent=$(sent_of resume.out)
[ -n "$sent" ] && [ $((sent * 100)) -lt $((total * 55)) ] || fail "the resumed sync sent $sent of $total records"
grep -q "event=saga.committed .* records=$total records_in=$sent " bob.out ||
  fail "bob did not commit $total records of which $sent came over the wire"

# bob holds alice's graph: every tag at alice's head, and its closure.
for tag in "${big[@]}"; do
  want=$("$gib" log --config alice.yaml "$tag")
  got=$("$gib" log --config bob.yaml "$tag" 2>&1) || fail "bob lacks $tag: $got"
  [ "$got" = "$want" ] || fail "bob's log of $tag differs from alice's"
done
fsck_out=$("$gib" fsck --config bob.yaml 2>&1) || { echo "$fsck_out" >&2; fail "gib fsck found problems in bob"; }
echo "resumed after bob's restart: alice sent $sent of $total records; logs equal, fsck clean"
