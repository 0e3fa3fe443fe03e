#!/usr/bin/env bash
# HTTP load harness: starts the release server on loopback with N synthetic agreements plus the bundled ones,
# then measures every endpoint with wrk in one run, next to /healthz (the HTTP stack's own ceiling).
#
#   scripts/bench-http.sh [--count N] [--duration SECONDS] [--connections C] [--threads T] [--seed S]
#                         [--as-of YYYY-MM-DD] [--binary PATH] [--bare PATH] [--port PORT] [--data DIR]
#                         [--only REGEX]   (rows whose name matches; /healthz, the reference, always runs)
#
# Defaults: --count 1000, --duration 10, -c64 -t2 (the issue's setting), --binary .build/release/pacta, --bare the
# BareHummingbird beside the binary (PACTA_BENCHMARKS=1 builds it): a Hummingbird route answering a small JSON body,
# the framework's ceiling, measured first; every row then says its share of it (vs_bare) and of /healthz (vs_hz).
# The generated database is kept in --data (default .build/bench-data) and reused by later runs with the same
# count and seed. Numbers on a shared 2-core machine vary by 10-15%: compare the ratios within one run.
set -euo pipefail
cd "$(dirname "$0")/.."

count=1000 duration=10 connections=64 threads=2 seed=1 as_of=2025-06-01 port=18087
binary=.build/release/pacta data=.build/bench-data bare="" only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --as-of) as_of=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --bare) bare=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 1; }
[ -x "$binary" ] || { echo "no binary at $binary: swift build -c release" >&2; exit 1; }
bare=${bare:-$(dirname "$binary")/BareHummingbird}
[ -x "$bare" ] || {
  echo "no BareHummingbird at $bare: PACTA_BENCHMARKS=1 swift build -c release --product BareHummingbird" >&2; exit 1; }

. "$(dirname "$0")/lib/bench-data.sh"
database=$(bench_database "$binary" "$data" "$count" "$seed")
sync
base="http://127.0.0.1:$port"

started=$(date +%s.%N)
"$binary" serve --database "$database" --port "$port" --log-level warning --no-seed &
server=$!
trap 'kill "$server" ${bare_server:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -f "${vary_script:-}"' EXIT
ready=""
# Up to 60 s: the time is measured and printed; the bound only stops a run whose server never answers.
for _ in $(seq 1 3000); do
  if curl -fs -o /dev/null "$base/healthz"; then ready=$(date +%s.%N); break; fi
  kill -0 "$server" 2>/dev/null || { echo "the server exited" >&2; exit 1; }
  sleep 0.02
done
[ -n "$ready" ] || { echo "the server was not ready within 60 s" >&2; exit 1; }
ready_seconds=$(echo "$ready - $started" | bc -l)
rss_after_start=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
# The lifecycle index is built in the background after the start; until it is, catalog-wide answers come from the
# engine. Measure the first requests after it is ready, and say how long it took.
indexed=""
for _ in $(seq 1 6000); do
  if curl -fs "$base/healthz" | grep -q '"lifecycles":"ready"'; then indexed=$(date +%s.%N); break; fi
  sleep 0.05
done
[ -n "$indexed" ] || { echo "the lifecycle index was not ready within 300 s" >&2; exit 1; }
indexed_seconds=$(echo "$indexed - $started" | bc -l)
rss_after_index=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
agreements=$(curl -fs "$base/healthz" | sed -n 's/.*"agreements":\([0-9]*\).*/\1/p')

to=$(date -d "$as_of + 90 days" +%F)
# A calendar feed holds at most 10,000 events: at 100,000 agreements 90 days hold more, 30 days fewer.
to30=$(date -d "$as_of + 30 days" +%F)
# Three list pages (100 items, state as of a date): a common state, the same with a tag, and a rare state that scans
# the whole catalog; the deadlines of the next 90 days, the iCalendar feed of the same window and the summary.
endpoints=(
  "healthz|/healthz"
  "status|/v1/agreements/gsomia/status?asOf=$as_of"
  "status-synthetic|/v1/agreements/synthetic-000001/status?asOf=$as_of"
  "list-inForce|/v1/agreements?state=inForce&asOf=$as_of&limit=100"
  "list-tag-inForce|/v1/agreements?tag=security&state=inForce&asOf=$as_of&limit=100"
  "list-rare-state|/v1/agreements?state=terminationPending&asOf=$as_of&limit=100"
  "deadlines-90d|/v1/deadlines?from=$as_of&to=$to&limit=100"
  "calendar.ics-30d|/v1/calendar.ics?from=$as_of&to=$to30"
  "summary|/v1/summary?asOf=$as_of"
  # The same reads on a different date or window each time (every request a different URI, so no held response
  # helps): ASOF is a date walked over 100 years, TO is ASOF + 90 days, T30 ASOF + 30, ID a synthetic agreement drawn
  # per request.
  "status-any-date|/v1/agreements/gsomia/status?asOf=ASOF"
  "status-any-agreement-date|/v1/agreements/ID/status?asOf=ASOF"
  "list-any-date|/v1/agreements?state=inForce&asOf=ASOF&limit=100"
  "list-rare-any-date|/v1/agreements?state=terminationPending&asOf=ASOF&limit=100"
  "list-party-any-date|/v1/agreements?party=JP&state=inForce&asOf=ASOF&limit=100"
  "deadlines-any-90d|/v1/deadlines?from=ASOF&to=TO&limit=100"
  "summary-any-date|/v1/summary?asOf=ASOF"
  # Last: renders that outlast wrk's run stay queued on the compute pool for a while and would slow the next row.
  "calendar-any-30d|/v1/calendar.ics?from=ASOF&to=T30"
)

