# Shared by the benchmark scripts of tools/bench (sync_vs_git.sh,
# compression.sh, long_timeline.sh, postgres_vs_leveldb.sh,
# one_record_sync.sh): the set-up of the nodes, starting and stopping Bob's
# gibd, and the timed `gib sync`. Source it first; the functions read $gib,
# $gibd, $plugins and $work when called.

# bench_use_build DIR: gib, gibd and the plugins of the build in DIR.
bench_use_build() {
  gib=$1/bin/gib
  gibd=$1/bin/gibd
  plugins=$1/lib/gibkit/plugins
}

# bench_require FILE...: exits 2 naming the first of them that is missing.
bench_require() {
  local tool
  for tool in "$@"; do
    [ -e "$tool" ] || { echo "missing $tool (build it, or set GIBKIT_BUILD_DIR)" >&2; exit 2; }
  done
}

# bench_workdir NAME: a fresh $work (gibkit-NAME.XXXXXX under $TMPDIR), made
# the current directory, an empty $pids, and an EXIT trap that stops Bob and
# $pids and removes $work (kept, and named, when GIBKIT_KEEP_WORK is set).
bench_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-$1.XXXXXX")
  pids=()
  bob_pid=""
  trap 'bench_stop_all; bench_remove_work' EXIT
  cd "$work"
}

