#!/usr/bin/env bash
# gibd's admin endpoint (the deployment's `admin:` section): /healthz and
# /metrics fetched over HTTP from a running receiver, before and after a
# genuine sync and a stranger's refused one, and the receiver's saga log
# lines; an admin port already in use fails start-up.
#
# usage: metrics_health_test.sh GIB GIBD PLUGIN_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3
script_dir=$(cd "$(dirname "$0")" && pwd)

source "$script_dir/lib.sh"  # e2e_workdir, deployment, start_gibd, wait_for_line, ws_endpoint
e2e_workdir metrics

fail() { echo "FAIL: $*" >&2; echo "--- bob.out" >&2; cat bob.out >&2; exit 1; }

# The value of one series in a /metrics text ("" when absent).
metric() { printf '%s\n' "$1" | awk -v name="$2" '$1 == name { print $2 }'; }

deployment alice false >alice.yaml
deployment carol false >carol.yaml
deployment bob true 0 >bob.yaml

note=$("$gib" fork --config alice.yaml --ib "note metrics" --data '{"text":"one"}')
note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"two"}')
stranger=$("$gib" fork --config carol.yaml --ib "note carol")

bob_domain=$(pair_trust alice bob)
echo "  trust: [bob-domain.json]" >>carol.yaml

start_gibd bob
wait_for_line bob.out "event=admin.listening" "${pids[0]}"
admin=$(sed -n 's/.*event=admin.listening endpoint=\(http:[^ ]*\).*/\1/p' bob.out | head -n 1)
url=$(ws_endpoint bob.out)
[ -n "$admin" ] && [ -n "$url" ] || fail "no admin or websocket endpoint"

[ "$(curl -sS "$admin/healthz")" = "ok" ] || fail "/healthz is not ok"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$admin/nothing")" = "404" ] || fail "/nothing is not 404"
before=$(curl -sS "$admin/metrics")
[ "$(metric "$before" gibkit_receiver_open_sagas)" = "0" ] || fail "open sagas before: $before"
[ "$(metric "$before" gibkit_turn_verify_seconds_count)" = "0" ] || fail "verified turns before: $before"
[ "$(metric "$before" gibkit_local_api_commands_running)" = "0" ] || fail "local API commands before: $before"

# A genuine sync: counted as a committed receiver saga with its records and bytes.
"$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note" >sync.out 2>sync.err ||
  { cat sync.err >&2; fail "genuine sync failed"; }
after=$(curl -sS "$admin/metrics")
[ "$(metric "$after" 'gibkit_sagas_total{outcome="committed",role="receiver"}')" = "1" ] ||
  fail "committed receiver sagas: $after"
[ "$(metric "$after" gibkit_sagas_accepted_total)" = "1" ] || fail "accepted sagas: $after"
records_in=$(metric "$after" 'gibkit_records_total{direction="in"}')
[ -n "$records_in" ] && [ "${records_in%.*}" -ge 2 ] || fail "records in: $records_in"
bytes_in=$(metric "$after" 'gibkit_sync_bytes_total{direction="in"}')
[ -n "$bytes_in" ] && [ "${bytes_in%.*}" -gt 1000 ] || fail "bytes in: $bytes_in"
[ "$(metric "$after" 'gibkit_saga_duration_seconds_count{role="receiver"}')" = "1" ] || fail "duration count: $after"
grep -q "event=saga.committed .*records_in=[1-9].*bytes_in=[1-9][0-9]* .*ms=" bob.out || fail "no saga.committed line with traffic"
# Verify time: every authenticated turn (the Init, at least one Delta, the
# Commit), each more than nothing (a signature was checked).
verified=$(metric "$after" gibkit_turn_verify_seconds_count)
[ -n "$verified" ] && [ "$verified" -ge 3 ] || fail "verified turns: $after"
verify_sum=$(metric "$after" gibkit_turn_verify_seconds_sum)
awk -v s="$verify_sum" 'BEGIN { exit !(s > 0 && s < 60) }' || fail "verify time sum: $verify_sum"
[ "$(metric "$after" 'gibkit_turn_verify_seconds_bucket{le="+Inf"}')" = "$verified" ] || fail "verify buckets: $after"

# A stranger (Bob does not trust Carol): refused, counted by code, logged.
if "$gib" sync --config carol.yaml --peer "$url" --peer-domain "$bob_domain" "$stranger" >/dev/null 2>carol.err; then
  fail "the stranger's sync succeeded"
fi
refused=$(curl -sS "$admin/metrics")
[ "$(metric "$refused" 'gibkit_saga_rejections_total{code="permission_denied"}')" = "1" ] ||
  fail "permission_denied rejections: $refused"
[ "$(metric "$refused" 'gibkit_sagas_total{outcome="committed",role="receiver"}')" = "1" ] || fail "committed changed"
# Refused before its turn was authenticated: no verify time.
[ "$(metric "$refused" gibkit_turn_verify_seconds_count)" = "$verified" ] || fail "the stranger's turn was timed: $refused"
grep -q "event=saga.rejected .*code=permission_denied" bob.out || fail "no saga.rejected line"
[ "$(curl -sS "$admin/healthz")" = "ok" ] || fail "/healthz after the sagas"

# Fail fast: a second node on the same admin port does not start.
port=${admin##*:}
deployment dave true "$port" >dave.yaml
if "$gibd" --config dave.yaml >dave.out 2>&1; then fail "gibd started on an admin port in use"; fi
grep -q "cannot start the admin endpoint.*127.0.0.1:$port.*in use" dave.out ||
  { cat dave.out >&2; fail "no clear error for the admin port in use"; }
echo "metrics and health checked"
