#!/usr/bin/env bash
# Two gibd processes sync over websocket on loopback, each with a LevelDB
# space: Bob listens (port chosen by the OS), Alice pushes her timelines to
# him with her deployment's sync.push_peers / push_addresses. Afterwards Bob
# must hold Alice's heads and the same records.
#
# usage: two_gibd_sync_test.sh GIB GIBD PLUGIN_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3

script_dir=$(cd "$(dirname "$0")" && pwd)
source "$script_dir/lib.sh"  # e2e_workdir, deployment, start_gibd, wait_for_line, ws_endpoint
e2e_workdir e2e

deployment alice false >alice.yaml
echo "  endorsement_history: 4" >>alice.yaml
deployment bob true >bob.yaml
echo "  endorsement_history: 4" >>bob.yaml

note=$("$gib" fork --config alice.yaml --ib "note e2e" --data '{"text":"one"}')
note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"two"}')
other=$("$gib" fork --config alice.yaml --ib "note other" --data '{"text":"x"}')
tag=$("$gib" fork --config alice.yaml --ib "tag e2e")
tag=$("$gib" rel8 --config alice.yaml "$tag" --rel8n "target=$note" --rel8n "target=$other")

bob_domain=$(pair_trust alice bob)

start_gibd bob
url=$(ws_endpoint bob.out)
[ -n "$url" ] || { echo "no endpoint in: $(cat bob.out)" >&2; exit 1; }

{
  echo "  peers: {\"$url\": \"$bob_domain\"}"
  echo "  push_peers: [\"$url\"]"
  echo "  push_addresses: [\"$note\", \"$tag\"]"
} >>alice.yaml
"$gibd" --config alice.yaml >alice.out 2>&1 &
pids+=($!)
wait_for_line alice.out "event=push.done\|event=push.failed" "${pids[1]}"
cat alice.out
grep -q "event=push.done peer=$url" alice.out

# Stop both (their LevelDB directories are locked while they run).
for pid in "${pids[@]}"; do kill -TERM "$pid"; wait "$pid"; done
pids=()

# Pushed timelines: same history and records on both sides.
for timeline in "$note" "$tag"; do
  alice_log=$("$gib" log --config alice.yaml "$timeline")
  bob_log=$("$gib" log --config bob.yaml "$timeline")
  [ "$alice_log" = "$bob_log" ] || { printf 'logs differ:\n%s\n---\n%s\n' "$alice_log" "$bob_log" >&2; exit 1; }
  while IFS= read -r frame; do
    [ "$("$gib" get --config alice.yaml "$frame")" = "$("$gib" get --config bob.yaml "$frame")" ] ||
      { echo "record differs: $frame" >&2; exit 1; }
  done < <(printf '%s\n' "$alice_log" | cut -f3)
done
# "note other" was not pushed itself, but the tag relates it, so Bob holds
# that frame (a sync sends complete graphs).
[ "$("$gib" get --config alice.yaml "$other")" = "$("$gib" get --config bob.yaml "$other")" ] ||
  { echo "related record missing at Bob: $other" >&2; exit 1; }
echo "Bob holds Alice's heads and records"
