#!/usr/bin/env bash
# Issue #11's comparison in one run: a real `gib sync` over websocket between
# two processes against `git fetch` over git:// on loopback, at each size,
# plus the everyday one-record case next to git's one-commit fetch.
#
#   bash tools/bench/sync_vs_git.sh [--runs R] [--profile N] [N...]
#        (default N: 1000 10000 100000; R: 5; needs a Release build in
#         $GIBKIT_BUILD_DIR, default build-bench, with gib, gibd and the
#         space-leveldb, space-memory, signer-keystone and
#         transport-websocket plugins)
#
# gibkit: Alice (sender, `gib sync`) and Bob (receiver, a `gibd`), each with
# a LevelDB durable space, memory staging, a keystone signer and websocket,
# as docs/config.md ships them (defaults: 4 MiB per saga message). Alice
# holds N stones of about 1.3 KiB of random content (base64 of
# /dev/urandom), made with `gib hash` and stored with `gib put`, and one tag
# timeline per 1,000 stones (`gib fork`, then one `gib rel8` relating them);
# Bob starts empty. The time is the whole `gib sync` process naming the tag
# timelines (start, deployment load, LevelDB open, session identity, saga,
# exit); records/s counts the records it reports sent (stones, tag frames,
# their dna). The saga's own time (its summary) is shown too.
#
# git: tools/bench/git_fetch_random_baseline.sh (N random blobs, the main
# comparison) and tools/bench/git_fetch_baseline.sh (blobs differing in a
# counter, git's best case), run by this script after the gibkit runs.
#
# One record: after the smallest N, Alice forks a note and syncs it, then R
# times edits it (`gib mut8`: a frame and its dna) and times `gib sync` of it
# (median), against git's fetch of one new commit of one ~1.3 KiB file.
#
# One record among all: at every N, once Bob holds the N stones and their
# tags, Alice forks a note and syncs it, then R times edits it and times a
# `gib sync` naming every tag timeline and the note (median): syncing all
# that two nodes share when one record changed, which should not grow with N.
#
# --against DIR: side by side with another build (the "before" of a change,
# e.g. a `git archive` of the previous commit built in DIR): at each size,
# R rounds alternate a sync by DIR's gib/gibd and one by this build's, each
# to a fresh Bob, from an Alice of the same N records that the side's own
# build stored (restored from a copy before each sync); prints both medians
# and their ratio.
#
# --profile N: one more sync of N records to an empty Bob, with `perf record`
# (DWARF call graphs) on Bob's gibd and on Alice's `gib sync`; keeps the data
# in $GIBKIT_PROFILE_DIR (default /tmp/gibkit-sync-profile) and prints the
# top symbols of each side. Not part of the timed figures.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
bench=$repo/tools/bench
source "$bench/bench_lib.sh"
build=${GIBKIT_BUILD_DIR:-$repo/build-bench}
bench_use_build "$build"
profile_dir=${GIBKIT_PROFILE_DIR:-/tmp/gibkit-sync-profile}

runs=5
profile_n=""
against=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --against) against=$(cd "$2" && pwd); shift 2 ;;
    --profile) profile_n=$2; shift 2 ;;
    *) break ;;
  esac
done
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
bench_require "$gib" "$gibd"

after_build=$build

bench_workdir sync-vs-git

deployment() {  # NAME LISTEN TRUST_FILE
  bench_deployment "$1" "$2" "$3" "$(leveldb_main "$work/$1/db")" "$work/$1/secrets"
}

# fresh_bob: an empty receiver that trusts Alice; sets bob_domain.
fresh_bob() {
  bench_new_node bob true "$work/alice-domain.json"
  bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
}

# fill_alice N: a fresh Alice with N random stones and their tag timelines
# (tags: their addresses, one per line).
fill_alice() {
  local n=$1 t0
  t0=$(now_ms)
  bench_new_node alice false "$work/bob-domain.json"
  "$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
  random_stones "$n" >stones.in
  bench_put_tagged stones
  cp tags tags.all
  log "Alice: $n stones ($(($(wc -c <stones.jsonl) / n)) bytes each), $(wc -l <tags) tag timelines, in $(($(now_ms) - t0)) ms"
}

# timed_sync OUT [PREFIX...]: gib sync of the tags to Bob; prints its wall
# time in ms (the CPU seconds of each side in OUT.cpus).
timed_sync() {
  local out=$1
  shift
  bench_timed_sync "$url" "$out" "$@"
}

