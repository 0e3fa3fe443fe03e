#!/usr/bin/env bash
# Webhooks against the real server and a real receiver on loopback that verifies every delivery's signature with
# the Standard Webhooks reference library (PyPI `standardwebhooks`): every committed write's events arrive, a 500
# is retried until a 200, and after repeated kill -9 of the server during deliveries every committed event is
# delivered at least once and none unsigned. Bounded (under 3 minutes); loopback only.
# Usage: scripts/webhooks-test.sh [BINARY (default .build/debug/pacta)] [KILLS (default 6)]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/pacta}
kills=${2:-6}
if ! python3 -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m pip install -q "standardwebhooks==1.3.0"
fi
exec timeout 180 python3 scripts/webhooks_test.py "$binary" "$kills"
