#!/usr/bin/env bash
# A node restored from a backup of its store (issue #10), through the real
# binaries: Alice syncs with Bob (gibd; LevelDB, keystone with secrets on
# disk, websocket) several times; her store was copied aside after the
# first sync. With the old store back (secrets_dir untouched) her next sync
# fails: her domain identity is behind what her signer made and what Bob
# holds. `gib keystone frames` on Bob and `gib keystone recover` on Alice
# bring her forward, and the next sync succeeds.
# Then the impossible case: her secrets_dir restored from the same backup
# too, recover refuses to let her sign, saying why.
#
# usage: restored_node_recovery_test.sh GIB GIBD PLUGIN_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3

script_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-recover.XXXXXX")
bob_pid=
cleanup() {
  if [ -n "$bob_pid" ]; then kill -TERM "$bob_pid" 2>/dev/null || true; wait "$bob_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
source "$script_dir/../e2e/lib.sh"  # deployment, wait_for_line, ws_endpoint

fail() { echo "FAIL: $*" >&2; exit 1; }

deployment alice false >alice.yaml
echo "  endorsement_history: 16" >>alice.yaml
deployment bob true >bob.yaml
echo "  endorsement_history: 16" >>bob.yaml
alice_domain=$("$gib" keystone --config alice.yaml export alice-domain.json)
bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
echo "  trust: [alice-domain.json]" >>bob.yaml
echo "  trust: [bob-domain.json]" >>alice.yaml

url=
start_bob() {
  : >bob.out  # here, not in the child: a restart must not see the last run's lines
  "$gibd" --config bob.yaml >>bob.out 2>&1 &
  bob_pid=$!
  wait_for_line bob.out "running" "$bob_pid" || fail "Bob did not start"
  url=$(ws_endpoint bob.out)
  [ -n "$url" ] || fail "no endpoint in: $(cat bob.out)"
}
stop_bob() { kill -TERM "$bob_pid"; wait "$bob_pid" || true; bob_pid=; }

# sync_note TEXT: a new timeline of Alice's, pushed to Bob.
sync_note() {
  local note
  note=$("$gib" fork --config alice.yaml --ib "note $1" --data "{\"text\":\"$1\"}")
  "$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note"
}

start_bob
sync_note first >/dev/null || fail "first sync"
cp -a alice alice.backup  # the backup: store and secrets, after the first sync
for i in 2 3 4; do sync_note "turn $i" >/dev/null || fail "sync $i"; done

# Restore Alice's store from the backup; her secrets_dir stays as it is.
rm -rf alice/db && cp -a alice.backup/db alice/db
if sync_note "after restore" >sync.out 2>sync.err; then fail "a sync from the restored store succeeded"; fi
grep -q "not the latest frame this signer made" sync.err || { cat sync.err >&2; fail "unexpected sync failure"; }
echo "restored node locked out, as expected: $(head -c 300 sync.err)"

# On Bob (stopped: his LevelDB is locked while gibd runs): Alice's frames,
# and his own domain's, which also moved on since Alice's backup.
stop_bob
"$gib" keystone --config bob.yaml frames "$alice_domain" >frames.json
"$gib" keystone --config bob.yaml frames "$bob_domain" >bob-frames.json
start_bob
"$gib" keystone --config alice.yaml recover frames.json >recover.out 2>recover.err ||
  { cat recover.out recover.err >&2; fail "recover"; }
cat recover.out
grep -q "frame(s) recovered" recover.out || fail "recover said: $(cat recover.out)"
grep -q "the node's signer evolves it" recover.out || fail "recover did not prove the signer"
"$gib" keystone --config alice.yaml recover bob-frames.json >recover-bob.out 2>&1 || { cat recover-bob.out >&2; fail "recover of Bob's domain"; }
grep -q "(a peer's)" recover-bob.out || fail "recover of Bob's domain said: $(cat recover-bob.out)"
sync_note "after recover" >/dev/null || fail "sync after recover"
sync_note "and again" >/dev/null || fail "second sync after recover"
echo "recovered: syncs succeed again"
stop_bob

# The impossible case: store *and* secrets restored from the backup. Bob's
# frames go past what the restored signer remembers making, so it must not
# sign (it may already have used those frames' one-time keys).
"$gib" keystone --config bob.yaml frames "$alice_domain" >frames.json
rm -rf alice && cp -a alice.backup alice
status=0
"$gib" keystone --config alice.yaml recover frames.json >impossible.out 2>impossible.err || status=$?
[ "$status" -eq 3 ] || { cat impossible.out impossible.err >&2; fail "recover exit $status, expected 3"; }
grep -q "cannot evolve domain" impossible.err || { cat impossible.err >&2; fail "unexpected message"; }
grep -q "secrets_dir was restored from a backup" impossible.err || fail "the message does not name the cause"
echo "impossible case refused: $(head -c 400 impossible.err)"
echo "PASS"
