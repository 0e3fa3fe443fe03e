#!/usr/bin/env bash
# Schema conformance: schemathesis (PyPI) against the live server from openapi.yaml, with all its checks over
# every operation, authenticated writes included. Bounded in examples and time. createWebhook is left out: a
# subscription to a generated URL would make the server send requests off this machine (scripts/webhooks-test.sh
# and the Swift route tests cover it), and without one no delivery is ever attempted.
# Usage: scripts/schemathesis.sh [BINARY (default .build/debug/pacta)] [MAX_EXAMPLES (default 25)]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/pacta}
examples=${2:-25}
version=4.32.5
if ! python3 -m schemathesis.cli --version 2>/dev/null | grep -q "$version"; then
  python3 -m pip install -q "schemathesis==$version"
fi
source scripts/lib/server.sh
start_pacta "$binary"
TOKEN=$("$binary" token create schemathesis)

status=0
# GET /v1/stream never ends (it is tested by scripts/stream-test.sh), so schemathesis would time out on it.
timeout 600 schemathesis run openapi.yaml --url "http://127.0.0.1:$port" --checks all \
  --exclude-operation-id streamFeedEvents \
  --max-examples "$examples" --seed 20261129 --request-timeout 10 --no-color \
  -H "Authorization: Bearer $TOKEN" --exclude-operation-id createWebhook || status=$?
if grep -q "$TOKEN" "$work/server.log"; then echo "FAIL the token appears in the server log"; status=1; fi
if [ "$status" -ne 0 ]; then echo "--- server log (last 30 lines)"; tail -30 "$work/server.log"; fi
exit "$status"
