#!/usr/bin/env bash
# Draws the GSOMIA timeline that README.md embeds (docs/gsomia-timeline.svg) with the built server, so the
# picture is the server's own output, never edited by hand. With --check, fails if the committed file differs
# from what the server draws now. Usage: scripts/render-readme-timeline.sh [--check] [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
if [ "${1:-}" = "--check" ]; then check=true; shift; fi
binary=${1:-.build/debug/pacta}
target=docs/gsomia-timeline.svg
# A fixed date and window, so the picture only changes when the data or the drawing does.
query='asOf=2026-11-29&from=2016-09-01&to=2028-12-31'

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
PACTA_DATABASE="$work/pacta.sqlite" "$binary" serve --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/v1/agreements/gsomia/timeline.svg?$query" -o "$work/timeline.svg"

if $check; then
  if cmp -s "$work/timeline.svg" "$target"; then
    echo "ok   $target is what the server draws"
  else
    echo "FAIL $target differs from what the server draws; run scripts/render-readme-timeline.sh"; exit 1
  fi
else
  mkdir -p docs
  cp "$work/timeline.svg" "$target"
  echo "wrote $target"
fi
