#!/usr/bin/env bash
# Malformed and odd requests against a seeded server (query parameters without '=' or repeated, bad limits,
# huge and NUL-bearing query values, odd paths and request-targets, an unknown method, wrong bodies, a chunked
# body over the limit, HEAD on every GET route): each answers its documented status class, never a 5xx, and a
# 4xx with a body is a problem document. Every request carries a real token, a cookie and a custom header with
# unique markers, none of which may reach the server's log (checked at info, at trace, and at trace with JSON).
# Usage: scripts/malformed-requests.sh [BINARY (default .build/debug/pacta)]
set -euo pipefail
cd "$(dirname "$0")/.."
exec timeout 600 python3 scripts/malformed_requests.py "${1:-.build/debug/pacta}"
