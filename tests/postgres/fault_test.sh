#!/usr/bin/env bash
# The database goes away under a running gibd (issue #13), real processes:
#
#  1. Mid-sync: alice's sync is acknowledged and its Commit held by a relay
#     (hold_commit.js); the server is stopped as a crash (pg_ctl -m
#     immediate); the Commit goes on. The sync fails with an error naming the
#     database (as "outcome unknown": an error answering a Commit is not
#     signed, so the sender cannot take its word), gibd stays up and logs the
#     rejected saga, and nothing of the saga is stored (one transaction that
#     never committed).
#  2. While the server is down: a new sync fails at once, naming the server
#     and libpq's reason, and gibd still stays up; a gibd started now exits
#     non-zero, saying why.
#  3. The server comes back (crash recovery): the retry succeeds on its first
#     attempt (the pool drops the connections the server closed) and learns
#     that the crashed saga was not committed; the store holds alice's
#     graph, fsck clean.
#  4. A clean stop (-m fast) between two syncs and a start: the next sync
#     succeeds on its first attempt too.
#
# The test runs its own cluster (pg_cluster.sh, in a directory of its own),
# since it stops the server: the shared fixture cluster serves other tests.
#
# usage: fault_test.sh GIB GIBD PLUGIN_DIR NODE NODE_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 node=$4 node_dir=$5
script_dir=$(cd "$(dirname "$0")" && pwd)
cluster="bash $script_dir/pg_cluster.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-pg-fault.XXXXXX")
# Short and under /tmp: the socket lives there, and the server's user must reach it.
pg_dir=$(mktemp -d /tmp/gibkit-pgf.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  $cluster stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
$cluster start "$pg_dir" >/dev/null
export PGHOST=$pg_dir
cd "$work"
source "$script_dir/../e2e/lib.sh"  # deployment, wait_for_line, ws_endpoint, stone_set
source "$script_dir/pg_lib.sh"      # pg_deployment, count_line

fail() { echo "FAIL: $*" >&2; echo "--- n1.out" >&2; tail -n 30 n1.out >&2; exit 1; }
alive() { kill -0 "${pids[0]}" 2>/dev/null || fail "gibd exited"; }

deployment alice false >alice.yaml
pg_deployment n1 "" fault true >n1.yaml
tag=$(stone_set alice.yaml alice 300)
n1_domain=$("$gib" keystone --config n1.yaml export n1-domain.json)
"$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
echo "  trust: [n1-domain.json]" >>alice.yaml
echo "  trust: [alice-domain.json]" >>n1.yaml

"$gibd" --config n1.yaml >n1.out 2>&1 &
pids+=($!)
wait_for_line n1.out "running" "${pids[0]}"
url=$(ws_endpoint n1.out)
sync_alice() { "$gib" sync --config alice.yaml --peer "$1" --peer-domain "$n1_domain" "$tag" >"$2" 2>&1; }

# --- 1. the server crashes while a Commit is on its way ---------------------
NODE_PATH="$node_dir/node_modules" "$node" "$script_dir/hold_commit.js" "$url" >relay.out 2>&1 &
relay=$!
pids+=($relay)
wait_for_line relay.out '"port"' "$relay"
sync_alice "ws://127.0.0.1:$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' relay.out)" crash.out &
crash_sync=$!
wait_for_line relay.out '"holding"' "$crash_sync"
$cluster halt "$pg_dir" immediate >/dev/null
kill -USR1 "$relay"
status=0
wait "$crash_sync" || status=$?
[ "$status" = 3 ] || { cat crash.out >&2; fail "the sync during the crash exited $status, expected 3"; }
grep -q "space-postgres: .*PostgreSQL host=$pg_dir" crash.out ||
  { cat crash.out >&2; fail "the failed sync does not name the database"; }
grep -q "event=saga.rejected.*code=unavailable" n1.out || fail "gibd did not log the saga as unavailable"
alive
echo "case 1: the server crashed at the Commit; the sync failed naming it; gibd is up:"
grep -m 1 "space-postgres" crash.out | cut -c1-400

# --- 2. a sync while the server is down -------------------------------------
status=0
sync_alice "$url" down.out || status=$?
[ "$status" = 3 ] || { cat down.out >&2; fail "the sync with the server down exited $status, expected 3"; }
grep -q "cannot connect to PostgreSQL host=$pg_dir" down.out ||
  { cat down.out >&2; fail "the sync with the server down does not say it cannot connect"; }
alive
# A gibd that starts now cannot open its store: it exits, saying why.
pg_deployment n2 "" fault2 true >n2.yaml
status=0
"$gibd" --config n2.yaml >n2.out 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "a gibd started with the server down exited 0"
grep -q "cannot connect to PostgreSQL host=$pg_dir" n2.out || { cat n2.out >&2; fail "gibd's start-up error does not name the server"; }
echo "case 2: with the server down a sync fails at once and a new gibd exits, naming it; gibd is up:"
grep -m 1 "cannot connect" down.out | cut -c1-400

# --- 3. back: nothing half-committed, and the retry succeeds ----------------
$cluster resume "$pg_dir" >/dev/null
ls_out=$("$gib" ls --config n1.yaml)  # through the running gibd (local API)
[ "$(count_line "$ls_out" stones)" = 0 ] && [ "$(count_line "$ls_out" timelines)" = 0 ] ||
  { echo "$ls_out" >&2; fail "records or heads of the crashed saga are stored"; }
sync_alice "$url" retry.out || { cat retry.out >&2; fail "the retry after the restart failed"; }
grep -q "records: 30[0-9] sent" retry.out || { cat retry.out >&2; fail "the retry sent too little"; }
grep -q "previous saga .*(outcome was unknown): the peer had not committed it" retry.out ||
  { cat retry.out >&2; fail "the retry did not learn that the crashed saga was not committed"; }
alive
echo "case 3: nothing of the crashed saga was stored; the first retry after the restart succeeded"

# --- 4. a clean stop and start between syncs --------------------------------
$cluster halt "$pg_dir" fast >/dev/null
$cluster resume "$pg_dir" >/dev/null
"$gib" mut8 --config alice.yaml "$tag" --data '{"after":"restart"}' >/dev/null
sync_alice "$url" after.out || { cat after.out >&2; fail "the first sync after a clean restart failed"; }
grep -q "sent  *tag alice" after.out || { cat after.out >&2; fail "the sync after the restart did not send the tag"; }
alive
echo "case 4: the first sync after a clean restart succeeded"

kill -TERM "${pids[0]}"; wait "${pids[0]}"; pids=()
[ "$("$gib" log --config alice.yaml "$tag")" = "$("$gib" log --config n1.yaml "$tag")" ] || fail "n1's log of the tag differs"
fsck_out=$("$gib" fsck --config n1.yaml 2>&1) || { echo "$fsck_out" >&2; fail "gib fsck found problems"; }
[ "$(count_line "$("$gib" ls --config n1.yaml)" stones)" = 300 ] || fail "n1 does not hold the 300 stones"
echo "store: alice's graph, fsck clean"
