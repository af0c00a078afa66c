#!/usr/bin/env bash
# Two gibd on one PostgreSQL store, three senders at once (issue #13), all
# real processes on loopback:
#
#  - gibd n1 and n2 share one schema (space-postgres `instance: n1` / `n2`),
#    each with its own memory staging, keystone secrets and domain identity
#    (docs/scale-out.md says why not one shared domain).
#  - alice and bob hold the same stones, the same tag timeline and the same
#    timeline "note shared" (bob's store is a copy of alice's made before
#    either had an identity), and each then edits "note shared" differently;
#    carol holds the same stones and a tag of her own that relates them.
#  - Head race, made deterministic by a relay (hold_commit.js): alice's sync
#    to n1 is acknowledged (n1 reports no head for "note shared") and her
#    Commit is held; meanwhile bob (to n2) and carol (to n2) sync at the same
#    time and commit; then alice's Commit goes on and loses the
#    compare-and-swap in the database: `aborted`, nothing of it stored. Her
#    retry (a new saga, to n1) merges onto bob's head and succeeds; bob then
#    receives the merge from n1.
#  - Then, read from the database with a plain config (check.yaml, no
#    instance): every head equals the senders' heads and logs, `gib fsck` is
#    clean (every record stored under its own address, every relation
#    stored), the stones and timelines are exactly the senders' (nothing lost,
#    nothing twice). Content addressing makes equal heads plus a complete,
#    self-verifying store equal closures; a sample of records is compared
#    byte for byte as well.
#
# usage: multi_node_test.sh GIB GIBD PLUGIN_DIR NODE NODE_DIR   (PGHOST: the test cluster)
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 node=$4 node_dir=$5
script_dir=$(cd "$(dirname "$0")" && pwd)
: "${PGHOST:?PGHOST must name the test cluster (ctest sets it)}"

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-pg-multi.XXXXXX")
schema="multi_$(basename "$work" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pg_sql "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
source "$script_dir/../e2e/lib.sh"  # deployment, wait_for_line, ws_endpoint, stone_set
source "$script_dir/pg_lib.sh"      # pg_deployment, pg_sql, count_line, log_of, same_log

fail() { fail_showing "$*" n1.out n2.out; }
stones=200

# --- the senders' data ----------------------------------------------------
deployment alice false >alice.yaml
deployment bob false >bob.yaml
deployment carol false >carol.yaml
shared_tag=$(stone_set alice.yaml shared "$stones")
note=$("$gib" fork --config alice.yaml --ib "note shared" --data '{"text":"base"}')
# bob's store is alice's, copied before either has an identity (gibkit
# creates a node's domain identity at its first sync or export).
[ "$(count_line "$("$gib" ls --config alice.yaml)" identities)" = 0 ] || fail "alice has an identity already"
mkdir -p bob && cp -r alice/db bob/db
"$gib" put --config carol.yaml --all-or-nothing shared.jsonl 2>/dev/null >/dev/null
carol_tag=$(stone_set carol.yaml carol "$stones")
# carol's tag relates the shared stones too, so her sync sends them as well.
args=()
while IFS= read -r address; do args+=(--rel8n "target=$address"); done \
  < <(paste -d '^' <(seq 0 $((stones - 1)) | sed 's/^/stone shared /') shared.gib)
carol_tag=$("$gib" rel8 --config carol.yaml "$carol_tag" "${args[@]}")
alice_note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"alice was here"}')
bob_note=$("$gib" mut8 --config bob.yaml "$note" --data '{"by":"bob"}')

# --- two gibd, one schema -------------------------------------------------
pg_deployment n1 n1 "$schema" true >n1.yaml
pg_deployment n2 n2 "$schema" true >n2.yaml
pg_deployment check "" "$schema" false >check.yaml
n1_domain=$("$gib" keystone --config n1.yaml export n1-domain.json)
n2_domain=$("$gib" keystone --config n2.yaml export n2-domain.json)
[ "$n1_domain" != "$n2_domain" ] || fail "n1 and n2 have one domain identity: $n1_domain"
[ "$(pg_sql "SELECT count(*) FROM $schema.heads WHERE timeline LIKE '^instance %gibkit node domain'")" = 2 ] ||
  fail "the domains are not kept per instance: $(pg_sql "SELECT timeline FROM $schema.heads")"
for s in alice bob carol; do
  "$gib" keystone --config $s.yaml export $s-domain.json >/dev/null
  echo "  trust: [n1-domain.json, n2-domain.json]" >>$s.yaml
done
for n in n1 n2; do echo "  trust: [alice-domain.json, bob-domain.json, carol-domain.json]" >>$n.yaml; done

"$gibd" --config n1.yaml >n1.out 2>&1 &
pids+=($!)
"$gibd" --config n2.yaml >n2.out 2>&1 &
pids+=($!)
wait_for_line n1.out "running" "${pids[0]}"
wait_for_line n2.out "running" "${pids[1]}"
url1=$(ws_endpoint n1.out)
url2=$(ws_endpoint n2.out)

