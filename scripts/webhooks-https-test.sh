#!/usr/bin/env bash
# Webhooks over HTTPS end to end, on loopback: a throwaway CA and a certificate for 127.0.0.1/localhost made here
# with openssl; a receiver serves HTTPS with it and verifies every signature (PyPI `standardwebhooks`). Without
# PACTA_WEBHOOKS_CA_FILE (or with another CA's file) every attempt fails with the error class `tls` and is retried,
# nothing delivered; with the CA file the same events are delivered. Then delivery latency, HTTPS against HTTP, is
# measured. Bounded (3 minutes). See scripts/webhooks_https_test.py.
# Usage: scripts/webhooks-https-test.sh [BINARY (default .build/debug/pacta)] [LATENCY SAMPLES (default 40)]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/pacta}")
samples=${2:-40}
if ! python3 -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m pip install -q "standardwebhooks==1.3.0"
fi
command -v openssl >/dev/null || { apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl; }
certs=$(mktemp -d /tmp/pacta-webhooks-certs.XXXXXX)
trap 'rm -rf "$certs"' EXIT
unset $(env | grep -o '^PACTA_[A-Z_]*' || true)

# make_ca NAME: a self-signed CA certificate NAME.pem with its key NAME.key (a day, P-256).
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=Pacta test $1" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$certs/$1.key" -out "$certs/$1.pem" 2>/dev/null
}
make_ca ca
make_ca other-ca
# The receiver's certificate, issued by ca for 127.0.0.1 and localhost (subject alternative names).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$certs/server.key" -out "$certs/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
  >"$certs/server.ext"
openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial -days 1 \
  -extfile "$certs/server.ext" -out "$certs/server.pem" 2>/dev/null
# Issued by the same CA for another name only: the host check must refuse it even though the CA is trusted.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=wrong.example" \
  -keyout "$certs/wrong-host.key" -out "$certs/wrong-host.csr" 2>/dev/null
printf 'subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
  >"$certs/wrong-host.ext"
openssl x509 -req -in "$certs/wrong-host.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial -days 1 \
  -extfile "$certs/wrong-host.ext" -out "$certs/wrong-host.pem" 2>/dev/null
openssl verify -CAfile "$certs/ca.pem" "$certs/server.pem" "$certs/wrong-host.pem" >/dev/null

timeout 180 python3 scripts/webhooks_https_test.py "$binary" "$certs" "$samples"
