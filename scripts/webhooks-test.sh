#!/usr/bin/env bash
# Webhooks against the real server and a real receiver on loopback that verifies every delivery's signature with
# the Standard Webhooks reference library (PyPI `standardwebhooks`): every committed write's events arrive, a 500
# is retried until a 200, and after repeated kill -9 of the server during deliveries every committed event is
# delivered at least once and none unsigned. On a new SQLite file, or with `--postgres PORT` on a throwaway
# PostgreSQL cluster of its own on 127.0.0.1:PORT (scripts/lib/postgres.sh; stopped on exit). Bounded (under 3
# minutes, 4 with PostgreSQL); loopback only.
# Usage: scripts/webhooks-test.sh [BINARY (default .build/debug/pacta)] [KILLS (default 6)] [--postgres PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/pacta}")
kills=${2:-6}
pg_port=""
if [ "${3:-}" = "--postgres" ]; then pg_port=${4:?--postgres needs a port}; fi
if ! python3 -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m pip install -q "standardwebhooks==1.3.0"
fi
if [ -z "$pg_port" ]; then
  exec timeout 180 python3 scripts/webhooks_test.py "$binary" "$kills"
fi
. scripts/lib/postgres.sh
trap stop_postgres EXIT
unset $(env | grep -o '^PACTA_[A-Z_]*' || true)
start_postgres "$pg_port"
create_database "$pg_port" pacta_webhooks
timeout 240 python3 scripts/webhooks_test.py "$binary" "$kills" \
  "postgres://postgres@127.0.0.1:$pg_port/pacta_webhooks?sslmode=disable"
