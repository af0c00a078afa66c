# Shared by the e2e scripts (and tests/crash, tests/postgres): source it
# first; the deployment helpers read $plugins and $work when called.

fail() { echo "FAIL: $*" >&2; exit 1; }  # scripts with more to show redefine it

# fail_showing MESSAGE FILE...: fails with MESSAGE after the last lines of
# each FILE that exists (the processes' logs), for a script's own fail().
fail_showing() {
  local message=$1 f
  shift
  echo "FAIL: $message" >&2
  for f in "$@"; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}

# stop_pids: SIGTERM to each process in $pids, waiting for each; errors are
# ignored (for cleanup traps, where a process may be gone already).
stop_pids() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}

# e2e_workdir NAME: a fresh $work (gibkit-NAME.XXXXXX under $TMPDIR), made
# the current directory, an empty $pids, and an EXIT trap that stops $pids
# and removes $work.
e2e_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-$1.XXXXXX")
  pids=()
  trap 'stop_pids; rm -rf "$work"' EXIT
  cd "$work"
}

# The pieces of a deployment, for the scripts whose nodes differ from
# deployment's below (the lines are YAML at the top level or in `spaces:`).
# yaml_node NAME: `node:` with $plugins, and the `spaces:` heading.
yaml_node() {
  cat <<YAML
node:
  name: $1
  plugin_dirs: [$plugins]
spaces:
YAML
}
# yaml_leveldb_main PATH: the durable space, LevelDB at PATH.
yaml_leveldb_main() {
  cat <<YAML
  - name: main
    plugin: space-leveldb
    role: durable
    config:
      path: $1
YAML
}
# yaml_staging_keystone SECRETS_DIR: memory staging (the last space) and the
# keystone signer keeping its secrets in SECRETS_DIR.
yaml_staging_keystone() {
  cat <<YAML
  - name: staging
    plugin: space-memory
    role: temporary
signers:
  - name: keys
    plugin: signer-keystone
    config:
      secrets_dir: $1
YAML
}
# yaml_websocket LISTEN: the websocket transport (the caller may append its
# `config:`).
yaml_websocket() {
  cat <<YAML
transports:
  - name: ws
    plugin: transport-websocket
    listen: $1
YAML
}

# deployment NAME LISTEN [ADMIN_PORT]: LevelDB + memory staging + keystone
# (secrets on disk) + websocket, as shipped; ends with an open `sync:`
# section that the caller may append keys to.
deployment() {
  yaml_node "$1"
  yaml_leveldb_main "$work/$1/db"
  yaml_staging_keystone "$work/$1/secrets"
  yaml_websocket "$2"
  if [ -n "${3:-}" ]; then printf 'admin:\n  port: %s\n' "$3"; fi
  echo "sync:"
}

# wait_for_line FILE PATTERN PID: until FILE has a line matching PATTERN
# (bounded, 60 s; readiness, not timing), or PID has exited.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 tries=0
  until grep -q "$pattern" "$file" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "no line matching '$pattern' in $file:" >&2
      cat "$file" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# pair_trust SENDER RECEIVER: exports both nodes' domains (NAME-domain.json)
# and makes each trust the other's (a `trust:` line ending its deployment's
# `sync:`); prints the receiver's domain identity, for --peer-domain.
pair_trust() {
  # Chained: in $(...) set -e does not stop the function at a failure.
  "$gib" keystone --config "$1.yaml" export "$1-domain.json" >/dev/null &&
    "$gib" keystone --config "$2.yaml" export "$2-domain.json" &&
    echo "  trust: [$1-domain.json]" >>"$2.yaml" &&
    echo "  trust: [$2-domain.json]" >>"$1.yaml"
}

# The websocket endpoint a running gibd printed in its log file.
ws_endpoint() { sed -n 's/.* at \(ws:[^;]*\).*/\1/p' "$1" | head -n 1; }

# start_gibd NAME: gibd on NAME.yaml in the background (its pid appended to
# $pids), its output in NAME.out; returns once it prints "running".
start_gibd() {
  # Emptied here, not by the redirection: that happens in the child, maybe
  # after the wait below has read a previous gibd's "running" line.
  : >"$1.out"
  "$gibd" --config "$1.yaml" >>"$1.out" 2>&1 &
  pids+=($!)
  wait_for_line "$1.out" "running" "$!"
}

# status_kb PID KEY: a field of /proc/PID/status in kB (VmHWM: the peak
# resident set; VmRSS, RssAnon: the current one, all or anonymous only).
status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
mib() { echo $(( $1 / 1024 )); }  # kB -> MiB

# stone_set CONFIG NAME COUNT: COUNT stones "stone NAME i" stored in one
# all-or-nothing `gib put`, and a new timeline "tag NAME" whose head relates
# them all; prints the tag's head address (what `gib rel8` prints).
stone_set() {
  local config=$1 name=$2 count=$3 i tag args=()
  for ((i = 0; i < count; i++)); do
    printf '{"ib":"stone %s %d","gib":"","data":{"set":"%s","i":%d,"text":"a record of set %s, number %d"}}\n' \
      "$name" "$i" "$name" "$i" "$name" "$i"
  done >"$name.in"
  "$gib" hash <"$name.in" >"$name.gib"
  paste -d '\t' "$name.in" "$name.gib" | while IFS=$'\t' read -r record gib_; do
    printf '%s\n' "${record/\"gib\":\"\"/\"gib\":\"$gib_\"}"
  done >"$name.jsonl"
  "$gib" put --config "$config" --all-or-nothing "$name.jsonl" 2>"$name.put" >/dev/null || { cat "$name.put" >&2; return 1; }
  tag=$("$gib" fork --config "$config" --ib "tag $name")
  while IFS=$'\t' read -r i gib_; do args+=(--rel8n "target=stone $name $i^$gib_"); done \
    < <(paste -d '\t' <(seq 0 $((count - 1))) "$name.gib")
  "$gib" rel8 --config "$config" "$tag" "${args[@]}"
}
