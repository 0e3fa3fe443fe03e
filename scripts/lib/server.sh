# Sourced by the scripts that test a running server. `start_pacta BINARY` starts it on a fresh database in a
# temporary directory and a free loopback port, waits until /readyz answers (or fails with the server's log),
# and stops it and removes the directory on exit. It sets: work, port, base, server_pid; exports PACTA_DATABASE.
start_pacta() {
  local binary=$1
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  export PACTA_DATABASE="$work/pacta.sqlite"
  server_pid=""
  trap 'stop_pacta' EXIT
  "$binary" serve --port "$port" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/server.log"
  echo "server did not become ready"
  exit 1
}

stop_pacta() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "${work:-}"
}
