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
# --against DIR: side by side with another build (the "before" of a change,
# e.g. a `git archive` of the previous commit built in DIR): at each size,
# R rounds alternate a sync by DIR's gib/gibd and one by this build's, each
# to a fresh Bob, from the same Alice; prints both medians and their ratio.
#
# --profile N: one more sync of N records to an empty Bob, with `perf record`
# (DWARF call graphs) on Bob's gibd and on Alice's `gib sync`; keeps the data
# in $GIBKIT_PROFILE_DIR (default /tmp/gibkit-sync-profile) and prints the
# top symbols of each side. Not part of the timed figures.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${GIBKIT_BUILD_DIR:-$repo/build-bench}
gib=$build/bin/gib
gibd=$build/bin/gibd
plugins=$build/lib/gibkit/plugins
bench=$repo/tools/bench
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
for tool in "$gib" "$gibd"; do [ -x "$tool" ] || { echo "missing $tool (build it, or set GIBKIT_BUILD_DIR)" >&2; exit 2; }; done

after_build=$build
# use_build DIR: gib, gibd and plugins of DIR from here on.
use_build() {
  gib=$1/bin/gib
  gibd=$1/bin/gibd
  plugins=$1/lib/gibkit/plugins
}

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-sync-vs-git.XXXXXX")
bob_pid=""
cleanup() {
  if [ -n "$bob_pid" ]; then kill "$bob_pid" 2>/dev/null || true; wait "$bob_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
load() { sed 's/.*load average: //' /proc/loadavg 2>/dev/null | awk '{print $1}'; }
log() { echo "[$(date +%T) load $(load)] $*" >&2; }

deployment() {  # NAME LISTEN TRUST_FILE
  cat <<YAML
node: {name: $1, plugin_dirs: [$plugins]}
spaces:
  - {name: main, plugin: space-leveldb, role: durable, config: {path: $work/$1/db}}
  - {name: staging, plugin: space-memory, role: temporary}
signers:
  - {name: keys, plugin: signer-keystone, config: {secrets_dir: $work/$1/secrets}}
transports:
  - {name: ws, plugin: transport-websocket, listen: $2, config: {address: 127.0.0.1, port: 0}}
sync:
  trust: [$3]
YAML
}

# new_node NAME LISTEN TRUST_FILE: a fresh node directory and deployment.
new_node() {
  rm -rf "$work/$1"
  mkdir -p "$work/$1/secrets"
  chmod 700 "$work/$1/secrets"
  deployment "$1" "$2" "$3" >"$work/$1.yaml"
}

# start_bob [PREFIX...]: Bob's gibd in the background (bob_pid, url).
start_bob() {
  : >bob.out
  "$@" "$gibd" --config bob.yaml --log-level warn >bob.out 2>&1 &
  bob_pid=$!
  local tries=0
  until grep -q ' at ws:' bob.out 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$bob_pid" 2>/dev/null; then echo "gibd did not start:" >&2; cat bob.out >&2; exit 1; fi
    sleep 0.05
  done
  url=$(sed -n 's/.* at \(ws:[^;]*\).*/\1/p' bob.out | head -n 1)
}

# bob_cpu: user + system clock ticks of Bob's gibd so far (all threads).
bob_cpu() { awk '{print $14 + $15}' "/proc/$bob_pid/stat"; }

stop_bob() {
  [ -n "$bob_pid" ] || return 0
  kill -TERM "$bob_pid" 2>/dev/null || true
  wait "$bob_pid" 2>/dev/null || true
  bob_pid=""
}

# fresh_bob: an empty receiver that trusts Alice; sets bob_domain.
fresh_bob() {
  new_node bob true "$work/alice-domain.json"
  bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
}

# fill_alice N: a fresh Alice with N random stones and their tag timelines
# (tags: their addresses, one per line).
fill_alice() {
  local n=$1 t0
  t0=$(now_ms)
  new_node alice false "$work/bob-domain.json"
  "$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
  python3 - "$n" >stones.in <<'PY'
import base64, os, sys
for i in range(int(sys.argv[1])):
    text = base64.b64encode(os.urandom(900)).decode()  # 1,200 characters; the record ~1.3 KiB
    sys.stdout.write('{"ib":"stone %d","gib":"","data":{"i":%d,"text":"%s"}}\n' % (i, i, text))
PY
  "$gib" hash <stones.in >stones.gib
  paste -d '\t' stones.gib stones.in | awk -F '\t' '{ sub(/"gib":""/, "\"gib\":\"" $1 "\"", $2); print $2 }' >stones.jsonl
  paste -d '^' <(awk '{print "stone " NR - 1}' stones.gib) stones.gib >stones.addr
  "$gib" put --config alice.yaml --all-or-nothing stones.jsonl >put.out 2>&1 || { cat put.out >&2; exit 1; }
  : >tags
  local k tag args
  for ((k = 0; k * 1000 < n; k++)); do
    tag=$("$gib" fork --config alice.yaml --ib "tag $k" --data "{\"k\":$k}")
    mapfile -t args < <(sed -n "$((k * 1000 + 1)),$((k * 1000 + 1000))p" stones.addr | sed 's/^/--rel8n\ntarget=/')
    "$gib" rel8 --config alice.yaml "$tag" "${args[@]}" >/dev/null
    echo "$tag" >>tags
  done
  log "Alice: $n stones ($(($(wc -c <stones.jsonl) / n)) bytes each), $(wc -l <tags) tag timelines, in $(($(now_ms) - t0)) ms"
}

# timed_sync OUT ARGS...: runs gib sync; prints its wall time in ms.
timed_sync() {
  local out=$1 t0 rc=0 heads
  shift
  mapfile -t heads <tags
  t0=$(now_ms)
  local bob_cpu0
  bob_cpu0=$(bob_cpu)
  "$@" /usr/bin/time -f '%U %S' -o "$out.cpu" \
    "$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "${heads[@]}" >"$out" 2>"$out.err" || rc=$?
  local ms=$(($(now_ms) - t0))
  # CPU seconds of each side during the sync: sender (user + sys) and receiver.
  awk -v b="$(( $(bob_cpu) - bob_cpu0 ))" -v hz="$(getconf CLK_TCK)" \
    '{printf "%.2f %.2f\n", $1 + $2, b / hz}' "$out.cpu" >"$out.cpus"
  [ "$rc" -eq 0 ] || { echo "gib sync failed ($rc):" >&2; tail -n 5 "$out.err" >&2; exit 1; }
  echo "$ms"
}

# ------------------------------------------------------ side by side
if [ -n "$against" ]; then
  echo "| N | records | before: ms (median of $runs) | after: ms | before / after | CPU s sender / receiver, before | after | load |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in "${sizes[@]}"; do
    use_build "$after_build"
    fill_alice "$n"
    declare -A times=() cpus=()
    for ((r = 1; r <= runs; r++)); do
      for side in before after; do
        [ "$side" = before ] && use_build "$against" || use_build "$after_build"
        deployment alice false "$work/bob-domain.json" >"$work/alice.yaml"
        fresh_bob
        start_bob
        times[$side]+="$(timed_sync "cmp-$side-$n-$r.out") "
        cpus[$side]+="$(tr ' ' '/' <"cmp-$side-$n-$r.out.cpus") "
        stop_bob
      done
    done
    b=$(tr ' ' '\n' <<<"${times[before]}" | grep . | median)
    a=$(tr ' ' '\n' <<<"${times[after]}" | grep . | median)
    echo "| $n | $(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "cmp-after-$n-1.out") | $b (${times[before]% }) | $a (${times[after]% }) | $(awk -v x="$b" -v y="$a" 'BEGIN {printf "%.2fx", x / (y > 0 ? y : 1)}') | ${cpus[before]% } | ${cpus[after]% } | $(load) |"
  done
  exit 0
fi

# -------------------------------------------------------------- gibkit
declare -A gk_records gk_ms gk_saga gk_bytes gk_load gk_cpu_sender gk_cpu_receiver
one_median=""
one_times=""
for n in "${sizes[@]}"; do
  fill_alice "$n"
  fresh_bob
  start_bob
  gk_load[$n]=$(load)
  ms=$(timed_sync "sync-$n.out")
  gk_ms[$n]=$ms
  gk_records[$n]=$(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "sync-$n.out")
  gk_saga[$n]=$(sed -n 's/^time: \([0-9]*\) ms.*/\1/p' "sync-$n.out")
  gk_bytes[$n]=$(sed -n 's/^bytes: \(.*\) sent,.*/\1/p' "sync-$n.out")
  read -r gk_cpu_sender[$n] gk_cpu_receiver[$n] <"sync-$n.out.cpus"
  log "gib sync N=$n: ${gk_records[$n]} records in $ms ms (saga ${gk_saga[$n]} ms, ${gk_bytes[$n]} sent; $(grep '^time:' "sync-$n.out" | sed 's/^time: [0-9]* ms, //'); CPU s: sender ${gk_cpu_sender[$n]}, receiver ${gk_cpu_receiver[$n]})"
  if [ -z "$one_median" ]; then
    note=$("$gib" fork --config alice.yaml --ib "note bench" --data '{"text":"0"}')
    echo "$note" >tags
    timed_sync one-first.out >/dev/null
    times=()
    for ((i = 1; i <= runs; i++)); do
      text=$(head -c 900 /dev/urandom | base64 -w0)
      note=$("$gib" mut8 --config alice.yaml "$note" --data "{\"text\":\"$text\"}")
      echo "$note" >tags
      times+=($(timed_sync "one-$i.out"))
      grep -q '^records: 2 sent' "one-$i.out" || log "warning: one-record sync sent $(grep '^records:' "one-$i.out")"
    done
    one_times=$(IFS=,; echo "${times[*]}")
    one_median=$(printf '%s\n' "${times[@]}" | median)
    log "one-record gib sync: median $one_median ms ($one_times)"
  fi
  stop_bob
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

# ------------------------------------------------------------- profile
[ -n "$profile_n" ] || exit 0
command -v perf >/dev/null || { echo "perf not found (apt-get install linux-perf)" >&2; exit 1; }
mkdir -p "$profile_dir"
fill_alice "$profile_n"
fresh_bob
start_bob
perf record -q -F 499 --call-graph dwarf,32768 -o "$profile_dir/receiver.data" -p "$bob_pid" 2>"$profile_dir/receiver.perf.err" &
perf_pid=$!
sleep 1
ms=$(timed_sync profile.out perf record -q -F 499 --call-graph dwarf,32768 -o "$profile_dir/sender.data")
kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
log "profiled gib sync N=$profile_n: $(grep '^records:' profile.out), $ms ms under perf"
stop_bob
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
