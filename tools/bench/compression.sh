#!/usr/bin/env bash
# Compression of message bodies (transport-websocket `compression`,
# docs/transport.md): bytes on the wire and wall time of a real `gib sync`
# between two processes on loopback, uncompressed against permessage-deflate,
# for two kinds of records:
#   random: ~1.3 KiB stones of base64 of /dev/urandom (as sync_vs_git.sh);
#   text:   ~1.3 KiB JSON notes of English-like prose (a title, a body of
#           sentences from a 200-word vocabulary, tags), text-heavy records.
#
#   bash tools/bench/compression.sh [--runs R] [N]
#        (default N: 10000, R: 1; needs a Release build in $GIBKIT_BUILD_DIR,
#         default build-bench, with gib, gibd and the space-leveldb,
#         space-memory, signer-keystone and transport-websocket plugins)
#
# Alice (sender, `gib sync`) and Bob (receiver, a `gibd`), each with a
# LevelDB durable space, memory staging, a keystone signer and websocket; both
# ends get the same `compression` (a connection is compressed only when both
# say deflate). Alice holds N records and one tag timeline per 1,000 of them;
# each run syncs them all to an empty Bob. Time: the whole `gib sync` process,
# median of R runs, and the CPU seconds of each side in each run (`gib sync`
# by /usr/bin/time, Bob's gibd from /proc). Bytes: both directions of the TCP
# connection, counted by tools/bench/tcp_count.py in one more, untimed run
# through the relay. GIBKIT_KEEP_WORK=1 keeps the scratch directory.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/tools/bench/bench_lib.sh"
build=${GIBKIT_BUILD_DIR:-$repo/build-bench}
bench_use_build "$build"
count=$repo/tools/bench/tcp_count.py

runs=1
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    *) break ;;
  esac
done
n=${1:-10000}
bench_require "$gib" "$gibd"

bench_workdir compression

deployment() {  # NAME LISTEN TRUST_FILE COMPRESSION
  bench_deployment "$1" "$2" "$3" "$(leveldb_main "$work/$1/db")" "$work/$1/secrets" signer-keystone "compression: $4"
}

# records KIND N: N records of KIND (random or text) as JSON lines with an
# empty gib, on stdout.
records() {
  python3 - "$1" "$2" <<'PY'
import base64, json, os, random, sys
kind, n = sys.argv[1], int(sys.argv[2])
words = """the of and to in is was that for it with as on be at by this had not are but from or have an they
which one you were all we her she there would their will when who him been has more if no out do so can what
up said about other into than its time only could new them man some these then two first may any like now my
such make over our even most me state after also made many did must before back see through way where get much
go well your know should down work year because come people just say each those take day good how long own too
little use us very great still men here life both between old under last never place same another think house
while high right might came off find states since used give against three himself look few general hand school
part small american home during number again mrs around thought went without however govern don does got public
united point end become head once course fact upon need system set every war put form water took program present
government thing told possible group large until always city didn shall young children note timeline record sync
peer space frame data address relation history edit draft garden river morning letter window kitchen market""".split()
rng = random.Random(11)
weights = [1.0 / (rank + 1) for rank in range(len(words))]  # Zipf-like, as in prose
def sentence():
    chosen = rng.choices(words, weights, k=rng.randint(6, 18))
    return chosen[0].capitalize() + " " + " ".join(chosen[1:]) + rng.choice([".", ".", ".", "?", "!"])
for i in range(n):
    if kind == "random":
        data = {"i": i, "text": base64.b64encode(os.urandom(900)).decode()}
        ib = "stone %d" % i
    else:
        body = ""
        while len(body) < 1050:
            body += sentence() + " "
        data = {"i": i, "title": " ".join(rng.choices(words, weights, k=5)).title(),
                "text": body.strip(), "tags": rng.sample(words[:60], 3), "created": 1764633600 + 37 * i}
        ib = "note %d" % i
    sys.stdout.write(json.dumps({"ib": ib, "gib": "", "data": data}, separators=(",", ":")) + "\n")
PY
}

# fill_alice KIND: a fresh Alice with N records of KIND and their tag
# timelines (tags: their addresses, one per line).
fill_alice() {
  local kind=$1 t0
  t0=$(now_ms)
  bench_new_node alice false "$work/bob-domain.json" none
  "$gib" keystone --config alice.yaml export alice-domain.json >/dev/null
  records "$kind" "$n" >records.in
  bench_put_tagged records
  log "Alice: $n $kind records ($(($(wc -c <records.jsonl) / n)) bytes each), $(wc -l <tags) tag timelines, in $(($(now_ms) - t0)) ms"
}

# start_bob COMPRESSION: an empty receiver (bob_pid, url, port, bob_domain);
# Alice's deployment gets the same compression.
start_bob() {
  bench_new_node bob true "$work/alice-domain.json" "$1"
  deployment alice false "$work/bob-domain.json" "$1" >alice.yaml
  bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
  bench_start_gibd bob
  port=${url##*:}
}

# counted_sync OUT: one sync through tools/bench/tcp_count.py; prints the
# bytes that crossed the connection (both directions).
counted_sync() {
  python3 "$count" 127.0.0.1 "$port" "$1.bytes" >"$1.port" &
  local relay_pid=$!
  pids+=("$relay_pid")
  wait_for "$1.port" '^[0-9]'
  bench_timed_sync "ws://127.0.0.1:$(cat "$1.port")" "$1" >/dev/null
  kill "$relay_pid" 2>/dev/null || true
  wait "$relay_pid" 2>/dev/null || true
  wait_for "$1.bytes" '^bytes'
  sed -n 's/^bytes \([0-9]*\) up \([0-9]*\) down \([0-9]*\)/\1 \2 \3/p' "$1.bytes"
}

rows=()
for kind in random text; do
  fill_alice "$kind"
  for mode in none deflate; do
    times=()
    cpus=()
    for ((r = 1; r <= runs; r++)); do
      start_bob "$mode"
      l=$(load)
      times+=($(bench_timed_sync "$url" "sync-$kind-$mode-$r.out"))
      cpus+=("$(tr ' ' / <"sync-$kind-$mode-$r.out.cpus")")
      bench_stop_gibd
    done
    out=sync-$kind-$mode-1.out
    ms=$(printf '%s\n' "${times[@]}" | median)
    start_bob "$mode"
    read -r total up down < <(counted_sync "counted-$kind-$mode")
    bench_stop_gibd
    records=$(sed -n 's/^records: \([0-9]*\) sent.*/\1/p' "$out")
    saga_ms=$(sed -n 's/^time: \([0-9]*\) ms.*/\1/p' "$out")
    saga_bytes=$(sed -n 's/^bytes: \(.*\) sent,.*/\1/p' "$out")
    log "$kind/$mode: $records records, $ms ms (runs: ${times[*]}; CPU s sender/receiver: ${cpus[*]}; saga $saga_ms ms, $saga_bytes of messages), wire $total bytes (up $up, down $down)"
    rows+=("| $kind | $mode | $records | $total ($up / $down) | $saga_bytes | $ms (${times[*]}) | ${cpus[*]} | $saga_ms | $l |")
  done
done

echo
echo "Compression: N=$n, $(nproc) cores, $(date -u '+%F %H:%M') UTC; load: 1-minute load average when the (last) timed sync started"
echo
echo "| records | compression | records sent | wire bytes (up / down) | message bytes (gib sync) | gib sync ms, median (runs) | CPU s sender / receiver (runs) | saga ms (run 1) | load |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
