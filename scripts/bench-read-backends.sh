#!/usr/bin/env bash
# Read throughput on each backend: the same release binary (argument 1, default .build/release/pacta) and the
# bundled data, served from SQLite, then from a throwaway PostgreSQL cluster on 127.0.0.1:54350, twice, alternating;
# wrk -t2 -c64, 5 s per row, loopback only. Reads come from the in-memory catalog on both: the rows should match.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
trap 'kill ${server:-} 2>/dev/null || true; stop_postgres' EXIT
start_postgres 54350 >/dev/null
create_database 54350 pacta_read >/dev/null
bin=${1:-.build/release/pacta}
run() { # backend args...
  local name=$1; shift
  "$bin" serve --port 18090 --log-level warning "$@" & server=$!
  for _ in $(seq 1 500); do curl -fs -o /dev/null http://127.0.0.1:18090/readyz && break; sleep 0.05; done
  for path in "/v1/agreements/gsomia/status?asOf=2019-08-24" "/v1/agreements?limit=100" "/v1/deadlines?from=2026-01-01&to=2026-12-31"; do
    wrk -t2 -c64 -d2s "http://127.0.0.1:18090$path" >/dev/null
    rps=$(wrk -t2 -c64 -d5s "http://127.0.0.1:18090$path" | awk '/^Requests\/sec/ {print $2}')
    printf '%-10s %-50s %10s req/s\n' "$name" "$path" "$rps"
  done
  kill $server; wait $server 2>/dev/null || true
}
db=$(mktemp -d)
for round in 1 2; do
  run sqlite --database "$db/pacta.sqlite"
  run postgres --database-url "postgres://postgres@127.0.0.1:54350/pacta_read?sslmode=disable"
done
rm -rf "$db"
