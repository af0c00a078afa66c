#!/usr/bin/env bash
# pg_cluster.sh start|stop DIR [PORT]
# pg_cluster.sh halt DIR [fast|immediate]   (stops the server, keeps DIR)
# pg_cluster.sh resume DIR                  (starts a halted server again)
#
# A throwaway PostgreSQL 15 cluster (Debian's postgresql-15 binaries) for the
# tests: data and Unix socket in DIR, no TCP (listen_addresses=''), so
# nothing outside this machine can reach it and several builds' clusters
# never collide. It looks like a default local server to the user running
# this script (its superuser, with a database of its name, trust auth;
# PORT defaults to 5432), so PGHOST=DIR is all a client needs: libpq's
# defaults do the rest. A database `gibkit` exists too (configs/
# postgres-node.yaml names it). Roles in group gibkit_password_auth must log
# in with a SCRAM password (the tests of password handling).
# `stop` stops it and removes DIR; it succeeds when nothing is running.
# `halt` and `resume` are for fault tests (tests/postgres/fault_test.sh): the
# database going away under a running gibd (immediate: as a crash, no
# checkpoint, crash recovery at `resume`) and coming back.
#
# initdb and postgres refuse to run as root. As root (CI), the cluster runs
# as the system user gibkit-pg (created here when missing) via runuser, and
# DIR is that user's.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR [PORT] | halt DIR [fast|immediate] | resume DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1
dir=$2
port=${3:-5432}
bin=${GIBKIT_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_user=gibkit-pg

as_pg() {
  # From /: the caller's directory may be one the server's user cannot enter.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u "$pg_user" -- "$@"); else "$@"; fi
}

case "$dir" in
  /?*) ;;
  *) echo "$0: DIR must be an absolute path other than /, got '$dir'" >&2; exit 2 ;;
esac
# Only a directory this script made (it holds the marker) is ever removed.
marker=.gibkit-pg-cluster

stop_cluster() {
  [ -e "$dir" ] || return 0
  if [ ! -e "$dir/$marker" ]; then
    if [ -n "$(ls -A "$dir")" ]; then
      echo "$0: $dir is not a test cluster made by this script (no $marker); not touching it" >&2
      exit 1
    fi
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    # fast: roll back open sessions and stop now; -w waits until it is down.
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "$action" in
  halt)
    mode=${3:-fast}
    case "$mode" in fast | immediate) ;; *) usage ;; esac
    [ -e "$dir/$marker" ] || { echo "$0: $dir is not a test cluster made by this script" >&2; exit 1; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
    echo "PostgreSQL test cluster in $dir halted ($mode)"
    ;;
  resume)
    [ -e "$dir/$marker" ] || { echo "$0: $dir is not a test cluster made by this script" >&2; exit 1; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
      tail -n 20 "$dir/server.log" >&2
      exit 1
    }
    echo "PostgreSQL test cluster in $dir running again"
    ;;
  stop)
    stop_cluster
    echo "PostgreSQL test cluster in $dir stopped"
    ;;
  start)
    [ -x "$bin/initdb" ] || { echo "$0: $bin/initdb not found: install postgresql-15 (tools/install-deps.sh)" >&2; exit 1; }
    # A cluster left by an interrupted run (killed ctest) is replaced.
    stop_cluster
    if [ "$(id -u)" -eq 0 ]; then
      id -u "$pg_user" >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user"
    fi
    mkdir -p "$dir"
    touch "$dir/$marker"
    # postgres must reach DIR through its parents: refuse early, clearly.
    if [ "$(id -u)" -eq 0 ]; then
      chown "$pg_user:" "$dir"
      runuser -u "$pg_user" -- test -w "$dir" || {
        echo "$0: user $pg_user cannot reach $dir (a parent directory is not searchable by others);" \
             "use a DIR under /tmp" >&2
        exit 1
      }
    fi
    chmod 755 "$dir"  # the socket is in DIR; clients need to search it
    client=$(id -un)
    as_pg "$bin/initdb" -D "$dir/data" -U "$client" --auth=trust --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
password_encryption = 'scram-sha-256'
EOF
    cat >"$dir/data/pg_hba.conf" <<EOF
local all +gibkit_password_auth scram-sha-256
local all all trust
EOF
    # -w polls until the server accepts connections (no sleeping).
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
      cat "$dir/server.log" >&2
      exit 1
    }
    "$bin/pg_isready" -h "$dir" -p "$port" -t 30 >/dev/null
    "$bin/psql" -h "$dir" -p "$port" -U "$client" -d postgres -v ON_ERROR_STOP=1 -q \
      -c "CREATE DATABASE \"$client\"" -c "CREATE DATABASE gibkit" -c "CREATE ROLE gibkit_password_auth NOLOGIN"
    echo "PostgreSQL test cluster running: PGHOST=$dir PGPORT=$port, superuser $client"
    ;;
  *) usage ;;
esac
