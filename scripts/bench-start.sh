#!/usr/bin/env bash
# Measures starts of the server over a generated database: time to the first 200 from /healthz (ready), RSS then,
# time until the lifecycle index is ready, RSS then, and the peak (VmHWM), for each start in turn. The first start
# after the snapshot file is removed reads the rows (and writes the file); the later ones load the file.
#
# usage: scripts/bench-start.sh --binary PATH [--count N] [--starts K] [--snapshot keep|remove|off]
#                               [--data DIR] [--port PORT] [--seed S] [--wait SECONDS]
#   --wait: how long each phase (ready, index ready, each snapshot write) may take; default 120 s, or count / 2,000
#   seconds when that is longer (a start from the rows at 1,000,000 takes minutes).
#   --snapshot remove (default): remove the file before the first start only; keep: leave it; off: run without one.
set -euo pipefail

binary="" count=100000 starts=3 snapshot=remove data=.build/bench-data port=8093 seed=1 wait=""
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --starts) starts=$2; shift 2 ;;
    --snapshot) snapshot=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --wait) wait=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$wait" ] || wait=$(( count / 2000 > 120 ? count / 2000 : 120 ))
# polls COMMAND every STEP seconds until it succeeds or $wait seconds have passed; fails then.
poll() {
  local step=$1; shift
  local deadline=$(( $(date +%s) + wait ))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep "$step"
  done
}
[ -x "$binary" ] || { echo "no binary at '$binary': swift build -c release --scratch-path .build/bench" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 1; }

. "$(dirname "$0")/lib/bench-data.sh"
database=$(bench_database "$binary" "$data" "$count" "$seed")
[ "$snapshot" = remove ] && rm -f "$database.snapshot"
flags=(--database "$database" --port "$port" --log-level info --no-seed)
[ "$snapshot" = off ] && flags+=(--snapshot off)
base="http://127.0.0.1:$port"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true' EXIT

kib() { awk -v key="$1" '$1 == key":" {print $2}' "/proc/$server/status"; }
healthy() {
  curl -fs -o /dev/null "$base/healthz" && return 0
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "the server exited" >&2; exit 1; }
  return 1
}
indexed() { curl -fs "$base/healthz" | grep -q '"lifecycles":"ready"'; }
written_after_index() {
  awk '/Lifecycle index built/ { built = 1 } built && /Wrote the catalog snapshot/ { found = 1 } END { exit !found }' "$log"
}
for run in $(seq 1 "$starts"); do
  sync
  log=$(mktemp)
  started=$(date +%s.%N)
  "$binary" serve "${flags[@]}" >"$log" 2>&1 &
  server=$!
  poll 0.01 healthy || { echo "not ready within $wait s" >&2; exit 1; }
  ready=$(date +%s.%N)
  rss_ready=$(kib VmRSS)
  indexed=""
  poll 0.05 indexed && indexed=$(date +%s.%N)
  rss_index=$(kib VmRSS)
  # The snapshot is written in the background after a start from the rows: wait for it before stopping.
  poll 0.1 grep -q "Wrote the catalog snapshot\|Loaded the catalog snapshot\|Not using" "$log" || true
  if grep -q "Not using the catalog snapshot" "$log"; then
    poll 0.1 grep -q "Wrote the catalog snapshot" "$log" || true
  fi
  # Once the index is built the keeper writes the file again, with the lifecycles: wait for that write, or the next
  # start finds no lifecycles in the file and builds them all again.
  if [ "$snapshot" != off ] && ! grep -q 'lifecycles=held' "$log"; then
    poll 0.1 written_after_index || true
  fi
  peak=$(kib VmHWM)
  source=$(grep -o "Loaded the catalog snapshot\|Not using the catalog snapshot" "$log" | head -1 || true)
  printf 'start %d (%s): ready %.2f s, RSS %d MiB; index ready %.2f s, RSS %d MiB; peak %d MiB\n' \
    "$run" "${source:-no snapshot}" "$(echo "$ready - $started" | bc -l)" "$((rss_ready / 1024))" \
    "$(echo "${indexed:-$started} - $started" | bc -l)" "$((rss_index / 1024))" "$((peak / 1024))"
  grep -o 'Wrote the catalog snapshot.*\|Loaded the catalog snapshot.*\|from_snapshot=[0-9]* milliseconds=[0-9]*' "$log" | sed 's/^/  /' || true
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
  rm -f "$log"
done