# wrk script for paths with ASOF (the path template comes after `--`): each thread walks its own dates from
# 2000-01-01 over 100 years.
vary_script=$(mktemp --suffix=.lua)
cat > "$vary_script" <<'LUA'
function init(args)
  template = args[1]
  count = tonumber(args[2])
end
local threads = 0
function setup(thread)
  thread:set("offset", threads * 18250)
  threads = threads + 1
end
function request()
  counter = (counter or offset) + 1
  local seconds = 946684800 + (counter % 36500) * 86400
  local path = template:gsub("ASOF", os.date("!%Y-%m-%d", seconds))
  path = path:gsub("TO", os.date("!%Y-%m-%d", seconds + 90 * 86400))
  path = path:gsub("T30", os.date("!%Y-%m-%d", seconds + 30 * 86400))
  path = path:gsub("ID", string.format("synthetic-%06d", (counter * 7919) % count))
  return wrk.format("GET", path)
end
LUA

to_ms() { # wrk prints 512.00us, 1.23ms, 2.01s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

printf '\n%s agreements (%s synthetic, seed %s), as of %s; wrk -t%s -c%s -d%ss on 127.0.0.1\n' \
  "$agreements" "$count" "$seed" "$as_of" "$threads" "$connections" "$duration"
printf 'ready in %.2f s from start; RSS after start %d MiB\n' "$ready_seconds" "$((rss_after_start / 1024))"
printf 'lifecycle index ready in %.2f s from start; RSS then %d MiB\n\n' "$indexed_seconds" "$((rss_after_index / 1024))"
# The framework's ceiling, in the same run: the bare route alone on the machine (Pacta idle beside it).
bare_port=$((port + 1))
"$bare" "$bare_port" &
bare_server=$!
for _ in $(seq 1 250); do curl -fs -o /dev/null "http://127.0.0.1:$bare_port/healthz" && break; sleep 0.02; done
wrk -t"$threads" -c"$connections" -d2s "http://127.0.0.1:$bare_port/healthz" >/dev/null  # warm-up
bare_rps=$(wrk -t"$threads" -c"$connections" -d"${duration}s" "http://127.0.0.1:$bare_port/healthz" \
  | awk '/^Requests\/sec/ {print $2}')
kill "$bare_server"; wait "$bare_server" 2>/dev/null || true; bare_server=""
printf 'bare Hummingbird JSON route: %.0f req/s\n\n' "$bare_rps"

# peak_mib: the server's VmHWM after the row, so that the row that raises the peak is seen.
printf '%-18s %9s %10s %9s %9s %8s %8s %8s %6s  %s\n' endpoint first_ms req/s p50_ms p99_ms vs_bare vs_hz peak_mib errors path
ceiling=""
for entry in "${endpoints[@]}"; do
  name=${entry%%|*} path=${entry#*|}
  [ -z "$only" ] || [ "$name" = healthz ] || [[ $name =~ $only ]] || continue
  script=()
  [[ $path != *ASOF* ]] || script=(-s "$vary_script")
  url=$base${path//ASOF/$as_of}
  url=${url//TO/$to}
  url=${url//T30/$to30}
  url=${url//ID/synthetic-000001}
  # The first request pays for what the server then holds per snapshot (states on a date, deadlines in a window).
  read -r code first < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url")
  [ "$code" = 200 ] || { echo "$name answered HTTP $code" >&2; exit 1; }
  wrk -t"$threads" -c"$connections" -d2s "${script[@]}" "$url" -- "$path" "$count" >/dev/null  # warm-up
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "${script[@]}" "$url" -- "$path" "$count")
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}')
  [ -n "$ceiling" ] || ceiling=$rps
  ratio=$(echo "$rps / $ceiling" | bc -l)
  row_peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
  printf '%-18s %9.1f %10.0f %9s %9s %7.0f%% %7.0f%% %8d %6s  %s\n' "$name" "$(echo "$first * 1000" | bc -l)" "$rps" \
    "$p50" "$p99" "$(echo "$rps * 100 / $bare_rps" | bc -l)" "$(echo "$ratio * 100" | bc -l)" \
    "$((row_peak / 1024))" "${errors:-0}" "$path"
done
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
printf '\npeak RSS (VmHWM) %d MiB\n' "$((peak / 1024))"
