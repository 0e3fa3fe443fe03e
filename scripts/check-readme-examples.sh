#!/usr/bin/env bash
# Starts the built server on a fresh database and a free loopback port, runs every `curl` example in the
# README against it, and checks the answers the README promises. Usage: scripts/check-readme-examples.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/pacta}
export PACTA_CORS_ORIGINS=https://dashboard.example.org
source scripts/lib/server.sh
start_pacta "$binary"
TOKEN=$("$binary" token create readme-check)
export TOKEN

failures=0
check() { # description, command output, python expression over `out`
  if python3 -c "import json,sys; out=sys.argv[1]; sys.exit(0 if ($3) else 1)" "$2"; then
    echo "ok   $1"
  else
    echo "FAIL $1"; echo "     got: ${2:0:300}"; failures=$((failures + 1))
  fi
}

# Every curl example in the README, joined across backslash continuations, pointed at this server.
mapfile -t examples < <(python3 - "$port" <<'PY'
import re, sys
port = sys.argv[1]
text = open("README.md").read().replace("\\\n", " ")
for line in text.splitlines():
    line = line.strip()
    if line.startswith("curl "):
        line = re.sub(r"\s+# .*$", "", line)
        print(line.replace("localhost:8080", f"127.0.0.1:{port}"))
PY
)
[ "${#examples[@]}" -ge 12 ] || { echo "expected at least 12 curl examples in README.md, found ${#examples[@]}"; exit 1; }
for example in "${examples[@]}"; do
  out=$(bash -c "$example") || { echo "FAIL (exit) $example"; failures=$((failures + 1)); continue; }
  case "$example" in
    *"/v1/deadlines?from=2027-01-01"*)
      check "deadlines in 2027" "$out" "[(i['date'],i['kind'],i.get('article')) for i in json.loads(out)['items'] if i['agreementId']=='gsomia']==[('2027-08-24','noticeDeadline','Art. 21'),('2027-11-23','renewal','Art. 21')]" ;;
    *"/v1/deadlines?party=KR"*)
      check "deadlines by party and kind, paginated" "$out" "(d:=json.loads(out)) and [i['date'] for i in d['items']]==['2019-08-24','2020-08-24'] and d['next'].startswith('/v1/deadlines?')" ;;
    *"/v1/dates?date=2019-08-24&add=P90D"*)
      check "date plus period" "$out" "(d:=json.loads(out))['result']=='2019-11-22' and d['weekday']=='Friday' and d['clamped'] is False" ;;
    *"/v1/dates?date=2020-01-31&add=P1M"*)
      check "date plus period, clamped" "$out" "(d:=json.loads(out))['result']=='2020-02-29' and d['clamped'] is True and d['clampedFromDay']==31" ;;
    *"/v1/dates?date=2019-11-22&subtract=P90D"*)
      check "date minus period" "$out" "(d:=json.loads(out))['result']=='2019-08-24' and d['operation']=='subtract'" ;;
    *"/v1/dates?from=2019-08-23&to=2019-11-22"*)
      check "days between" "$out" "(d:=json.loads(out))['days']==91 and d['clearDays']==90" ;;
    *"-X OPTIONS"*)
      check "CORS preflight" "$out" "out.startswith('HTTP/1.1 204') and 'access-control-allow-origin: https://dashboard.example.org' in out.lower()" ;;
    *"If-None-Match"*)
      check "ETag and 304" "$out" "out.strip()=='304'" ;;
    *"/v1/summary?asOf=2027-07-01"*)
      check "summary" "$out" "(d:=json.loads(out))['agreements']==sum(d['byState'].values())>=20 and d['deadlines']['next90Days']>=1 and d['deadlines']['next']['date']<='2027-08-24'" ;;
    *"/v1/calendar.ics?party=KR"*)
      check "calendar feed" "$out" "out.startswith('BEGIN:VCALENDAR\\r\\n') and 'TRIGGER:-P14D' in out and 'DTSTART;VALUE=DATE:' in out" ;;
    *"/gsomia/calendar.ics"*)
      check "agreement calendar" "$out" "'UID:gsomia.noticeDeadline.' in out and 'CATEGORIES:renewal' not in out" ;;
    *"/timeline.svg"*)
      check "timeline picture" "$out" "out.startswith('<svg') and 'asOf 2026-11-29' in out and out.rstrip().endswith('</svg>')" ;;
    *"/metrics"*)
      check "metrics" "$out" "'pacta_notice_deadline_timestamp_seconds{agreement=\"gsomia\",party=\"JP\"} 1819065600' in out.splitlines()" ;;
    *"/timeline?"*)
      check "GSOMIA timeline" "$out" "any(i['kind']=='noticeDeadline' and i['date']=='2019-08-24' for i in json.loads(out)['items'])" ;;
    *"asOf=2019-08-22"*)
      check "GSOMIA 2019-08-22" "$out" "(d:=json.loads(out))['state']=='inForce' and d['noticeDeadline']=='2019-08-24' and d['nextRenewal']=='2019-11-23' and d['currentTerm']=={'index':3,'start':'2018-11-23','lastDay':'2019-11-22'}" ;;
    *"asOf=2019-09-01"*)
      check "GSOMIA 2019-09-01" "$out" "(d:=json.loads(out))['state']=='terminationPending' and d['lastDayInForce']=='2019-11-22'" ;;
    *"asOf=2019-12-01"*)
      check "GSOMIA 2019-12-01" "$out" "(d:=json.loads(out))['state']=='inForce' and [f['code'] for f in d['flags']]==['noticeSuspended']" ;;
    *"asOf=2023-06-01"*)
      check "GSOMIA 2023-06-01" "$out" "(d:=json.loads(out))['state']=='inForce' and d['noticeDeadline']=='2023-08-24' and d['nextRenewal']=='2023-11-23'" ;;
    *"party=KR"*)
      check "list by party and state" "$out" "[i['id'] for i in json.loads(out)['items']]==['gsomia']" ;;
    *"gsomia/events'"*)
      check "events" "$out" "len(json.loads(out)['items'])>=5" ;;
    *"2019-02-30"*)
      check "invalid date is 422" "$out" "out.strip()=='422'" ;;
    *"parties/US/status?asOf=2020-11-03"*)
      check "Paris, US withdrawal pending" "$out" "(d:=json.loads(out))['party']['status']=='withdrawalPending' and d['party']['lastDayAsParty']=='2020-11-03'" ;;
    *"parties/US/status?asOf=2021-02-18"*)
      check "Paris, US consented" "$out" "(d:=json.loads(out))['party']['status']=='consented' and d['party']['since']=='2021-01-20' and d['party']['boundFrom']=='2021-02-19'" ;;
    *"parties/US/status?asOf=2021-02-19"*)
      check "Paris, US party again" "$out" "(d:=json.loads(out))['party']['status']=='party' and d['party']['since']=='2021-02-19'" ;;
    *"/simulate"*)
      check "simulate a Japanese notice" "$out" "(d:=json.loads(out))['status']['state']=='terminationPending' and d['status']['lastDayInForce']=='2027-11-22'" ;;
    *"-X POST"*"/events"*)
      check "append event" "$out" "json.loads(out)['items'][0]['type']=='signature'" ;;
    *"/history"*)
      check "history" "$out" "(d:=json.loads(out)['items'])[0]['action']=='seed' and d[-1]['action']=='appendEvents' and d[-1]['actor']=='readme-check'" ;;
    *"-X POST"*"/v1/agreements "*)
      check "create existing id is 409" "$out" "json.loads(out)['status']==409" ;;
    *)
      echo "FAIL no expectation for: $example"; failures=$((failures + 1)) ;;
  esac
done

status_text=$("$binary" status gsomia --as-of 2019-12-01)
check "pacta status" "$status_text" "'inForce' in out and 'suspended' in out"
if grep -q "$TOKEN" "$work/server.log"; then echo "FAIL the token appears in the server log"; failures=$((failures + 1)); fi

echo "README examples: $(( ${#examples[@]} + 1 - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
