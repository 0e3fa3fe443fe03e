#!/usr/bin/env bash
# Write integrity under concurrency against the real server: 8 clients append events, replace agreements
# read-modify-write with If-Match (412 retried, 428 without it), try to drop or alter recorded events with
# If-Match: * (422), and create and delete agreements; then every acknowledged event is present once and
# unchanged, no event id repeats, nothing unacknowledged is there, and the audit trail, read page by page,
# has exactly one entry per acknowledged write (matched by X-Request-Id) and none for a refused one.
# Usage: scripts/integrity-test.sh [BINARY (default .build/debug/pacta)] [SECONDS (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/pacta}
seconds=${2:-20}
exec timeout $((seconds + 300)) python3 scripts/integrity_test.py "$binary" "$seconds"