# bench_stop_all: SIGTERM to Bob's gibd and each process in $pids, waiting
# for each; errors are ignored (a process may be gone already).
bench_stop_all() {
  local pid
  for pid in ${bob_pid:-} "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
bench_remove_work() {
  if [ -n "${GIBKIT_KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
load() { awk '{print $1}' /proc/loadavg; }  # the 1-minute load average
log() { echo "[$(date +%T) load $(load)] $*" >&2; }

# wait_for FILE PATTERN [TRIES]: until FILE has a line matching PATTERN,
# polled every 50 ms, at most TRIES times (default 600); exits otherwise.
wait_for() {
  local tries=0
  until grep -q "$2" "$1" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt "${3:-600}" ] || { echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1; }
    sleep 0.05
  done
}

# leveldb_main PATH: the durable space, LevelDB at PATH (for bench_deployment).
leveldb_main() { echo "{name: main, plugin: space-leveldb, role: durable, config: {path: $1}}"; }

# bench_deployment NAME LISTEN TRUST DURABLE SECRETS_DIR [SIGNER] [WS_CONFIG]:
# a node as docs/config.md ships it: the DURABLE space (a YAML flow mapping,
# e.g. from leveldb_main), memory staging, SIGNER (default signer-keystone)
# with its secrets in SECRETS_DIR, and websocket on 127.0.0.1 (LISTEN true:
# a port the OS chooses) with WS_CONFIG's further keys ("compression:
# deflate"); it trusts the domain files TRUST. Ends in the `sync:` section.
bench_deployment() {
  cat <<YAML
node: {name: $1, plugin_dirs: [$plugins]}
spaces:
  - $4
  - {name: staging, plugin: space-memory, role: temporary}
signers:
  - {name: keys, plugin: ${6:-signer-keystone}, config: {secrets_dir: $5}}
transports:
  - {name: ws, plugin: transport-websocket, listen: $2, config: {address: 127.0.0.1, port: 0${7:+, $7}}}
sync:
  trust: [$3]
YAML
}

# bench_new_node NAME ARGS...: a fresh node directory $work/NAME (its
# secrets directory made, mode 0700) and $work/NAME.yaml, written by the
# script's own `deployment NAME ARGS...`.
bench_new_node() {
  rm -rf "$work/$1"
  mkdir -p "$work/$1/secrets"
  chmod 700 "$work/$1/secrets"
  deployment "$@" >"$work/$1.yaml"
}

# bench_start_gibd NAME [PREFIX...]: NAME.yaml's gibd in the background
# (--log-level warn; under PREFIX, e.g. perf, if given), output in NAME.out;
# once it runs, bob_pid is its pid and url its websocket endpoint.
bench_start_gibd() {
  local name=$1 tries=0
  shift
  : >"$name.out"
  "$@" "$gibd" --config "$name.yaml" --log-level warn >"$name.out" 2>&1 &
  bob_pid=$!
  # Its "running" line names the endpoints (" at ws://...").
  until grep -q ' at ws:' "$name.out" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$bob_pid" 2>/dev/null; then echo "gibd did not start:" >&2; cat "$name.out" >&2; exit 1; fi
    sleep 0.05
  done
  url=$(sed -n 's/.* at \(ws:[^;]*\).*/\1/p' "$name.out" | head -n 1)
}

# bench_stop_gibd: SIGTERM to Bob's gibd, waiting for it to exit.
bench_stop_gibd() {
  [ -n "$bob_pid" ] || return 0
  kill -TERM "$bob_pid" 2>/dev/null || true
  wait "$bob_pid" 2>/dev/null || true
  bob_pid=""
}

# cpu_ticks PID: user + system clock ticks of PID so far (all threads).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# bench_timed_sync PEER_URL OUT [PREFIX...]: Alice (alice.yaml) syncs the
# timelines listed in the file tags to PEER_URL (domain $bob_domain), under
# PREFIX if given; gib sync's output goes to OUT and OUT.err. Prints the
# wall time in ms, and writes the CPU seconds of each side during it
# ("sender receiver": gib sync by /usr/bin/time, Bob's gibd from /proc) to
# OUT.cpus. Exits if the sync fails.
bench_timed_sync() {
  local peer=$1 out=$2 heads t0 rc=0 bob0 ms
  shift 2
  mapfile -t heads <tags
  bob0=$(cpu_ticks "$bob_pid")
  t0=$(now_ms)
  "$@" /usr/bin/time -f '%U %S' -o "$out.cpu" \
    "$gib" sync --config alice.yaml --peer "$peer" --peer-domain "$bob_domain" "${heads[@]}" >"$out" 2>"$out.err" || rc=$?
  ms=$(($(now_ms) - t0))
  [ "$rc" -eq 0 ] || { echo "gib sync failed ($rc):" >&2; tail -n 5 "$out.err" >&2; exit 1; }
  awk -v b="$(($(cpu_ticks "$bob_pid") - bob0))" -v hz="$(getconf CLK_TCK)" \
    '{printf "%.2f %.2f\n", $1 + $2, b / hz}' "$out.cpu" >"$out.cpus"
  echo "$ms"
}

# random_stones N: N stones of about 1.3 KiB of random content (base64 of
# /dev/urandom) as JSON lines with an empty gib, "stone 0" to "stone N-1".
random_stones() {
  python3 - "$1" <<'PY'
import base64, os, sys
for i in range(int(sys.argv[1])):
    text = base64.b64encode(os.urandom(900)).decode()  # 1,200 characters; the record ~1.3 KiB
    sys.stdout.write('{"ib":"stone %d","gib":"","data":{"i":%d,"text":"%s"}}\n' % (i, i, text))
PY
}

# bench_put_tagged NAME: Alice (alice.yaml) stores the records of NAME.in
# (JSON lines with an empty gib) with `gib hash` and one `gib put`, and
# relates each 1,000 of them from a new tag timeline ("tag K"); the tags'
# addresses go to the file tags, one a line. Leaves NAME.gib, NAME.jsonl and
# NAME.addr (ib^gib).
bench_put_tagged() {
  local name=$1 n k tag args
  n=$(wc -l <"$name.in")
  "$gib" hash <"$name.in" >"$name.gib"
  paste -d '\t' "$name.gib" "$name.in" | awk -F '\t' '{ sub(/"gib":""/, "\"gib\":\"" $1 "\"", $2); print $2 }' >"$name.jsonl"
  paste -d '^' <(sed -n 's/^{"ib":"\([^"]*\)".*/\1/p' "$name.in") "$name.gib" >"$name.addr"
  "$gib" put --config alice.yaml --all-or-nothing "$name.jsonl" >put.out 2>&1 || { cat put.out >&2; exit 1; }
  : >tags
  for ((k = 0; k * 1000 < n; k++)); do
    tag=$("$gib" fork --config alice.yaml --ib "tag $k" --data "{\"k\":$k}")
    mapfile -t args < <(sed -n "$((k * 1000 + 1)),$((k * 1000 + 1000))p" "$name.addr" | sed 's/^/--rel8n\ntarget=/')
    "$gib" rel8 --config alice.yaml "$tag" "${args[@]}" >/dev/null
    echo "$tag" >>tags
  done
}