# time_note_edits IB SHARED OUT: Alice forks a note IB and syncs it, then
# $runs times edits it (`gib mut8`: a frame and its dna) and times a
# `gib sync` naming it and the timelines listed in the file SHARED
# (/dev/null: none); each run's output in OUT-K.out. Sets edit_times (ms)
# and edit_cpus (the sender's CPU s).
time_note_edits() {
  local ib=$1 shared=$2 out=$3 note text i
  note=$("$gib" fork --config alice.yaml --ib "$ib" --data '{"text":"0"}')
  { cat "$shared"; echo "$note"; } >tags
  timed_sync "$out-first.out" >/dev/null
  edit_times=()
  edit_cpus=()
  for ((i = 1; i <= runs; i++)); do
    text=$(head -c 900 /dev/urandom | base64 -w0)
    note=$("$gib" mut8 --config alice.yaml "$note" --data "{\"text\":\"$text\"}")
    { cat "$shared"; echo "$note"; } >tags
    edit_times+=($(timed_sync "$out-$i.out"))
    edit_cpus+=($(cut -d' ' -f1 "$out-$i.out.cpus"))
    grep -q '^records: 2 sent' "$out-$i.out" || log "warning: $out-$i: a one-record sync sent $(grep '^records:' "$out-$i.out")"
  done
}

# ------------------------------------------------------ side by side
if [ -n "$against" ]; then
  echo "| N | records | before: ms (median of $runs) | after: ms | before / after | CPU s sender / receiver, before | after | load |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in "${sizes[@]}"; do
    # An Alice for each side, filled by that side's build (a store is read
    # by the build that wrote it: space-leveldb 1.0 cannot read 1.1's
    # packs) and restored before each of its syncs.
    for side in before after; do
      [ "$side" = before ] && bench_use_build "$against" || bench_use_build "$after_build"
      fill_alice "$n"
      rm -rf "alice.$side" && cp -a alice "alice.$side"
      cp alice-domain.json "alice-domain.$side.json"
      cp tags "tags.$side"
    done
    declare -A times=() cpus=()
    for ((r = 1; r <= runs; r++)); do
      for side in before after; do
        [ "$side" = before ] && bench_use_build "$against" || bench_use_build "$after_build"
        rm -rf alice && cp -a "alice.$side" alice
        cp "alice-domain.$side.json" alice-domain.json
        cp "tags.$side" tags
        deployment alice false "$work/bob-domain.json" >"$work/alice.yaml"
        fresh_bob
        bench_start_gibd bob
        times[$side]+="$(timed_sync "cmp-$side-$n-$r.out") "
        cpus[$side]+="$(tr ' ' '/' <"cmp-$side-$n-$r.out.cpus") "
        bench_stop_gibd
      done
    done
    b=$(tr ' ' '\n' <<<"${times[before]}" | grep . | median)
    a=$(tr ' ' '\n' <<<"${times[after]}" | grep . | median)
    echo "| $n | $(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "cmp-after-$n-1.out") | $b (${times[before]% }) | $a (${times[after]% }) | $(awk -v x="$b" -v y="$a" 'BEGIN {printf "%.2fx", x / (y > 0 ? y : 1)}') | ${cpus[before]% } | ${cpus[after]% } | $(load) |"
  done
  exit 0
fi

# -------------------------------------------------------------- gibkit
declare -A gk_records gk_ms gk_saga gk_bytes gk_load gk_cpu_sender gk_cpu_receiver all_median all_times all_cpu
one_median=""
one_times=""
for n in "${sizes[@]}"; do
  fill_alice "$n"
  fresh_bob
  bench_start_gibd bob
  gk_load[$n]=$(load)
  ms=$(timed_sync "sync-$n.out")
  gk_ms[$n]=$ms
  gk_records[$n]=$(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "sync-$n.out")
  gk_saga[$n]=$(sed -n 's/^time: \([0-9]*\) ms.*/\1/p' "sync-$n.out")
  gk_bytes[$n]=$(sed -n 's/^bytes: \(.*\) sent,.*/\1/p' "sync-$n.out")
  read -r gk_cpu_sender[$n] gk_cpu_receiver[$n] <"sync-$n.out.cpus"
  log "gib sync N=$n: ${gk_records[$n]} records in $ms ms (saga ${gk_saga[$n]} ms, ${gk_bytes[$n]} sent; $(grep '^time:' "sync-$n.out" | sed 's/^time: [0-9]* ms, //'); CPU s: sender ${gk_cpu_sender[$n]}, receiver ${gk_cpu_receiver[$n]})"
  if [ -z "$one_median" ]; then
    time_note_edits "note bench" /dev/null one
    one_times=$(IFS=,; echo "${edit_times[*]}")
    one_median=$(printf '%s\n' "${edit_times[@]}" | median)
    log "one-record gib sync: median $one_median ms ($one_times)"
  fi
  # One record among all: every tag timeline (held by Bob now) and a note.
  time_note_edits "note all" tags.all all
  all_times[$n]=$(IFS=,; echo "${edit_times[*]}")
  all_median[$n]=$(printf '%s\n' "${edit_times[@]}" | median)
  all_cpu[$n]=$(IFS=,; echo "${edit_cpus[*]}")
  log "one record among $(($(wc -l <tags.all) + 1)) timelines, N=$n: median ${all_median[$n]} ms (${all_times[$n]}; sender CPU s ${all_cpu[$n]})"
  bench_stop_gibd
