#!/usr/bin/env bash
# Crash safety against the real server: concurrent writers (creates, three-event replaces, deletes), SIGKILL at
# random moments, restart, and proof that every acknowledged write is present and byte-identical, that every
# write is all or nothing (agreement row and audit row together), and that PRAGMA integrity_check is ok.
# Then SIGTERM under load: no 5xx, no request accepted but left unanswered, exit 0 within the bound.
# Usage: scripts/crash-test.sh [CYCLES (default 20; 200 on demand)] [BINARY (default .build/debug/pacta)]
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-20}
binary=${2:-.build/debug/pacta}
exec python3 scripts/crash_test.py "$binary" "$cycles"
