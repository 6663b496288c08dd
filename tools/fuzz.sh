#!/usr/bin/env bash
# Run the libFuzzer harnesses (make fuzz).
#   tools/fuzz.sh BUILD SECONDS HARNESS...
# Each harness first replays its seed corpus (tests/fuzz/corpus/<name>) as a
# regression run, then fuzzes for SECONDS from a copy of it (the repository
# is not modified). Findings go to BUILD/fuzz-findings/; any finding fails.
set -euo pipefail
build=$1
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/fuzz-findings"
mkdir -p "$out"
status=0
for h in "$@"; do
  bin="$build/tests/fuzz/fuzz_$h"
  seeds="$root/tests/fuzz/corpus/$h"
  echo "== fuzz_$h: seed corpus"
  "$bin" -runs=0 "$seeds" 2>&1 | grep -E '^INFO: seed corpus|INITED' || true
  "$bin" -runs=0 "$seeds" >/dev/null 2>&1 || {
    echo "fuzz_$h fails on its seed corpus"; status=1; continue; }
  work=$(mktemp -d)
  cp -r "$seeds" "$work/corpus"
  echo "== fuzz_$h: ${seconds}s"
  # One worker: the machine is shared. -max_len keeps programs short enough
  # for about a hundred runs a second under the sanitizers.
  if "$bin" -max_total_time="$seconds" -max_len=1024 -print_final_stats=1 \
      -artifact_prefix="$out/$h-" "$work/corpus" >"$work/log" 2>&1; then
    grep -E 'DONE|stat::number_of_executed_units' "$work/log" || true
  else
    tail -40 "$work/log"
    echo "fuzz_$h: FINDING (input saved under $out/)"
    status=1
  fi
  rm -rf "$work"
done
exit $status
