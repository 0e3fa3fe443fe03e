#!/usr/bin/env bash
# The stream through a real SSE client (sseclient-py): consume while writes are made, disconnect in the middle,
# resume with Last-Event-ID, and nothing is missed or repeated; then a typed replay of the whole log.
# Usage: scripts/stream-test.sh [BINARY (default .build/debug/pacta)]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import sseclient" 2>/dev/null || python3 -m pip install --quiet "sseclient-py==1.8.0"
exec timeout 300 python3 scripts/stream_test.py "${1:-.build/debug/pacta}"