done

# ----------------------------------------------------------------- git
log "git fetch, random content: ${sizes[*]}"
bash "$bench/git_fetch_random_baseline.sh" --one "$runs" "${sizes[@]}" >git-random.out
cat git-random.out >&2
log "git fetch, best case: ${sizes[*]}"
# (that script exits 143 from its cleanup trap after printing; its lines count)
bash "$bench/git_fetch_baseline.sh" "${sizes[@]}" >git-best.out || true
cat git-best.out >&2

# --------------------------------------------------------------- table
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
echo
echo "Sync vs git fetch: $(nproc) cores, $(date -u '+%F %H:%M') UTC; load: 1-minute load average when each gib sync started"
echo
echo "| N | gibkit records | gib sync ms (saga ms) | gibkit records/s | CPU s sender / receiver | git random objects/s | gibkit / git random | git best case objects/s | load |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  line=$(grep "^random N=$n " git-random.out)
  git_rate=$(field objects_per_s <<<"$line")
  best=$(grep -E "^git fetch over git://: $((n + 2)) objects" git-best.out | sed -n 's/.*= \([0-9]*\) objects\/s/\1/p')
  rate=$(( gk_records[$n] * 1000 / (gk_ms[$n] > 0 ? gk_ms[$n] : 1) ))
  echo "| $n | ${gk_records[$n]} | ${gk_ms[$n]} (${gk_saga[$n]}) | $rate | ${gk_cpu_sender[$n]} / ${gk_cpu_receiver[$n]} | $git_rate ($(field ms <<<"$line") ms) | $(awk -v a="$rate" -v b="$git_rate" 'BEGIN {printf "%.2fx", a / (b > 0 ? b : 1)}') | ${best:-?} | ${gk_load[$n]} |"
done
git_one=$(field median_ms <<<"$(grep '^one-commit' git-random.out)")
echo
echo "| one change, end to end (median of $runs) | ms |"
echo "|---|---|"
echo "| gib sync of one mut8 (frame + dna), keystone | $one_median ($one_times) |"
echo "| git fetch of one new commit (one ~1.3 KiB file) | $git_one ($(sed -n 's/.*times=//p' git-random.out)) |"
echo "| ratio | $(awk -v a="$one_median" -v b="$git_one" 'BEGIN {printf "%.2fx", a / (b > 0 ? b : 1)}') |"
echo
echo "| one change among all timelines (every tag and the note named), median of $runs | gib sync ms (runs) | sender CPU s | / git's one-commit fetch |"
echo "|---|---|---|---|"
for n in "${sizes[@]}"; do
  echo "| N=$n, $((n / 1000 + 1)) timelines | ${all_median[$n]} (${all_times[$n]}) | ${all_cpu[$n]} | $(awk -v a="${all_median[$n]}" -v b="$git_one" 'BEGIN {printf "%.2fx", a / (b > 0 ? b : 1)}') |"
done

# ------------------------------------------------------------- profile
[ -n "$profile_n" ] || exit 0
command -v perf >/dev/null || { echo "perf not found (apt-get install linux-perf)" >&2; exit 1; }
mkdir -p "$profile_dir"
fill_alice "$profile_n"
fresh_bob
bench_start_gibd bob
perf record -q -F 499 --call-graph dwarf,32768 -o "$profile_dir/receiver.data" -p "$bob_pid" 2>"$profile_dir/receiver.perf.err" &
perf_pid=$!
sleep 1
ms=$(timed_sync profile.out perf record -q -F 499 --call-graph dwarf,32768 -o "$profile_dir/sender.data")
kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
log "profiled gib sync N=$profile_n: $(grep '^records:' profile.out), $ms ms under perf"
bench_stop_gibd
# Top symbols by self time, then the inclusive share of the phases' entry points.
for side in receiver sender; do
  data=$profile_dir/$side.data
  echo
  echo "== $side: $(perf report -i "$data" --stdio -g none 2>/dev/null | sed -n 's/^# Samples: \([^ ]*\) .*/\1 samples/p' | head -n 1); top symbols by self time ($data)"
  perf report -i "$data" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.7 2>/dev/null |
    grep -E '^ +[0-9]' | sed 's/  */ /g' | cut -c1-160
  echo "== $side: inclusive share of selected functions"
  perf report -i "$data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' |
    grep -E 'compute_gib|IbGib::parse|json::parse|Parser::parse_value|dependency_closure|RecordReader::load|LevelDbSpace|leveldb::DBImpl::Write|SHA_256::compress|Keystone[A-Za-z]*::(sign|verify)|KeystoneSigner|decode_request|payloads_from_text|StagingArea::(stage|commit)|handle_request|lws_service|_SyncSender|run_sender|sync_with|malloc|_int_free|exc_page_fault' |
    sed 's/  */ /g' | cut -c1-160 | head -n 40
done