sync_to() {  # sync_to SENDER URL DOMAIN OUT ADDRESS...: gib sync, its output in OUT
  local sender=$1 url=$2 domain=$3 out=$4
  shift 4
  "$gib" sync --config "$sender.yaml" --peer "$url" --peer-domain "$domain" "$@" >"$out" 2>&1
}

# --- the race -------------------------------------------------------------
NODE_PATH="$node_dir/node_modules" "$node" "$script_dir/hold_commit.js" "$url1" >relay.out 2>&1 &
relay=$!
pids+=($relay)
wait_for_line relay.out '"port"' "$relay"
relay_url="ws://127.0.0.1:$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' relay.out)"

sync_to alice "$relay_url" "$n1_domain" alice-1.out "$alice_note" "$shared_tag" &
alice_sync=$!
wait_for_line relay.out '"holding"' "$alice_sync"
# alice's saga is acknowledged and open; bob and carol sync at the same time.
sync_to bob "$url2" "$n2_domain" bob-1.out "$bob_note" "$shared_tag" &
bob_sync=$!
sync_to carol "$url2" "$n2_domain" carol-1.out "$carol_tag" &
carol_sync=$!
wait "$bob_sync" || { cat bob-1.out >&2; fail "bob's sync failed"; }
wait "$carol_sync" || { cat carol-1.out >&2; fail "carol's sync failed"; }
grep -q "sent  *note shared" bob-1.out || { cat bob-1.out >&2; fail "bob did not send note shared"; }
kill -USR1 "$relay"
status=0
wait "$alice_sync" || status=$?
[ "$status" = 3 ] || { cat alice-1.out >&2; fail "alice's held sync exited $status, expected 3"; }
grep -q "aborted" alice-1.out || { cat alice-1.out >&2; fail "alice's sync failed, but not as aborted"; }
grep -q "event=saga.rejected.*code=aborted" n1.out || fail "n1 did not log the aborted commit"
echo "race: bob and carol committed through n2; alice's held commit through n1 was aborted"

# The loser's head and records are not in the store: it was one transaction.
check_ls=$("$gib" ls --config check.yaml)
printf '%s\n' "$check_ls" | grep -q "$alice_note" && fail "alice's aborted head is in the store"
[ -z "$("$gib" get --config check.yaml "$alice_note" 2>/dev/null)" ] || fail "alice's aborted frame is stored"

# --- retries ----------------------------------------------------------------
sync_to alice "$url1" "$n1_domain" alice-2.out "$alice_note" "$shared_tag" ||
  { cat alice-2.out >&2; fail "alice's retry failed"; }
grep -q "merged  *note shared" alice-2.out || { cat alice-2.out >&2; fail "alice's retry did not merge"; }
# bob asks the other gibd: it serves what n2 committed and n1 merged.
sync_to bob "$url1" "$n1_domain" bob-2.out "$bob_note" ||
  { cat bob-2.out >&2; fail "bob's second sync failed"; }
grep -q "received  *note shared" bob-2.out || { cat bob-2.out >&2; fail "bob did not receive the merge"; }
echo "retry: alice merged onto bob's head through n1; bob received the merge"

for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
pids=()

# --- the store against the senders -----------------------------------------
same_log alice "$note"
same_log bob "$note"
same_log alice "$shared_tag"
same_log bob "$shared_tag"
same_log carol "$carol_tag"
# Each frame of "note shared" once, n strictly decreasing: no fork, no copy.
log_of check "$note" | cut -f1 | awk 'NR > 1 && $1 >= prev { exit 1 } { prev = $1 }' || fail "note shared's log repeats"
fsck_out=$("$gib" fsck --config check.yaml 2>&1) || { echo "$fsck_out" >&2; fail "gib fsck found problems"; }
check_ls=$("$gib" ls --config check.yaml)
[ "$(count_line "$check_ls" stones)" = $((2 * stones)) ] ||
  { echo "$check_ls" >&2; fail "the store holds $(count_line "$check_ls" stones) stones, expected $((2 * stones))"; }
[ "$(count_line "$check_ls" timelines)" = 3 ] ||
  { echo "$check_ls" >&2; fail "the store holds $(count_line "$check_ls" timelines) timelines, expected 3"; }
same_record() {  # same_record SENDER ADDRESS: byte for byte
  [ "$("$gib" get --config "$1.yaml" "$2")" = "$("$gib" get --config check.yaml "$2")" ] ||
    fail "record $2 differs between $1 and the store"
}
for s in alice bob carol; do
  same_record $s "stone shared 0^$(sed -n 1p shared.gib)"
  same_record $s "stone shared $((stones - 1))^$(sed -n ${stones}p shared.gib)"
done
same_record carol "stone carol 7^$(sed -n 8p carol.gib)"
echo "store: heads and logs equal the senders', fsck clean, $((2 * stones)) stones and 3 timelines, nothing twice"
