#!/usr/bin/env bash
# The PostgreSQL backend through the built binary, on a throwaway cluster of its own (127.0.0.1:25430, loopback
# only, stopped on exit): `pacta serve --database-url` migrates and seeds a new database, `pacta token create
# --database-url` makes a token, an event appended with curl is read back after a restart, the log never shows the
# password, and with the database stopped a write answers 503 with Retry-After (nothing acknowledged).
# Usage: scripts/postgres-smoke.sh [BINARY (default .build/debug/pacta)]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/pacta}")
pg_port=${PACTA_SMOKE_POSTGRES_PORT:-25430}
. scripts/lib/postgres.sh
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null || true
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT
unset $(env | grep -o '^PACTA_[A-Z_]*' || true)
cd "$work"

start_postgres "$pg_port"
create_database "$pg_port" pacta
as_postgres 30 "$(postgres_bin)/psql -q -h 127.0.0.1 -p $pg_port -d pacta \
  -c \"CREATE ROLE pacta LOGIN PASSWORD 'smoke-secret-pw'; ALTER DATABASE pacta OWNER TO pacta; GRANT ALL ON SCHEMA public TO pacta\""
# Trust authentication accepts any password; the point is that it is never printed.
url="postgres://pacta:smoke-secret-pw@127.0.0.1:$pg_port/pacta?sslmode=disable"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

serve() {
  "$binary" serve --port "$port" --database-url "$url" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$work/server.log"; echo "server did not become ready"; exit 1
}

stop_server() {
  kill -TERM "$server_pid"
  timeout 30 tail --pid="$server_pid" -f /dev/null || { echo "server did not stop on SIGTERM"; exit 1; }
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

serve
if curl -sf "$base/v1/agreements/gsomia" >/dev/null; then ok "serve migrated and seeded PostgreSQL"; else fail "no gsomia after seeding"; fi
token=$(timeout 60 "$binary" token create smoke --database-url "$url")
[[ "$token" == pacta_* ]] && ok "token create --database-url" || fail "token create printed '$token'"

status=$(curl -s -o "$work/append.json" -w '%{http_code}' -X POST "$base/v1/agreements/gsomia/events" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"events": [{"type": "signature", "date": "2016-11-23", "summary": "postgres smoke"}]}')
[ "$status" = 201 ] || [ "$status" = 200 ] && ok "append answered $status" || { fail "append answered $status"; cat "$work/append.json"; }

stop_server
serve
if curl -s "$base/v1/agreements/gsomia/events" | grep -q '"postgres smoke"'; then ok "the appended event is read back after a restart"
else fail "the appended event is missing after a restart"; fi
if timeout 60 "$binary" token list --database-url "$url" | grep -q '^smoke'; then ok "token list --database-url"; else fail "token list"; fi
if timeout 60 "$binary" status gsomia --database-url "$url" >/dev/null; then ok "status --database-url"; else fail "status --database-url"; fi

# The database goes away under the running server: a write is refused with 503 and Retry-After.
stop_postgres
headers=$(curl -s -m 30 -D - -o "$work/down.json" -X POST "$base/v1/agreements/gsomia/events" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"events": [{"type": "signature", "date": "2016-11-24", "summary": "database down"}]}' | tr -d '\r')
if grep -q '^HTTP/1.1 503' <<<"$headers" && grep -qi '^retry-after: ' <<<"$headers"; then
  ok "with the database down a write answers 503 with Retry-After"
else
  fail "with the database down: $(head -1 <<<"$headers")"; cat "$work/down.json"
fi
grep -q 'application/problem+json' <<<"$headers" && ok "the 503 is a problem document" || fail "the 503 is not application/problem+json"
stop_server

if grep -q 'smoke-secret-pw' "$work/server.log"; then fail "the password appears in the server log"; else ok "the password never appears in the log"; fi
grep -q 'postgres://pacta:\*\*\*@' "$work/server.log" && ok "the log names the database with the password redacted" ||
  fail "the log does not name the database"

[ "$failures" -eq 0 ] || { echo "$failures PostgreSQL check(s) failed"; tail -20 "$work/server.log"; exit 1; }
echo "all PostgreSQL checks passed"
