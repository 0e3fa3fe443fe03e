#!/usr/bin/env bash
# Slow clients: a trickled body is cut at the request timeout (3 s here), trickled headers and a silent
# connection at the idle timeout (2 s here), while normal requests keep being answered.
# Usage: scripts/slow-client-test.sh [BINARY (default .build/debug/pacta)]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/slow_client_test.py "${1:-.build/debug/pacta}"
