#!/usr/bin/env bash
# gibd's local API (issue #12) through the real binaries: `gib` commands on a
# LevelDB node while gibd runs it (forwarded over gibd.sock) print exactly
# what they print on the stopped node; the socket is 0600; a socket left by
# a gibd killed with -9 falls back to the store; trust / untrust / trust
# again of a peer take effect at once with gibd running throughout.
#
# With NODE (node.js, optional) also: a malformed request and the limit of
# concurrent requests, from raw connections.
#
# usage: local_api_test.sh GIB GIBD PLUGIN_DIR [NODE]
set -euo pipefail
gib=$1 gibd=$2 plugins=$3 nodejs=${4:-}

script_dir=$(cd "$(dirname "$0")" && pwd)
source "$script_dir/lib.sh"  # e2e_workdir, fail, deployment, start_gibd, wait_for_line, ws_endpoint
e2e_workdir api
# has_row FILE TJP SOURCE_REGEX STATE: a `gib keystone trusted` line.
has_row() {
  awk -F'\t' -v d="$2" -v s="$3" -v t="$4" '$1 == d && $3 ~ s && $4 == t { found = 1 } END { exit !found }' "$1"
}

# start_api_gibd NAME: start_gibd NAME (lib.sh), and its local API listens.
start_api_gibd() {
  start_gibd "$1"
  grep -q "event=local_api.listening socket=$work/$1.yaml.sock" "$1.out" || fail "no local_api.listening in $(cat "$1.out")"
}
stop_gibd() {  # the last started
  local pid=${pids[-1]}
  kill -TERM "$pid"
  wait "$pid"
  unset 'pids[-1]'
}

# run_all CONFIG DIR: the read commands, each one's stdout, stderr and exit
# status in DIR (compared between gibd running and stopped).
run_all() {
  local config=$1 dir=$2 i=0
  mkdir -p "$dir"
  while IFS= read -r line; do
    i=$((i + 1))
    eval "set -- $line"
    set +e
    "$gib" "$@" >"$dir/$i.out" 2>"$dir/$i.err"
    echo $? >"$dir/$i.rc"
    set -e
  done <<EOF
ls --config $config
get --config $config '$note'
log --config $config '$note'
log --config $config 'note api'
get --config $config 'absent^0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'
keystone --config $config show '$domain'
keystone --config $config export -
keystone --config $config trusted
fsck --config $config
mut8 --config $config 'unknown^1234'
EOF
}

deployment alice false >alice.yaml
echo "  endorsement_history: 4" >>alice.yaml
deployment bob true >bob.yaml
echo "  endorsement_history: 4" >>bob.yaml

# --- a node operated while gibd runs it -----------------------------------
note=$("$gib" fork --config alice.yaml --ib "note api" --data '{"text":"one"}')
domain=$("$gib" keystone --config alice.yaml export alice-domain.json)
start_api_gibd alice
[ "$(stat -c %a alice.yaml.sock)" = 600 ] || fail "socket mode $(stat -c %a alice.yaml.sock), want 600"

# Edits through gibd (the store is locked: these can only work through it).
note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"two"}')
other=$("$gib" fork --config alice.yaml --ib "note other")
printf '%s\n' "$("$gib" get --config alice.yaml "$note")" >records.jsonl
"$gib" put --config alice.yaml <records.jsonl 2>put.err || fail "put through gibd: $(cat put.err)"
grep -q "1 stored, 0 invalid" put.err || fail "put summary: $(cat put.err)"
# From another directory, with a relative --config and file (gibd's cwd differs).
mkdir -p sub
(cd sub && "$gib" put --config ../alice.yaml ../records.jsonl 2>../put2.err) || fail "relative put: $(cat put2.err)"
(cd sub && "$gib" keystone --config ../alice.yaml export exported.json >/dev/null)
cmp sub/exported.json alice-domain.json || fail "export through gibd wrote another frame"
# Input over the local API's 64 MiB limit: a clear error, nothing stored.
set +e
head -c $((64 * 1024 * 1024 + 10)) /dev/zero | "$gib" put --config alice.yaml >/dev/null 2>big.err
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "larger than the 64 MiB" big.err || fail "oversized input: exit $rc, $(cat big.err)"

