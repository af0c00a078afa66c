#!/usr/bin/env bash
# tools/demo.sh: two gibkit nodes on this machine sync signed timelines.
#
#   bash tools/demo.sh       (first run: installs the Debian packages gibkit
#                             needs and builds into build/)
#
# Alice and Bob each get a node (configs/demo/*.yaml): records in LevelDB in a
# temporary directory, keystone identities, websocket on loopback. Alice
# writes a few notes with edits, a tag relating them and a stone; Bob trusts
# Alice's domain identity; Alice syncs to Bob with signed turns; both graphs
# are compared. Then both edit the same note and sync again: a merge.
#
# Environment: GIBKIT_BUILD_DIR (default <repo>/build). Everything the demo
# creates is removed on exit, and Bob's gibd is stopped, whatever happens.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${GIBKIT_BUILD_DIR:-$repo/build}
if [ ! -x "$build/bin/gibd" ] || [ ! -x "$build/bin/gib" ]; then
  echo "== installing dependencies and building gibkit into $build (first run only)"
  bash "$repo/tools/install-deps.sh"
  cmake -S "$repo" -B "$build" && cmake --build "$build" -j"$(nproc)"
fi
gib=$build/bin/gib
gibd=$build/bin/gibd

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-demo.XXXXXX")
bob_pid=""
cleanup() {
  if [ -n "$bob_pid" ]; then
    kill -TERM "$bob_pid" 2>/dev/null || true
    wait "$bob_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$repo/configs/demo/alice.yaml" "$repo/configs/demo/bob.yaml" "$work/"
cd "$work"

# gib on one node: `on alice fork --ib x` = `gib fork --config alice.yaml --ib x`.
on() {
  local node=$1 command=$2
  shift 2
  "$gib" "$command" --config "$node.yaml" "$@"
}

step() { printf '\n== %s\n' "$*"; }

# Bob's gibd serves the saga while it runs; gib cannot open his LevelDB then
# (the directory is locked), so Bob's own edits happen while it is stopped.
start_bob() {
  # Emptied here, not by the redirection: that happens in the child, maybe
  # after the wait below has read the previous start's "running" line (and
  # the address then read from a file emptied meanwhile, as CI once saw).
  : >bob.out
  "$gibd" --config bob.yaml >>bob.out 2>&1 &
  bob_pid=$!
  local tries=0
  until grep -q "running" bob.out; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ] || ! kill -0 "$bob_pid" 2>/dev/null; then
      echo "Bob's gibd did not start:" >&2
      cat bob.out >&2
      exit 1
    fi
    sleep 0.1
  done
  bob_url=$(sed -n 's/.* at \(wss\{0,1\}:[^;]*\).*/\1/p' bob.out | head -n 1)
  sed -n '1p' bob.out
}

stop_bob() {
  kill -TERM "$bob_pid"
  wait "$bob_pid"
  bob_pid=""
}

# Every record of a timeline as one node holds it: each frame (from `gib log`)
# and each record a frame relates that is a dna or identity record.
records_of() {
  local node=$1 address=$2 frame
  on "$node" log "$address" | cut -f3 | while IFS= read -r frame; do
    on "$node" get "$frame"
    { on "$node" get "$frame" | grep -o '"[a-z0-9]*\^[0-9A-F]\{64\}"' || true; } | tr -d '"' | sort -u |
      while IFS= read -r related; do on "$node" get "$related"; done
  done
}

# Same heads and same records on both sides, for every timeline and stone.
compare_graphs() {
  local address count=0
  for address in "$@"; do
    if [ "$(on alice log "$address" | head -n 1 | cut -f3)" != "$(on bob log "$address" 2>/dev/null | head -n 1 | cut -f3)" ] ||
      [ "$(records_of alice "$address")" != "$(records_of bob "$address" 2>/dev/null)" ]; then
      echo "DIFFERENT: $address" >&2
      return 1
    fi
    count=$((count + $(records_of alice "$address" | wc -l)))
  done
  [ "$(on alice get "$stone")" = "$(on bob get "$stone")" ] || { echo "DIFFERENT: $stone" >&2; return 1; }
  echo "graphs are equal: same heads and the same $((count + 1)) records on both nodes (timelines + stone)"
}

step "1. Alice writes: two notes with edits, a tag relating them, a stone"
groceries=$(on alice fork --ib "note groceries" --data '{"text":"milk"}')
groceries=$(on alice mut8 "$groceries" --data '{"text":"milk, eggs"}')
ideas=$(on alice fork --ib "note ideas" --data '{"text":"sync all the things","draft":true}')
ideas=$(on alice mut8 "$ideas" --data '{"title":"ideas"}' --remove draft)
tag=$(on alice fork --ib "tag demo" --data '{"name":"demo"}')
tag=$(on alice rel8 "$tag" --rel8n "target=$groceries" --rel8n "target=$ideas")
stone_json='{"ib":"stone hello","gib":"","data":{"text":"carved once, never changes"}}'
stone_gib=$(printf '%s\n' "$stone_json" | "$gib" hash)
printf '%s\n' "${stone_json/\"gib\":\"\"/\"gib\":\"$stone_gib\"}" | on alice put -
stone="stone hello^$stone_gib"
for timeline in "$groceries" "$ideas" "$tag"; do
  on alice log "$timeline"
done

step "2. Enrollment: each exports its domain identity; each one's sync.trust lists the other's"
alice_domain=$(on alice keystone export alice-domain.json)
bob_domain=$(on bob keystone export bob-domain.json)
echo "Alice's domain identity: $alice_domain"
echo "Bob's domain identity:   $bob_domain"
on alice keystone show "$alice_domain" | head -n 4

step "3. Bob's gibd starts on loopback"
start_bob

step "4. Alice syncs with Bob: her requests and his replies are each signed by a session its domain endorsed"
on alice sync --peer "$bob_url" --peer-domain "$bob_domain" "$groceries" "$ideas" "$tag" "$stone" | tee sync.out
grep -q "^authenticated: peer domain $bob_domain" sync.out
grep "event=saga.accepted" bob.out | grep -q "peer_domain=$alice_domain"
echo "mutual authentication: Alice authenticated Bob as $bob_domain; Bob authenticated Alice as $alice_domain"
stop_bob

step "5. Check: both nodes hold the same graph"
compare_graphs "$groceries" "$ideas" "$tag"
echo "Bob's copy of the tag timeline:"
on bob log "$tag"

step "6. Both edit the groceries note; Alice syncs again"
on alice mut8 "$groceries" --data '{"text":"milk, eggs, bread"}' >/dev/null
on bob mut8 "$groceries" --data '{"done":false}' >/dev/null
echo "Alice: $(on alice log "$groceries" | head -n 1 | cut -f1,4)   Bob: $(on bob log "$groceries" | head -n 1 | cut -f1,4)"
start_bob
on alice sync --peer "$bob_url" --peer-domain "$bob_domain" "$groceries"
stop_bob

step "7. Check after the merge"
compare_graphs "$groceries" "$ideas" "$tag"
echo "The merged groceries timeline (newest first):"
on bob log "$groceries"
on bob get "$(on bob log "$groceries" | head -n 1 | cut -f3)"
