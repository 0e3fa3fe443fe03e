#!/usr/bin/env bash
# libFuzzer over Pacta's parsers (civil dates, periods, JSON shape, agreement/rules documents), built in the
# separate Fuzz/ package with -sanitize=fuzzer,address and the toolchain's ld.lld (STACK-NOTES).
# Usage: scripts/fuzz.sh --replay        replay the committed corpus (CI)
#        scripts/fuzz.sh [SECONDS]        fuzz for SECONDS (default 60), growing Fuzz/corpus
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
swift build -c release --product FuzzParsers --toolset lld-toolset.json \
  -Xswiftc -sanitize=fuzzer,address 2>&1 | tail -3
binary=$(swift build -c release --product FuzzParsers --toolset lld-toolset.json \
  -Xswiftc -sanitize=fuzzer,address --show-bin-path)/FuzzParsers
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ "${1:-}" = "--replay" ]; then
  "$binary" -runs=0 -dict=parsers.dict corpus 2>&1 | tee "$log" | tail -4
else
  seconds=${1:-60}
  mkdir -p corpus
  "$binary" -max_total_time="$seconds" -use_value_profile=1 -max_len=4096 -dict=parsers.dict \
    -artifact_prefix=./ corpus 2>&1 | tee "$log" | grep -E "INFO: Running with|#[0-9]+.*(DONE|pulse)|ERROR|Done" | tail -6
fi
grep -q "INFO: Running with" "$log" || { echo "libFuzzer did not run (no 'INFO: Running with')"; exit 1; }
grep -q "ERROR: libFuzzer\|ERROR: AddressSanitizer\|Fatal error" "$log" && { echo "the fuzzer found a crash"; exit 1; }
echo "fuzz: ok"
