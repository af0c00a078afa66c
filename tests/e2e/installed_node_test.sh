#!/usr/bin/env bash
# `cmake --install --component runtime` into an empty prefix gives a node
# that runs from there alone: gib and gibd report their version, gibd finds
# the installed plugins by its default directory (<bin>/../lib/gibkit/plugins),
# validates a deployment, and the systemd unit is installed with the
# prefix's gibd in it.
#
# usage: installed_node_test.sh BUILD_DIR
set -euo pipefail
build=$1
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"  # fail, yaml_*
prefix=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" --component runtime >/dev/null
"$prefix/bin/gib" --version | grep -q '^gib [0-9]' || fail "gib --version"
"$prefix/bin/gibd" --version | grep -q '^gibd [0-9]' || fail "gibd --version"
plugins=$("$prefix/bin/gibd" plugins)
for plugin in space-memory space-leveldb signer-keystone signer-ed25519 transport-websocket; do
  printf '%s\n' "$plugins" | grep -q " $plugin " || fail "gibd plugins does not list $plugin: $plugins"
done
# No plugin_dirs: gibd's default must find the plugins.
{
  printf 'node:\n  name: installed\nspaces:\n'
  yaml_leveldb_main "$prefix/db"
  yaml_staging_keystone "$prefix/secrets"
} >"$prefix/node.yaml"
"$prefix/bin/gibd" validate "$prefix/node.yaml" | grep -q '^OK' || fail "gibd validate"
"$prefix/bin/gib" fork --config "$prefix/node.yaml" --ib "note installed" >/dev/null || fail "gib fork"
unit="$prefix/lib/systemd/system/gibd@.service"
[ -f "$unit" ] || fail "no systemd unit"
grep -q "^ExecStart=.*/gibd --config /etc/gibkit/%i.yaml" "$unit" || fail "the unit does not run gibd: $(cat "$unit")"
echo "installed node runs from $prefix"
