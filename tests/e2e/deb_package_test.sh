#!/usr/bin/env bash
# The Debian package (packaging/cpack.cmake) installs and runs: cpack builds
# the .deb from this build directory, `dpkg -i` installs it (its
# dependencies must be installed already: tools/install-deps.sh installs
# them; nothing is fetched), and then only the installed files are used:
# gib and gibd from /usr/bin report their version, the man pages render,
# the systemd unit runs /usr/bin/gibd, and two nodes with no plugin_dirs
# (so gibd's default, /usr/lib/gibkit/plugins) sync: Bob's gibd receives
# Alice's `gib sync`, and Bob's node then shows her note through his local
# API. The package is purged on every way out.
#
# Needs root (dpkg); exits 77 (skipped) otherwise. Label `package`.
#
# usage: deb_package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
script_dir=$(cd "$(dirname "$0")" && pwd)
source "$script_dir/lib.sh"  # fail, stop_pids, deployment, start_gibd, ws_endpoint

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: installing a .deb needs root"
  exit 77
fi
# Never purge a gibkit someone installed on purpose.
if dpkg-query -W -f='${Status}' gibkit 2>/dev/null | grep -q "ok installed"; then
  fail "a gibkit package is installed already; remove it first (dpkg --purge gibkit)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gibkit-deb.XXXXXX")
pids=()
installed=false
cleanup() {
  stop_pids
  if $installed; then dpkg --purge gibkit >/dev/null || echo "could not purge gibkit" >&2; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

cpack --config "$build/CPackConfig.cmake" -B "$work/package" >cpack.out 2>&1 || { cat cpack.out >&2; fail "cpack"; }
deb=$(ls "$work"/package/gibkit_*_amd64.deb)
[ -f "$deb" ] || fail "cpack made no .deb: $(cat cpack.out)"

# What the package says of itself and holds.
depends=$(dpkg-deb -f "$deb" Depends)
for library in libbotan-2 libwebsockets libleveldb libyaml-cpp libboost-filesystem; do
  [[ "$depends" == *"$library"* ]] || fail "Depends lacks $library: $depends"
done
contents=$(dpkg-deb -c "$deb")
for file in ./usr/bin/gib ./usr/bin/gibd ./usr/lib/gibkit/plugins/libgibkit-space-leveldb.so \
  ./usr/lib/gibkit/plugins/libgibkit-transport-websocket.so ./usr/lib/gibkit/plugins/libgibkit-space-postgres.so \
  ./usr/lib/gibkit/plugins/space-postgres/libgibkit-space-postgres-client.so ./usr/lib/systemd/system/gibd@.service \
  ./usr/share/man/man1/gib.1 ./usr/share/man/man1/gibd.1 ./usr/include/gibkit/plugin_abi.h \
  ./usr/lib/cmake/gibkit/gibkitConfig.cmake; do
  grep -q " $file\$" <<<"$contents" || fail "the package lacks $file"
done

installed=true
dpkg -i "$deb" >dpkg.out 2>&1 || { cat dpkg.out >&2; fail "dpkg -i (are tools/install-deps.sh's packages installed?)"; }

gib=/usr/bin/gib gibd=/usr/bin/gibd
# Output is captured before it is searched: with pipefail, `grep -q` closing
# the pipe early would fail the writer.
[[ "$("$gib" --version)" =~ ^gib\ [0-9] ]] || fail "gib --version"
[[ "$("$gibd" --version)" =~ ^gibd\ [0-9] ]] || fail "gibd --version"
man -P cat -l /usr/share/man/man1/gib.1 >gib.man 2>man.err || fail "man gib: $(cat man.err)"
grep -q "sagas" gib.man || fail "man gib does not render the command list: $(cat gib.man)"
man -P cat -l /usr/share/man/man1/gibd.1 >gibd.man 2>man.err || fail "man gibd: $(cat man.err)"
grep -q "gibd validate FILE" gibd.man || fail "man gibd does not render the usage: $(cat gibd.man)"
grep -q '^ExecStart=/usr/bin/gibd --config /etc/gibkit/%i.yaml$' /usr/lib/systemd/system/gibd@.service ||
  fail "the unit does not run /usr/bin/gibd: $(cat /usr/lib/systemd/system/gibd@.service)"
"$gibd" plugins >plugins.out || fail "gibd plugins"
grep -q "^  /usr/lib/gibkit/plugins/libgibkit-space-leveldb.so$" plugins.out ||
  fail "gibd does not find the installed plugins: $(cat plugins.out)"

# The demo: the shipped shape of a node (lib.sh), minus plugin_dirs.
plugins=unused
deployment alice false | sed '/plugin_dirs/d' >alice.yaml
deployment bob true | sed '/plugin_dirs/d' >bob.yaml
"$gibd" validate bob.yaml >validate.out || fail "gibd validate: $(cat validate.out)"
note=$("$gib" fork --config alice.yaml --ib "note packaged" --data '{"text":"from the .deb"}')
bob_domain=$(pair_trust alice bob)

start_gibd bob
url=$(ws_endpoint bob.out)
[ -n "$url" ] || fail "no websocket endpoint in: $(cat bob.out)"
"$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note" >sync.out 2>sync.err ||
  { cat sync.err bob.out >&2; fail "sync between the installed nodes"; }
# Bob's gibd runs: these go through its local API.
"$gib" get --config bob.yaml "$note" >note.out || fail "gib get on Bob"
grep -q '"from the .deb"' note.out || fail "Bob does not hold Alice's note: $(cat note.out)"
"$gib" sagas --config bob.yaml >sagas.out || fail "gib sagas on Bob"
grep -q $'\treceiver\tcommitted\tinit,' sagas.out || fail "gib sagas: $(cat sagas.out)"
# The README's demo itself, run by the installed binaries: a build directory
# of nothing but links to /usr/bin, so gib and gibd find their plugins where
# the package put them (/usr/lib/gibkit/plugins, next to /usr/bin).
mkdir -p installed/bin
ln -s /usr/bin/gib /usr/bin/gibd installed/bin/
GIBKIT_BUILD_DIR=$PWD/installed bash "$script_dir/../../tools/demo.sh" >demo.out 2>&1 ||
  fail "the demo with the installed binaries: $(tail -n 20 demo.out)"
grep -q '^  merged  ' demo.out || fail "the demo did not merge: $(tail -n 20 demo.out)"
echo "the .deb installs and runs: $(basename "$deb")"
