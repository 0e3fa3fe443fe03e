#!/usr/bin/env bash
# Checks the server's dashboard and calendar outputs with parsers that Pacta did not write:
#   - the iCalendar feeds with Python's `icalendar` package (every event parses; UIDs are stable across requests),
#   - /metrics with `promtool check metrics` (Debian's `prometheus` package),
#   - the timeline SVG by rendering it to PNG with `rsvg-convert` (Debian's `librsvg2-bin`).
# Installs what it needs if missing. Usage: scripts/validate-feeds.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/pacta}

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
python3 -c 'import icalendar' 2>/dev/null || python3 -m pip install -q 'icalendar>=6,<8'

source scripts/lib/server.sh
start_pacta "$binary"

echo "-- iCalendar feeds (python icalendar $(python3 -c 'import icalendar; print(icalendar.__version__)'))"
for path in "/v1/calendar.ics?from=2016-01-01&to=2035-12-31&alarm=P14D" "/v1/calendar.ics?party=KR" \
            "/v1/agreements/gsomia/calendar.ics?from=2019-01-01&to=2030-12-31&alarm=none"; do
  curl -sf "$base$path" -o "$work/a.ics"
  curl -sf "$base$path" -o "$work/b.ics"
  python3 - "$work/a.ics" "$work/b.ics" "$path" <<'PY'
import sys, icalendar
first, second, path = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3]
def check(data):
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b""), "lines must end in CRLF"
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, f"line over 75 octets: {line[:80]!r}"
        line.decode("utf-8")  # folding must not split a UTF-8 sequence
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID"), "VERSION and PRODID are required"
    events = calendar.walk("VEVENT")
    assert events, "no VEVENT"
    uids = []
    for event in events:
        for name in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert event.get(name) is not None, f"VEVENT without {name}"
        start = event.decoded("DTSTART")
        assert type(start).__name__ == "date", f"DTSTART is not a DATE: {start!r}"
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        for alarm in event.walk("VALARM"):
            assert alarm.get("ACTION") == "DISPLAY" and alarm.get("TRIGGER") is not None
        uids.append(str(event["UID"]))
    assert len(uids) == len(set(uids)), "UIDs must be unique within a feed"
    return uids
uids_a = check(first)
uids_b = check(second)
assert uids_a == uids_b, "UIDs changed between two requests"
assert first == second, "the same feed must be the same bytes"
print(f"ok   {path}: {len(uids_a)} events parse, UIDs stable across two requests")
PY
done

echo "-- /metrics ($(promtool --version 2>&1 | head -1))"
curl -sf "$base/v1/deadlines" >/dev/null
curl -sf "$base/v1/agreements/nope" >/dev/null || true
curl -sf "$base/metrics" -o "$work/metrics.txt"
promtool check metrics <"$work/metrics.txt"
grep -q '^pacta_notice_deadline_timestamp_seconds{agreement="gsomia",party="KR"} ' "$work/metrics.txt"
grep -q '^pacta_http_requests_total{' "$work/metrics.txt"
echo "ok   promtool check metrics: $(grep -vc '^#' "$work/metrics.txt") samples"

echo "-- timeline SVG ($(rsvg-convert --version))"
for asOf in 2019-09-01 2026-11-29; do
  curl -sf "$base/v1/agreements/gsomia/timeline.svg?asOf=$asOf" -o "$work/timeline.svg"
  rsvg-convert --format=png --output="$work/timeline.png" "$work/timeline.svg" 2>"$work/rsvg.err"
  if [ -s "$work/rsvg.err" ]; then cat "$work/rsvg.err"; echo "rsvg-convert reported problems"; exit 1; fi
  python3 - "$work/timeline.png" "$asOf" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert width >= 800 and height >= 150, (width, height)
print(f"ok   timeline.svg?asOf={sys.argv[2]} renders to a {width}x{height} PNG")
PY
done
echo "feeds, metrics and timeline: all valid"
