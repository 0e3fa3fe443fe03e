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

source scripts/lib/server.sh
start_pacta "$binary"
curl -sf "$base/v1/agreements/gsomia/timeline.svg?$query" -o "$work/timeline.svg"

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
