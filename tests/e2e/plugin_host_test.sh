#!/usr/bin/env bash
# Host services through real processes: a gibd whose durable space is the C
# example plugin (examples/space-files-c) and whose staging space is the C++
# one (examples/space-capped). Each logs through the host: its lines land in
# gibd's logfmt log with the plugin's name; a record written through the
# running gibd (gib's local API) is counted in gibd's /metrics by the C
# plugin, and the C++ plugin's counter is there too.
#
# usage: plugin_host_test.sh GIB GIBD PLUGIN_DIR CAPPED_PLUGIN_DIR
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 capped=$4
script_dir=$(cd "$(dirname "$0")" && pwd)

source "$script_dir/lib.sh"  # e2e_workdir, start_gibd, wait_for_line
e2e_workdir plugin-host

fail() { echo "FAIL: $*" >&2; echo "--- node.out" >&2; cat node.out >&2; exit 1; }
metric() { printf '%s\n' "$1" | awk -v name="$2" '$1 == name { print $2 }'; }

cat >node.yaml <<YAML
node:
  name: hosted
  plugin_dirs: [$plugins, $capped]
spaces:
  - name: main
    plugin: space-files-c
    role: durable
    config:
      path: $work/files
  - name: staging
    plugin: space-capped
    role: temporary
    config:
      max_records: 1000
      label: staging
signers:
  - name: keys
    plugin: signer-keystone
    config:
      secrets_dir: $work/secrets
transports:
  - name: ws
    plugin: transport-websocket
    listen: true
admin:
  port: 0
sync:
YAML

start_gibd node
wait_for_line node.out "event=admin.listening" "${pids[0]}"
admin=$(sed -n 's/.*event=admin.listening endpoint=\(http:[^ ]*\).*/\1/p' node.out | head -n 1)
[ -n "$admin" ] || fail "no admin endpoint"

# The plugins' own lines, in gibd's log, with their names.
grep -q "level=info event=space_files.opened plugin=space-files-c path=$work/files create_if_missing=true" node.out ||
  fail "no space_files.opened line from space-files-c"
grep -q "level=info event=space_capped.created plugin=space-capped label=staging max_records=1000" node.out ||
  fail "no space_capped.created line from space-capped"

# A record written through the running gibd: one more batch in its metrics.
before=$(curl -sS "$admin/metrics")
batches_before=$(metric "$before" 'gibkit_plugin_space_files_batches_total{plugin="space-files-c"}')
"$gib" fork --config node.yaml --ib "note hosted" --data '{"text":"one"}' >fork.out 2>fork.err ||
  { cat fork.err >&2; fail "gib fork failed"; }
after=$(curl -sS "$admin/metrics")
batches_after=$(metric "$after" 'gibkit_plugin_space_files_batches_total{plugin="space-files-c"}')
[ -n "$batches_after" ] && [ "${batches_after%.*}" -gt "${batches_before%.*}" ] ||
  fail "batches before '$batches_before', after '$batches_after': $after"
count=$(metric "$after" 'gibkit_plugin_space_files_batch_seconds_count{plugin="space-files-c"}')
[ "$count" = "$batches_after" ] || fail "timed batches '$count' != batches '$batches_after'"
[ "$(metric "$after" 'gibkit_plugin_space_capped_refused_batches_total{plugin="space-capped"}')" = "0" ] ||
  fail "no space-capped counter: $after"
printf '%s\n' "$after" | grep -q '^# TYPE gibkit_plugin_space_files_batch_seconds histogram' || fail "no histogram type"
echo "plugin host services checked"
