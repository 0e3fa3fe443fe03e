# Sourced by .ci/run and scripts/postgres-smoke.sh. `start_postgres PORT` starts a throwaway PostgreSQL cluster
# (Debian's postgresql, installed if missing) as the `postgres` user in a temporary directory, listening on
# 127.0.0.1:PORT only, with trust authentication (loopback, throwaway: nothing to protect), and room for 500
# connections: the test suite runs dozens of stores at once, each with its pool (100, the default, ran out). Every
# step is bounded.
# `stop_postgres` stops it at once and removes the directory; callers trap it on EXIT. Sets postgres_dir.
# Callers pick ports below 32768, outside Linux's ephemeral range (32768-60999): a cluster on 54330 once failed to
# start in CI with "Address already in use" while nothing listened there, most likely because a client connection of
# the steps before it (hundreds, to the test cluster) held 127.0.0.1:54330 as its own local port.
postgres_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] || return 1
  echo "$bin"
}

# as_postgres SECONDS COMMAND: from /, which the postgres user can enter (the caller's directory may be private).
as_postgres() {
  (cd / && timeout "$1" su postgres -c "$2")
}

start_postgres() {
  local port=$1 bin
  if ! bin=$(postgres_bin) || ! dpkg -s postgresql >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
    bin=$(postgres_bin)
  fi
  postgres_dir=$(mktemp -d /tmp/pacta-postgres.XXXXXX)
  chown postgres "$postgres_dir"
  if ! as_postgres 120 "$bin/initdb -D $postgres_dir/data -A trust -U postgres" >"$postgres_dir/initdb.log" 2>&1; then
    cat "$postgres_dir/initdb.log"
    return 1
  fi
  if ! as_postgres 60 "$bin/pg_ctl -D $postgres_dir/data -l $postgres_dir/server.log -w -t 50 \
    -o '-p $port -k $postgres_dir -c listen_addresses=127.0.0.1 -c max_connections=500' start" >/dev/null; then
    cat "$postgres_dir/server.log"
    return 1
  fi
}

# create_database PORT NAME
create_database() {
  as_postgres 30 "$(postgres_bin)/createdb -h 127.0.0.1 -p $1 $2"
}

stop_postgres() {
  [ -n "${postgres_dir:-}" ] || return 0
  as_postgres 30 "$(postgres_bin)/pg_ctl -D $postgres_dir/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$postgres_dir"
  postgres_dir=""
}
