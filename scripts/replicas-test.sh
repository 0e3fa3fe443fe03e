#!/usr/bin/env bash
# Two `pacta serve` replicas on one PostgreSQL through the built binary, on a throwaway cluster of their own
# (127.0.0.1:25431, or PACTA_REPLICAS_POSTGRES_PORT; loopback only, stopped on exit): propagation lag, concurrent
# writers and If-Match races across replicas, kill -9 of a replica during writes, PostgreSQL restarted and stopped
# during writes, and HAProxy with the shipped configuration in front while a replica is killed. Every acknowledged
# write is checked exactly once in the database and in both catalogs. See scripts/replicas_test.py.
# Usage: scripts/replicas-test.sh [BINARY (default .build/debug/pacta)] [--cycles N (default 20)] [--samples N]
#        scripts/replicas-test.sh BINARY --catch-up 10000   (the catch-up measurement of BENCHMARKS.md; minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/pacta}")
[ $# -gt 0 ] && shift
pg_port=${PACTA_REPLICAS_POSTGRES_PORT:-25431}
bound=600
[[ " $* " == *" --catch-up "* ]] && bound=3600
if ! command -v haproxy >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy
fi
. scripts/lib/postgres.sh
trap stop_postgres EXIT
unset $(env | grep -o '^PACTA_[A-Z_]*' || true)

start_postgres "$pg_port"
create_database "$pg_port" pacta
timeout "$bound" python3 scripts/replicas_test.py "$binary" "postgres://postgres@127.0.0.1:$pg_port/pacta?sslmode=disable" \
  "$postgres_dir/data" "$(postgres_bin)" "$@"
