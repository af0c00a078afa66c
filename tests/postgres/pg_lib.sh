# Shared by the PostgreSQL e2e scripts (multi_node_test.sh, fault_test.sh,
# staging_handover_test.sh): source it after tests/e2e/lib.sh, with $plugins
# and $work set.

# pg_deployment NAME INSTANCE SCHEMA LISTEN: a gibd whose durable space is the
# PostgreSQL schema SCHEMA of database gibkit (the server comes from PGHOST,
# as for psql), as instance INSTANCE (empty: none); memory staging and its
# own keystone secrets, as docs/scale-out.md requires of each gibd. LISTEN
# true: a websocket transport on a port the OS chooses; false: none (a
# config for gib commands on the shared store). Ends with an open `sync:`.
pg_deployment() {
  mkdir -p "$work/$1"  # the signer creates secrets/ but not its parent (LevelDB makes it elsewhere)
  yaml_node "$1"
  cat <<YAML
  - name: main
    plugin: space-postgres
    role: durable
    config:
      connection: "dbname=gibkit connect_timeout=5"
      schema: $3
      instance: "$2"
      statement_timeout_ms: 20000
YAML
  yaml_staging_keystone "$work/$1/secrets"
  if [ "$4" = true ]; then yaml_websocket true; fi
  echo "sync:"
}

# Where the test cluster's client binaries are (Debian's postgresql-15).
pg_bin=${GIBKIT_PG_BIN:-/usr/lib/postgresql/15/bin}

# pg_sql SQL: one statement on database gibkit, unaligned tuples only.
pg_sql() { "$pg_bin/psql" -d gibkit -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# count_line OUTPUT HEADING: N of the "HEADING (N)" line of `gib ls`.
count_line() { printf '%s\n' "$1" | sed -n "s/^$2 (\([0-9]*\)).*/\1/p"; }

# log_of CONFIG TIMELINE: `gib log` of TIMELINE through CONFIG.yaml.
log_of() { "$gib" log --config "$1.yaml" "$2"; }
# same_log SENDER TIMELINE: fails unless the store's log of TIMELINE (read
# through check.yaml, a plain config on the schema) is SENDER's.
same_log() {
  [ "$(log_of "$1" "$2")" = "$(log_of check "$2")" ] ||
    fail "the store's log of $2 differs from $1's: $(log_of "$1" "$2") --- $(log_of check "$2")"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds
# (a condition, not a timing); fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
