#!/usr/bin/env bash
# Checks configuration as a user meets it, through the built binary: a bad value stops `pacta serve` (and
# `pacta healthcheck`) with one line naming the setting and the value; a .env file in the working directory is
# read; a flag wins over the environment, which wins over .env. Usage: scripts/check-configuration.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/pacta}")
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
unset $(env | grep -o '^PACTA_[A-Z_]*' || true)

failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# expect_one_line_error DESCRIPTION NEEDLE COMMAND...: exits non-zero, one line on stderr that contains NEEDLE.
expect_one_line_error() {
  local description=$1 needle=$2; shift 2
  local status=0
  "$@" >"$work/out" 2>"$work/err" </dev/null || status=$?
  if [ "$status" -ne 0 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -qF -- "$needle" "$work/err"; then
    ok "$description: $(cat "$work/err")"
  else
    fail "$description (exit $status)"; sed 's/^/     /' "$work/err" | head -5
  fi
}

expect_one_line_error "PACTA_PORT=abc stops serve" "PACTA_PORT (--port) is 'abc'" env PACTA_PORT=abc "$binary" serve
expect_one_line_error "PACTA_PORT=abc stops healthcheck" "PACTA_PORT (--port) is 'abc'" env PACTA_PORT=abc "$binary" healthcheck
expect_one_line_error "PACTA_SHUTDOWN_TIMEOUT=0 stops serve" "PACTA_SHUTDOWN_TIMEOUT (--shutdown-timeout) is '0'" \
  env PACTA_SHUTDOWN_TIMEOUT=0 "$binary" serve
expect_one_line_error "PACTA_FOLLOW_INTERVAL=0 stops serve" "PACTA_FOLLOW_INTERVAL (--follow-interval) is '0'" \
  env PACTA_FOLLOW_INTERVAL=0 "$binary" serve
expect_one_line_error "a missing PACTA_WEBHOOKS_CA_FILE stops serve" \
  "PACTA_WEBHOOKS_CA_FILE (--webhooks-ca-file) is '$work/missing.pem', expected a readable PEM file of CA certificates (no such file)" \
  env PACTA_WEBHOOKS_CA_FILE="$work/missing.pem" "$binary" serve
echo "not a certificate" >"$work/not-a-certificate.pem"
expect_one_line_error "a PACTA_WEBHOOKS_CA_FILE without a certificate stops serve" \
  "is '$work/not-a-certificate.pem', expected a readable PEM file of CA certificates (no PEM certificate could be read from it)" \
  env PACTA_WEBHOOKS_CA_FILE="$work/not-a-certificate.pem" "$binary" serve
expect_one_line_error "--webhooks-ca-file names the setting too" "PACTA_WEBHOOKS_CA_FILE (--webhooks-ca-file) is '$work'" \
  "$binary" serve --webhooks-ca-file "$work"
expect_one_line_error "PACTA_TODAY=2031-02-30 stops serve" "PACTA_TODAY (--today) is '2031-02-30', expected a date YYYY-MM-DD" \
  env PACTA_TODAY=2031-02-30 "$binary" serve
echo "PACTA_LOG_LEVEL=loud" >.env
expect_one_line_error "a bad value in .env stops serve" "PACTA_LOG_LEVEL (--log-level) is 'loud'" "$binary" serve
expect_one_line_error "a bad value in .env stops token list" "PACTA_LOG_LEVEL (--log-level) is 'loud'" "$binary" token list

# A server configured by .env alone; the health check finds its port there too.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'PACTA_PORT=%s\nPACTA_DATABASE=%s/pacta.sqlite\nPACTA_SEED=false\n' "$port" "$work" >.env
"$binary" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then ok "serve listens on PACTA_PORT from .env"; else
  fail "serve did not listen on PACTA_PORT from .env"; cat "$work/server.log"; fi
if "$binary" healthcheck; then ok "healthcheck reads PACTA_PORT from .env"; else fail "healthcheck with .env"; fi
if ! PACTA_PORT=1 "$binary" healthcheck 2>/dev/null; then ok "the environment wins over .env"; else
  fail "PACTA_PORT=1 in the environment did not win over .env"; fi
if PACTA_PORT=1 "$binary" healthcheck --port "$port"; then ok "--port wins over the environment"; else
  fail "--port did not win over PACTA_PORT"; fi
if [ -f "$work/pacta.sqlite" ]; then ok "PACTA_DATABASE from .env"; else fail "no database at PACTA_DATABASE from .env"; fi

# A readable CA file: the server starts, says so, and serves.
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=Pacta check CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
PACTA_WEBHOOKS_CA_FILE="$work/ca.pem" "$binary" serve >"$work/server-ca.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && grep -q "trust extra CA certificates" "$work/server-ca.log"; then
  ok "a readable PACTA_WEBHOOKS_CA_FILE: serve starts and logs the extra CA"
else
  fail "serve with a readable PACTA_WEBHOOKS_CA_FILE"; cat "$work/server-ca.log"
fi

[ "$failures" -eq 0 ] || { echo "$failures configuration check(s) failed"; exit 1; }
echo "all configuration checks passed"
