#!/bin/sh
# Starts gibd on a deployment, waits until it reports running, sends SIGTERM
# and checks that it shut down cleanly (exit 0, the node.stopping event logged).
# usage: gibd_run_test.sh GIBD CONFIG PLUGIN_DIR
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" --config "$2" --plugin-dir "$3" >"$out" 2>&1 &
pid=$!
# Wait (bounded) for the startup line; this is readiness, not a timing check.
i=0
until grep -q "running" "$out"; do
  i=$((i + 1))
  if [ "$i" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "gibd did not start:"; cat "$out"; kill "$pid" 2>/dev/null; exit 1
  fi
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
rc=$?
cat "$out"
[ "$rc" -eq 0 ] && grep -q "event=node.stopping signal=SIGTERM" "$out"
