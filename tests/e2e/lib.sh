# Shared by the e2e scripts: source it after setting $plugins and $work.

# deployment NAME LISTEN [ADMIN_PORT]: LevelDB + memory staging + keystone
# (secrets on disk) + websocket, as shipped; ends with an open `sync:`
# section that the caller may append keys to.
deployment() {
  cat <<YAML
node:
  name: $1
  plugin_dirs: [$plugins]
spaces:
  - name: main
    plugin: space-leveldb
    role: durable
    config:
      path: $work/$1/db
  - name: staging
    plugin: space-memory
    role: temporary
signers:
  - name: keys
    plugin: signer-keystone
    config:
      secrets_dir: $work/$1/secrets
transports:
  - name: ws
    plugin: transport-websocket
    listen: $2
YAML
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

# The websocket endpoint a running gibd printed in its log file.
ws_endpoint() { sed -n 's/.* at \(ws:[^;]*\).*/\1/p' "$1" | head -n 1; }

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
