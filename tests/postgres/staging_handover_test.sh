#!/usr/bin/env bash
# A saga broken on one gibd continues on another gibd of the same PostgreSQL
# schema, and what a dead gibd staged is reclaimed by the others (issue #13;
# sync.shared_staging, docs/protocol.md "Resume", docs/postgres.md "Sagas'
# staging"). Real processes on loopback:
#
#  - gibd-1, gibd-2 and gibd-3 share one schema (`instance` keys, as
#    multi_node_test.sh), each with `sync.shared_staging: main`: each Delta's
#    records are also written to the schema's staging tables under the saga.
#    alice (`gib`, LevelDB) trusts all three.
#  - alice first syncs a small set to gibd-2, so she knows its staging store
#    (Ack `stagingStore`, the same for every gibd of the schema).
#  - Handover: alice syncs 10,000 stones (20 tag timelines of 500: a tag
#    relating all would not fit her 64 KiB messages) to gibd-1 through a
#    relay (cut_at_records.js) that lets Deltas through until half the
#    records went, then holds the rest; once gibd-1 acknowledged every Delta
#    it took and its rows are in the database, gibd-1 is killed (kill -9).
#    The sync fails; no data head moved and no stone is stored; the rows
#    are in staged_records, owned by alice's domain. alice's next sync of the
#    same, to gibd-2, resumes the broken saga from the database, says so and
#    sends only the rest (< 55 %; gibd-2's log shows it committed all of it);
#    then the store's logs of the 20 tags equal alice's, `gib fsck` is clean
#    on the store and at alice, every stone is stored once and the staging
#    tables are empty.
#  - Reclaim: gibd-3 (short saga_idle_timeout_ms and resume_keep_ms) is
#    killed the same way mid-sync, and alice never comes back for it; its
#    rows outlive it, and gibd-2 (the only gibd left) reclaims them on its
#    expiry sweep once they expired. Polled with a deadline, no fixed sleep.
#
# usage: staging_handover_test.sh GIB GIBD PLUGIN_DIR NODE NODE_DIR   (PGHOST: the test cluster)
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 node=$4 node_dir=$5
script_dir=$(cd "$(dirname "$0")" && pwd)
: "${PGHOST:?PGHOST must name the test cluster (ctest sets it)}"

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-pg-handover.XXXXXX")
schema="handover_$(basename "$work" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')"
pids=()
cleanup() {
  stop_pids
  pg_sql "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
source "$script_dir/../e2e/lib.sh"  # deployment, start_gibd, wait_for_line, ws_endpoint, stone_set, stop_pids
source "$script_dir/pg_lib.sh"      # pg_deployment, pg_sql, count_line, same_log, wait_until

fail() { fail_showing "$*" gibd-1.out gibd-2.out gibd-3.out relay-1.out relay-3.out; }
tags=20
per_tag=500

# --- alice's data -----------------------------------------------------------
deployment alice false >alice.yaml
# Deltas of at most 64 KiB: about 450 stones each, so a cut lands mid-saga.
echo "  max_message_bytes: 65536" >>alice.yaml
small=$(stone_set alice.yaml small 10)
big=()
for ((t = 0; t < tags; t++)); do big+=("$(stone_set alice.yaml "big$t" "$per_tag")"); done
late=()
for ((t = 0; t < 3; t++)); do late+=("$(stone_set alice.yaml "late$t" "$per_tag")"); done

# --- three gibd, one schema, one shared staging ----------------------------
for n in 1 2 3; do
  pg_deployment gibd-$n gibd-$n "$schema" true >gibd-$n.yaml
  echo "  shared_staging: main" >>gibd-$n.yaml
done
# gibd-3's rows expire 5 s after its last Delta (idle timeout + resume_keep).
printf '  saga_idle_timeout_ms: 4000\n  resume_keep_ms: 1000\n' >>gibd-3.yaml
pg_deployment check "" "$schema" false >check.yaml
declare -A domain
for n in 1 2 3; do domain[$n]=$("$gib" keystone --config gibd-$n.yaml export gibd-$n-domain.json); done
alice_domain=$("$gib" keystone --config alice.yaml export alice-domain.json)
echo "  trust: [gibd-1-domain.json, gibd-2-domain.json, gibd-3-domain.json]" >>alice.yaml
for n in 1 2 3; do echo "  trust: [alice-domain.json]" >>gibd-$n.yaml; done
declare -A url
for n in 1 2 3; do
  start_gibd gibd-$n
  url[$n]=$(ws_endpoint gibd-$n.out)
done

sync_to() {  # sync_to N OUT URL ADDRESS...: alice's gib sync with gibd-N at URL, its output in OUT
  local n=$1 out=$2 peer=$3
  shift 3
  "$gib" sync --config alice.yaml --peer "$peer" --peer-domain "${domain[$n]}" "$@" >"$out" 2>&1
}
sent_of() { sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "$1"; }
staged_rows() { pg_sql "SELECT count(*) FROM $schema.staged_records"; }
staged_sagas() { pg_sql "SELECT count(*) FROM $schema.staged_sagas"; }
rows_are() { [ "$(staged_rows)" = "$1" ]; }
# Data timelines only: the gibd's own keys (domain, saga logs, store id) start with ^.
data_heads() { pg_sql "SELECT timeline || ' ' || head FROM $schema.heads WHERE timeline NOT LIKE '^%' ORDER BY 1"; }

# cut_sync N OUT RECORDS ADDRESS...: alice syncs ADDRESS... to gibd-N through
# a relay that stops the saga once RECORDS payload records went; once gibd-N
# answered every Delta it took and wrote their rows (its staging of the last
# one may still run while the reply travels: pipelining), gibd-N is killed
# (-9) and the sync must fail. Sets $cut_records (how many went).
cut_sync() {
  local n=$1 out=$2 records=$3 relay sync status=0
  shift 3
  NODE_PATH="$node_dir/node_modules" "$node" "$node_dir/cut_at_records.js" "${url[$n]}" "$records" \
    >relay-$n.out 2>&1 &
  relay=$!
  pids+=($relay)
  wait_for_line relay-$n.out '"port"' "$relay"
  sync_to "$n" "$out" "ws://127.0.0.1:$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' relay-$n.out)" "$@" &
  sync=$!
  wait_for_line relay-$n.out '"cut"' "$sync" || { cat "$out" >&2; fail "the relay to gibd-$n did not cut"; }
  cut_records=$(sed -n 's/.*"event":"cut","records":\([0-9]*\).*/\1/p' relay-$n.out)
  wait_until 30 rows_are "$cut_records" ||
    fail "gibd-$n acknowledged $cut_records records, the database holds $(staged_rows) staged"
  kill -KILL "${pids[$((n - 1))]}"
  wait "${pids[$((n - 1))]}" 2>/dev/null || true
  wait "$sync" || status=$?
  [ "$status" != 0 ] || { cat "$out" >&2; fail "the sync to gibd-$n survived its gibd's death"; }
  kill -TERM "$relay" 2>/dev/null || true
}

# --- alice learns the store through gibd-2 ----------------------------------
sync_to 2 small.out "${url[2]}" "$small" || { cat small.out >&2; fail "the small sync to gibd-2 failed"; }
store=$(pg_sql "SELECT head FROM $schema.heads WHERE timeline = '^staging-store-id'")
[ -n "$store" ] || fail "gibd-2 announced no staging store"
# What a tag of N stones costs besides its stones (its frames and their dna),
# from the small set: the whole big sync is then known exactly.
overhead=$(($(sent_of small.out) - 10))
total=$((tags * (per_tag + overhead)))
echo "store $store; alice knows it through gibd-2; the big sync is $total records"

# --- handover: broken on gibd-1, resumed on gibd-2 --------------------------
heads_before=$(data_heads)
cut_sync 1 cut.out $((total / 2)) "${big[@]}"
staged=$cut_records
[ "$staged" -lt "$total" ] || fail "the relay let the whole sync through ($staged of $total)"
[ "$(data_heads)" = "$heads_before" ] || fail "a data head moved: $(data_heads)"
[ "$(pg_sql "SELECT count(*) FROM $schema.records WHERE address LIKE 'stone big%'")" = 0 ] ||
  fail "stones of the broken saga were committed"
[ "$(staged_sagas)" = 1 ] || fail "$(staged_sagas) staged sagas, expected the broken one"
[ "$(pg_sql "SELECT owner FROM $schema.staged_sagas")" = "$alice_domain" ] ||
  fail "the staged saga is not owned by alice's domain: $(pg_sql "SELECT owner FROM $schema.staged_sagas")"
broken_saga=$(pg_sql "SELECT saga_id FROM $schema.staged_sagas")
echo "broken: saga $broken_saga; gibd-1 killed after $staged of $total records; nothing committed, $staged rows staged"

sync_to 2 resume.out "${url[2]}" "${big[@]}" || { cat resume.out >&2; fail "the resumed sync to gibd-2 failed"; }
grep -qi "resum" resume.out || { cat resume.out >&2; fail "gib sync does not say it resumed"; }
sent=$(sent_of resume.out)
[ -n "$sent" ] && [ $((sent * 100)) -lt $((total * 55)) ] ||
  { cat resume.out >&2; fail "the resumed sync sent $sent of $total records (55 % or more)"; }
# gibd-2 committed every record and took over the wire only what alice sent:
# the rest it adopted from the database.
grep -q "event=saga.committed .* records=$total records_in=$sent " gibd-2.out ||
  fail "gibd-2 did not commit $total records of which $sent came over the wire"
[ "$(staged_rows)" = 0 ] && [ "$(staged_sagas)" = 0 ] ||
  fail "staging left after the commit: $(staged_sagas) sagas, $(staged_rows) records"
for tag in "${big[@]}"; do same_log alice "$tag"; done
fsck_out=$("$gib" fsck --config check.yaml 2>&1) || { echo "$fsck_out" >&2; fail "gib fsck found problems"; }
# The sender keeps the store it learnt and its resume marks: still sound.
fsck_out=$("$gib" fsck --config alice.yaml 2>&1) || { echo "$fsck_out" >&2; fail "gib fsck found problems at alice"; }
check_ls=$("$gib" ls --config check.yaml)
stones=$((tags * per_tag + 10))
[ "$(count_line "$check_ls" stones)" = $stones ] ||
  { echo "$check_ls" >&2; fail "the store holds $(count_line "$check_ls" stones) stones, expected $stones"; }
echo "resumed: gibd-2 adopted the rows and committed; alice sent $sent of $total records; logs equal, fsck clean"
grep -i -m 2 "resum" resume.out || true

# --- reclaim: gibd-3 dies and its sender never comes back -------------------
cut_sync 3 late.out 600 "${late[@]}"
[ "$(staged_sagas)" = 1 ] && [ "$(staged_rows)" = "$cut_records" ] ||
  fail "gibd-3's staging did not outlive it: $(staged_sagas) sagas, $(staged_rows) records"
# gibd-2 is the only gibd left: only its expiry sweep can delete them.
wait_until 60 rows_are 0 || fail "gibd-2 did not reclaim gibd-3's expired staging ($(staged_rows) records left)"
[ "$(staged_sagas)" = 0 ] || fail "$(staged_sagas) staged sagas left after the reclaim"
kill -0 "${pids[1]}" 2>/dev/null || fail "gibd-2 exited"
echo "reclaimed: gibd-2 dropped the $cut_records records gibd-3 staged before it died, once expired"