run_all alice.yaml running
stop_gibd
[ ! -e alice.yaml.sock ] || fail "gibd left its socket after a clean stop"
run_all alice.yaml stopped
for file in running/*; do
  cmp -s "$file" "stopped/${file#running/}" ||
    fail "$file differs with and without gibd:$(printf '\n--- running\n'; cat "$file"; printf -- '--- stopped\n'; cat "stopped/${file#running/}")"
done
grep -q "^0$" running/1.rc && grep -q "note other" running/1.out || fail "ls: $(cat running/1.out running/1.err)"
grep -q "^1$" running/5.rc || fail "get of an absent address: exit $(cat running/5.rc)"
echo "same output with and without gibd ($(ls running/*.out | wc -l) commands)"

# --- raw connections: a malformed request, more than 8 at once ------------
if [ -n "$nodejs" ]; then
  start_api_gibd alice
  # The reply's stderr (after "GIB1", exit, stdout length, stdout, stderr length).
  "$nodejs" -e '
    const s = require("net").connect(process.argv[1], () => s.end("HELLO, gibd"));
    const parts = []; s.on("data", (c) => parts.push(c));
    s.on("end", () => { const r = Buffer.concat(parts); const out = Number(r.readBigUInt64BE(8));
      process.stdout.write(r.readInt32BE(4) + " " + r.subarray(24 + out).toString()); });
  ' "$work/alice.yaml.sock" >garbage.out
  grep -q "^2 gib: local API: not a gibkit local API message" garbage.out || fail "malformed request: $(cat garbage.out)"
  # Eight connections that send nothing hold every slot (accepted in order,
  # before gib's); gib is told gibd is busy; once they close, gib gets in.
  "$nodejs" -e '
    const net = require("net"); const { execFile } = require("child_process");
    const [sock, gib, config] = process.argv.slice(1); const held = []; let open = 0;
    for (let i = 0; i < 8; ++i) held.push(net.connect(sock, () => { if (++open === 8) run(); }));
    function run() {
      execFile(gib, ["ls", "--config", config], (error, stdout, stderr) => {
        process.stdout.write((error ? error.code : 0) + " " + stderr);
        held.forEach((c) => c.destroy());
      });
    }
  ' "$work/alice.yaml.sock" "$gib" alice.yaml >busy.out
  grep -q "^3 gib: gibd is busy: 8 local API requests are running; try again" busy.out || fail "busy: $(cat busy.out)"
  tries=0
  until "$gib" ls --config alice.yaml >after-busy.out 2>&1; do
    tries=$((tries + 1)); [ "$tries" -lt 100 ] || fail "gib never got in after the slots freed: $(cat after-busy.out)"
    sleep 0.1
  done
  cmp -s after-busy.out stopped/1.out || fail "ls after busy differs"
  stop_gibd
  echo "malformed request refused; the 9th concurrent request told gibd is busy"
fi

# --- a stale socket (gibd killed with -9) -----------------------------------
start_api_gibd alice
kill -KILL "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
unset 'pids[-1]'
[ -S alice.yaml.sock ] || fail "expected the killed gibd's socket to remain"
"$gib" ls --config alice.yaml >stale.out || fail "gib with a stale socket did not fall back to the store"
cmp -s stale.out stopped/1.out || fail "ls after kill -9 differs"
start_api_gibd alice  # replaces the stale socket
"$gib" ls --config alice.yaml >restarted.out
cmp -s restarted.out stopped/1.out || fail "ls after restart differs"
stop_gibd
echo "stale socket: fell back to the store, replaced at the next start"

# --- trust, untrust, trust again, gibd (Bob) running throughout -------------
bob_domain=$("$gib" keystone --config bob.yaml export bob-domain.json)
echo "  trust: [bob-domain.json]" >>alice.yaml
start_api_gibd bob
url=$(ws_endpoint bob.out)
[ -n "$url" ] || fail "no endpoint in: $(cat bob.out)"

sync_alice() { "$gib" sync --config alice.yaml --peer "$url" --peer-domain "$bob_domain" "$note"; }

if sync_alice >sync0.out 2>sync0.err; then fail "Bob accepted Alice before trusting her"; fi
"$gib" keystone --config bob.yaml trust - <alice-domain.json >trusted.out || fail "trust: $(cat trusted.out)"
[ "$(cat trusted.out)" = "$domain" ] || fail "trust printed $(cat trusted.out), want $domain"
"$gib" keystone --config bob.yaml trusted >list.out
has_row list.out "$domain" '^command$' trusted || fail "trusted: $(cat list.out)"
sync_alice >sync1.out 2>sync1.err || fail "sync after trust: $(cat sync1.err)"
[ "$("$gib" get --config bob.yaml "$note")" = "$(cat records.jsonl)" ] || fail "Bob does not hold Alice's head"

note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"three"}')
# untrust by a short name: the first 8 characters of the domain's gib.
short=${domain#*^}
"$gib" keystone --config bob.yaml untrust "${short:0:8}" >untrust.out || fail "untrust: $(cat untrust.out)"
"$gib" keystone --config bob.yaml trusted >list2.out
has_row list2.out "$domain" '' UNTRUSTED || fail "trusted after untrust: $(cat list2.out)"
if sync_alice >sync2.out 2>sync2.err; then fail "Bob accepted Alice after untrust"; fi
grep -q "untrusted" sync2.err bob.out || fail "the refusal does not say untrusted: $(cat sync2.err)"

"$gib" keystone --config bob.yaml trust alice-domain.json >/dev/null
sync_alice >sync3.out 2>sync3.err || fail "sync after trust again: $(cat sync3.err)"
[ "$("$gib" log --config bob.yaml "$note" | head -n 1 | cut -f3)" = "$note" ] || fail "Bob did not get the new head"
kill -0 "${pids[-1]}" || fail "Bob's gibd stopped"
stop_gibd
echo "trust, untrust, trust again: effective at once, gibd running throughout"

# --- an untrust outlives a restart with the peer in sync.trust --------------
echo "  trust: [alice-domain.json]" >>bob.yaml
"$gib" keystone --config bob.yaml untrust "$domain" >/dev/null
start_api_gibd bob
url=$(ws_endpoint bob.out)
grep -q "event=sync.trust_untrusted" bob.out || fail "no sync.trust_untrusted warning: $(cat bob.out)"
"$gib" keystone --config bob.yaml trusted >list3.out
has_row list3.out "$domain" '^config .*alice-domain.json\\+command$' UNTRUSTED ||
  fail "trusted with a config peer untrusted: $(cat list3.out)"
note=$("$gib" mut8 --config alice.yaml "$note" --data '{"text":"four"}')
if sync_alice >sync4.out 2>sync4.err; then fail "a restart re-trusted an untrusted sync.trust peer"; fi
stop_gibd
echo "untrust outlives a restart with the peer in sync.trust"

# --- gib sagas, and gibd's log line per forwarded command -------------------
# Bob received two committed sagas (sync1, sync3); Alice sent five, three of
# them refused at their Init (no leg, so no time: listed last).
start_api_gibd bob
"$gib" sagas --config bob.yaml >sagas-running.out 2>sagas-running.err || fail "sagas through gibd: $(cat sagas-running.err)"
"$gib" sagas --config bob.yaml -n 1 >sagas1-running.out 2>&1 || fail "sagas -n 1 through gibd"
set +e
"$gib" sagas --config bob.yaml -n zero >sagas-bad-running.out 2>&1
echo $? >>sagas-bad-running.out
set -e
# One info line per command, with the caller's uid and pid, outcome and ms.
wait_for_line bob.out "event=local_api.command command=sagas uid=$(id -u) pid=[0-9][0-9]* outcome=usage exit=2 ms=" "${pids[-1]}"
grep -q "event=local_api.command command=sagas uid=$(id -u) pid=[0-9][0-9]* outcome=ok exit=0 ms=[0-9]" bob.out ||
  fail "no local_api.command line for sagas: $(grep local_api bob.out)"
stop_gibd
"$gib" sagas --config bob.yaml >sagas-stopped.out 2>&1
"$gib" sagas --config bob.yaml -n 1 >sagas1-stopped.out 2>&1
set +e
"$gib" sagas --config bob.yaml -n zero >sagas-bad-stopped.out 2>&1
echo $? >>sagas-bad-stopped.out
set -e
for run in sagas sagas1 sagas-bad; do
  cmp -s "$run-running.out" "$run-stopped.out" ||
    fail "gib $run differs with and without gibd: $(cat "$run-running.out"; echo ---; cat "$run-stopped.out")"
done
grep -q "^gib sagas: -n needs a positive whole number, not 'zero'" sagas-bad-stopped.out || fail "bad -n: $(cat sagas-bad-stopped.out)"
[ "$(grep -c $'^  .*\treceiver\tcommitted\tinit,delta.*,commit\t[0-9a-f]*\t'"$domain"'$' sagas-stopped.out)" = 2 ] ||
  fail "Bob's sagas (two committed, from Alice's domain): $(cat sagas-stopped.out)"
saga3=$(sed -n 's/^saga \([0-9a-f]*\) with .*/\1/p' sync3.out)
saga1=$(sed -n 's/^saga \([0-9a-f]*\) with .*/\1/p' sync1.out)
grep -q "^sagas (1 of 2, newest first)" sagas1-stopped.out && grep -q $'\t'"$saga3"$'\t' sagas1-stopped.out ||
  fail "sagas -n 1 is not the newest ($saga3): $(cat sagas1-stopped.out)"
"$gib" sagas --config alice.yaml >alice-sagas.out
grep -q "^sagas (5 of 5, newest first)" alice-sagas.out || fail "Alice's sagas: $(cat alice-sagas.out)"
# Newest first: sync3, sync1, then the three refused (no time).
[ "$(sed -n 2p alice-sagas.out | cut -f2-6)" = "sender	committed	init,delta,commit	$saga3	$bob_domain" ] &&
  [ "$(sed -n 3p alice-sagas.out | cut -f5)" = "$saga1" ] ||
  fail "Alice's committed sagas, newest first: $(cat alice-sagas.out)"
[ "$(grep -c $'^  -\tsender\tfailed\t-\t[0-9a-f]*\t-\t' alice-sagas.out)" = 3 ] || fail "Alice's refused sagas: $(cat alice-sagas.out)"
echo "gib sagas: same output with and without gibd; gibd logs each forwarded command"
