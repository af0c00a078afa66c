#!/usr/bin/env bash
# Issue #13's figure: records/s of one `gib sync` of N records into a gibd
# whose durable space is PostgreSQL, next to the same sync into a gibd on
# LevelDB, in the same run, from the same sender.
#
#   bash tools/bench/postgres_vs_leveldb.sh [N...]
#        (default N: 100000; needs gib, gibd and the space-leveldb,
#         space-postgres, space-memory, signer-keystone and
#         transport-websocket plugins in $GIBKIT_BUILD_DIR, default
#         build-pg; and Debian's postgresql-15)
#
# The set-up is tools/bench/sync_vs_git.sh's: Alice (`gib sync`, LevelDB)
# holds N stones of about 1.3 KiB of random content and one tag timeline
# per 1,000 stones; each receiver is a fresh gibd (memory staging, keystone
# signer, websocket on loopback, as docs/config.md ships them) that starts
# empty. The PostgreSQL server is a throwaway PostgreSQL 15 cluster
# (tests/postgres/pg_cluster.sh: Unix socket, fsync on, default settings
# otherwise) on the same machine; space-postgres with its defaults
# (pool_size 4, multi-row INSERTs of 1,000 records, one transaction per
# commit). The time is the whole `gib sync` process, as in sync_vs_git.sh;
# records/s counts the records it reports sent. Also shown: the store's size
# on disk afterwards (LevelDB's directory; the schema's tables with indexes
# and TOAST, WAL not counted) and the CPU seconds of the receiving gibd and
# of the PostgreSQL server (all its processes) during the sync. Order:
# LevelDB first, then PostgreSQL, then PostgreSQL with sync.shared_staging
# (each Delta also written to the schema's staging tables, docs/scale-out.md
# "Staging"), for each N.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/tools/bench/bench_lib.sh"
build=${GIBKIT_BUILD_DIR:-$repo/build-pg}
bench_use_build "$build"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000)
bench_require "$gib" "$gibd" "$plugins/libgibkit-space-postgres.so"

bench_workdir pg-bench
pg_dir=$(mktemp -d /tmp/gibkit-pgb.XXXXXX)  # short: the server's socket is here
trap 'bench_stop_all; bash "$repo/tests/postgres/pg_cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true; bench_remove_work' EXIT
bash "$repo/tests/postgres/pg_cluster.sh" start "$pg_dir" >/dev/null
export PGHOST=$pg_dir

# durable_space KIND NAME: the receiver's durable space (a PostgreSQL schema
# per run: each receiver starts empty).
durable_space() {
  case $1 in
    leveldb) leveldb_main "$work/$2/db" ;;
    postgres) echo "{name: main, plugin: space-postgres, role: durable, config: {connection: 'dbname=gibkit', schema: bench_$n}}" ;;
    postgres-shared) echo "{name: main, plugin: space-postgres, role: durable, config: {connection: 'dbname=gibkit', schema: bench_shared_$n}}" ;;
  esac
}

deployment() {  # NAME LISTEN TRUST_FILE KIND
  bench_deployment "$1" "$2" "$3" "$(durable_space "$4" "$1")" "$work/$1/secrets"
  if [ "$4" = postgres-shared ]; then echo "  shared_staging: main"; fi
}

schema_of() {  # KIND N: the receiver's schema
  if [ "$1" = postgres-shared ]; then echo "bench_shared_$2"; else echo "bench_$2"; fi
}

# pg_ticks: the server's CPU so far: the postmaster, its live children, and
# the children that exited (cutime, cstime).
pg_ticks() {
  local master t=0 child
  master=$(head -n 1 "$pg_dir/data/postmaster.pid")
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$master/stat")
  for child in $(pgrep -P "$master"); do t=$((t + $(cpu_ticks "$child" 2>/dev/null || echo 0))); done
  echo "$t"
}

