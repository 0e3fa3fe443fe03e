#!/usr/bin/env bash
# Webhooks from two `pacta serve` replicas on one PostgreSQL database, on a throwaway cluster of their own
# (127.0.0.1:25432, or PACTA_WEBHOOKS_REPLICAS_POSTGRES_PORT; loopback only, stopped on exit): both deliver and both
# schedule deadline alerts. Every committed event is delivered at least once, none twice without a kill; a bundled
# agreement's deadline alert is recorded and delivered once when the injected clock (PACTA_TODAY) crosses its lead
# time on both; kill -9 of a replica during deliveries loses nothing. Bounded (5 minutes).
# See scripts/webhooks_replicas_test.py.
# Usage: scripts/webhooks-replicas-test.sh [BINARY (default .build/debug/pacta)] [KILLS (default 3)]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/pacta}")
kills=${2:-3}
pg_port=${PACTA_WEBHOOKS_REPLICAS_POSTGRES_PORT:-25432}
if ! python3 -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m pip install -q "standardwebhooks==1.3.0"
fi
. scripts/lib/postgres.sh
trap stop_postgres EXIT
unset $(env | grep -o '^PACTA_[A-Z_]*' || true)
start_postgres "$pg_port"
create_database "$pg_port" pacta_webhooks
timeout 300 python3 scripts/webhooks_replicas_test.py "$binary" \
  "postgres://postgres@127.0.0.1:$pg_port/pacta_webhooks?sslmode=disable" "$kills"
