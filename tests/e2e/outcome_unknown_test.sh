#!/usr/bin/env bash
# Honest outcomes and parallel peers, through real processes (issue #10):
#  1. The connection drops after the receiver committed but before its
#     answer arrives (a relay written with the npm `ws` package cuts it):
#     `gib sync` must say the outcome is unknown (exit 3), and the next sync
#     with that peer must report that the peer had committed it.
#  2. Two senders sync into one gibd at the same time, each a few hundred
#     records: both succeed and the receiver holds both graphs.
#
# usage: outcome_unknown_test.sh GIB GIBD PLUGIN_DIR NODE NODE_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 node=$4 node_dir=$5
script_dir=$(cd "$(dirname "$0")" && pwd)

source "$script_dir/lib.sh"  # e2e_workdir, deployment, start_gibd, wait_for_line, ws_endpoint
e2e_workdir outcome

fail() { echo "FAIL: $*" >&2; echo "--- bob.out" >&2; tail -n 30 bob.out >&2; exit 1; }

deployment alice false >alice.yaml
deployment carol false >carol.yaml
deployment bob true >bob.yaml
"$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
"$gib" keystone --config carol.yaml export carol-domain.json >/dev/null
bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
echo "  trust: [alice-domain.json, carol-domain.json]" >>bob.yaml
echo "  trust: [bob-domain.json]" >>alice.yaml
echo "  trust: [bob-domain.json]" >>carol.yaml

note=$("$gib" fork --config alice.yaml --ib "note outcome" --data '{"text":"one"}')

start_gibd bob
url=$(ws_endpoint bob.out)

# --- 1. Cut after the Commit was answered ---------------------------------
"$node" "$node_dir/cut_after_commit.js" "$url" >relay.out 2>&1 &
relay=$!
pids+=($relay)
wait_for_line relay.out '"port"' "$relay"
relay_url="ws://127.0.0.1:$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' relay.out)"
if "$gib" sync --config alice.yaml --peer "$relay_url" --peer-domain "$bob_domain" "$note" >cut.out 2>cut.err; then
  fail "the sync through the cut link succeeded"
else
  status=$?
fi
[ "$status" -eq 3 ] || fail "exit $status, expected 3"
grep -q '"event":"cut"' relay.out || fail "the relay never cut: $(cat relay.out)"
grep -q "outcome unknown" cut.err || { cat cut.err >&2; fail "the error does not say the outcome is unknown"; }
grep -q "event=saga.committed" bob.out || fail "bob did not commit the cut saga"
cut_saga=$(sed -n 's/.*event=saga.committed saga=\([0-9a-f]*\).*/\1/p' bob.out | head -n 1)
"$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note" >after.out 2>after.err ||
  { cat after.err >&2; fail "the sync after the cut failed"; }
grep -q "previous saga $cut_saga (outcome was unknown): the peer had committed it" after.out ||
  { cat after.out >&2; fail "the next sync did not report that bob had committed $cut_saga"; }
echo "case 1: cut after commit reported as unknown, then as committed by the next sync"

# --- 2. Two peers at once -------------------------------------------------
alice_tag=$(stone_set alice.yaml alice 150)
carol_tag=$(stone_set carol.yaml carol 150)
"$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$alice_tag" >alice-sync.out 2>&1 &
a=$!
"$gib" sync --config carol.yaml --peer "$url" --peer-domain "$bob_domain" "$carol_tag" >carol-sync.out 2>&1 &
c=$!
wait "$a" || { cat alice-sync.out >&2; fail "alice's sync failed"; }
wait "$c" || { cat carol-sync.out >&2; fail "carol's sync failed"; }
grep -q "records: 15[0-9] sent" alice-sync.out || { cat alice-sync.out >&2; fail "alice sent too little"; }
grep -q "records: 15[0-9] sent" carol-sync.out || { cat carol-sync.out >&2; fail "carol sent too little"; }

kill -TERM "${pids[0]}"; wait "${pids[0]}"; pids=()
for pair in "alice $alice_tag" "carol $carol_tag"; do
  set -- $pair
  [ "$("$gib" log --config "$1.yaml" "$2")" = "$("$gib" log --config bob.yaml "$2")" ] || fail "bob's log of $1's tag differs"
done
[ "$("$gib" fsck --config bob.yaml >/dev/null 2>&1; echo $?)" = "0" ] || fail "gib fsck found problems at bob"
echo "case 2: two peers synced at once; bob holds both graphs and fsck is clean"