# fill_alice N: as sync_vs_git.sh's (N random stones, a tag per 1,000).
fill_alice() {
  local n=$1 t0
  t0=$(now_ms)
  bench_new_node alice false \
    "$work/bob-leveldb-domain.json, $work/bob-postgres-domain.json, $work/bob-postgres-shared-domain.json" leveldb
  "$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
  random_stones "$n" >stones.in
  bench_put_tagged stones
  log "Alice: $n stones, $(wc -l <tags) tag timelines, in $(($(now_ms) - t0)) ms"
}

# new_receiver KIND N: a fresh, empty receiver of KIND (its domain exported
# for Alice's trust).
new_receiver() {
  bench_new_node "bob-$1" true "$work/alice-domain.json" "$1"
  "$gib" keystone --config "bob-$1.yaml" export "bob-$1-domain.json" >"bob-$1.domain"
}

# timed_sync KIND N: one sync of Alice's tags into the receiver of KIND;
# appends "KIND N records ms saga_ms load MiB cpu" to results.
timed_sync() {
  local kind=$1 n=$2 name="bob-$1" t0 ms heads domain l
  domain=$(cat "$name.domain")
  bench_start_gibd "$name"
  mapfile -t heads <tags
  l=$(load)
  local bob0 pg0 hz
  bob0=$(cpu_ticks "$bob_pid")
  pg0=$(pg_ticks)
  hz=$(getconf CLK_TCK)
  t0=$(now_ms)
  "$gib" sync --config alice.yaml --peer "$url" --peer-domain "$domain" "${heads[@]}" >"sync-$kind-$n.out" 2>"sync-$kind-$n.err" ||
    { echo "gib sync into $kind failed:" >&2; tail -n 5 "sync-$kind-$n.err" >&2; exit 1; }
  ms=$(($(now_ms) - t0))
  local cpu
  cpu=$(awk -v b="$(( $(cpu_ticks "$bob_pid") - bob0 ))" -v p="$(( $(pg_ticks) - pg0 ))" -v hz="$hz" \
    'BEGIN {printf "%.1f/%.1f", b / hz, p / hz}')
  bench_stop_gibd
  # The store's size on disk: LevelDB's directory; the schema's tables with
  # their indexes and TOAST (WAL not counted).
  local bytes
  if [ "$kind" = leveldb ]; then
    bytes=$(du -sb "$work/$name/db" | cut -f1)
  else
    bytes=$(/usr/lib/postgresql/15/bin/psql -d gibkit -X -A -t -c \
      "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '$(schema_of "$kind" "$n")' AND c.relkind = 'r'")
  fi
  local records saga
  records=$(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "sync-$kind-$n.out")
  saga=$(sed -n 's/^time: \([0-9]*\) ms.*/\1/p' "sync-$kind-$n.out")
  log "gib sync N=$n into $kind: $records records in $ms ms (saga $saga ms), store $((bytes / 1048576)) MiB"
  echo "$kind $n $records $ms $saga $l $((bytes / 1048576)) $cpu" >>results
}

: >results
for n in "${sizes[@]}"; do
  fill_alice "$n"
  new_receiver leveldb "$n"
  new_receiver postgres "$n"
  new_receiver postgres-shared "$n"
  timed_sync leveldb "$n"
  timed_sync postgres "$n"
  timed_sync postgres-shared "$n"
done

echo
echo "PostgreSQL vs LevelDB receiver: $(nproc) cores, $(date -u '+%F %H:%M') UTC, build $(basename "$build");" \
     "load: 1-minute load average when each gib sync started"
echo
echo "| N | receiver's durable space | records | gib sync ms (saga ms) | records/s | store MiB | CPU s gibd / PostgreSQL | load |"
echo "|---|---|---|---|---|---|---|---|"
while read -r kind n records ms saga l mib cpu; do
  echo "| $n | $kind | $records | $ms ($saga) | $((records * 1000 / (ms > 0 ? ms : 1))) | $mib | $cpu | $l |"
done <results
