#!/usr/bin/env bash
# Build the programs of tests/sanitizer/ against the core with
# CAPHEAP_VALGRIND=1 and with CAPHEAP_ASAN=1, run each under its tool, and
# check that the tool reports the mistake the program makes, at the address
# the program announces ("san-test: <what> at <addr>"), and reports nothing
# for the control program.
#
#   tests/sanitizer/run.sh [valgrind|asan|all]     (default: all)
#   CC=clang tests/sanitizer/run.sh                (default: gcc)
#   BUILD=build-san tests/sanitizer/run.sh         (default: build-sanitizer)
#
# One verdict line per case; exits non-zero if any case is unexpected.
set -euo pipefail
cd "$(dirname "$0")/../.."

which_tools=${1:-all}
CC=${CC:-gcc}
BUILD=${BUILD:-build-sanitizer}
here=tests/sanitizer

# DWARF 4: Valgrind 3.19 cannot read clang 14's default DWARF 5.
warn=(-std=c11 -gdwarf-4 -Wall -Wextra -Werror -pedantic -Iinclude)
# The core at the library's own optimisation (-O1 makes gcc 12 see
# uninitialised variables that are not); the programs at -O1.
core_opt=(-O2 -ffreestanding)
prog_opt=(-O1)
if "$CC" -dM -E - </dev/null | grep -q __clang__; then
  asan_core=(-mllvm -asan-instrument-reads=0 -mllvm -asan-instrument-writes=0
    -mllvm -asan-instrument-atomics=0)
else
  asan_core=(--param=asan-instrument-reads=0 --param=asan-instrument-writes=0)
fi
asan=(-fsanitize=address -fno-omit-frame-pointer)

failures=0
verdict() { # PASS|FAIL tool case text
  printf '%-4s %-8s %-18s %s\n' "$1" "$2" "$3" "$4"
  [ "$1" = PASS ] || failures=$((failures + 1))
}

# build <tool> <option flags...>: objects of the core, the pthread port and
# src/debug/, then one executable per program, in $BUILD/<tool>/.
build() {
  local tool=$1
  shift
  local dir=$BUILD/$tool core_extra=() all_extra=()
  if [ "$tool" = asan ]; then
    core_extra=("${asan[@]}" "${asan_core[@]}")
    all_extra=("${asan[@]}")
  fi
  rm -rf "$dir"
  mkdir -p "$dir/obj"
  for src in src/core/*.c; do
    "$CC" "${warn[@]}" "$@" "${core_opt[@]}" ${core_extra[@]+"${core_extra[@]}"} \
      -c "$src" -o "$dir/obj/$(basename "$src" .c).o"
  done
  # The port, the diagnostics and the output it prints with: library code, instrumented
  # like the program.
  for src in src/ports/pthread/port_pthread.c src/debug/*.c src/output/*.c; do
    [ -e "$src" ] || continue
    "$CC" "${warn[@]}" -Isrc "$@" -O2 ${all_extra[@]+"${all_extra[@]}"} \
      -c "$src" -o "$dir/obj/$(basename "$src" .c).o"
  done
  for src in "$here"/*.c; do
    "$CC" "${warn[@]}" "$@" "${prog_opt[@]}" ${all_extra[@]+"${all_extra[@]}"} \
      "$src" "$dir"/obj/*.o -lpthread -o "$dir/$(basename "$src" .c)"
  done
}

# run <tool> <case>: the program under its tool; output in $log, status in
# $status, the announced address in $addr.
run() {
  local tool=$1 name=$2 exe=$BUILD/$1/$2
  log=$BUILD/$tool/$name.log
  set +e
  # In a subshell that waits (not execs) and whose stderr is dropped: bash's
  # "Aborted" notice for the double free is not a result.
  if [ "$tool" = valgrind ]; then
    (
      timeout 300 valgrind --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,possible \
        --errors-for-leak-kinds=definite,possible "$exe" >"$log" 2>&1
      exit $?
    ) 2>/dev/null
  else
    (
      ASAN_OPTIONS=detect_leaks=1 timeout 300 "$exe" >"$log" 2>&1
      exit $?
    ) 2>/dev/null
  fi
  status=$?
  set -e
  addr=$(sed -n 's/^san-test: .* at \(0x[0-9a-f]*\)$/\1/p' "$log" | head -n 1)
}

# Lines that mean the tool reported something.
tool_said() {
  if [ "$1" = valgrind ]; then
    grep -Eq 'ERROR SUMMARY: [1-9]|^==[0-9]+== (Invalid|Conditional|Use of|Mismatched)' "$log"
  else
    grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer' "$log"
  fi
}

# expect <tool> <case> <kind> [pattern...]; "@" in a pattern stands for the
# announced address. Kinds:
#   report   the tool reports it: its failure status and every pattern
#   clean    status 0 and no report (the control program)
#   capheap  capheap's own report and abort; the tool adds nothing
#   silent   a documented limit of the tool: status 0 and no report
expect() {
  local tool=$1 name=$2 kind=$3
  shift 3
  run "$tool" "$name"
  if grep -q '^san-test: setup failed' "$log"; then
    verdict FAIL "$tool" "$name" "the program's setup failed: see $log"
    return
  fi
  local want_status ok=1 missing=""
  case $kind in
    report) [ "$tool" = valgrind ] && want_status=99 || want_status=1 ;;
    capheap) want_status=134 ;; # SIGABRT
    *) want_status=0 ;;
  esac
  [ "$status" -eq "$want_status" ] || { ok=0; missing="exit status $status, not $want_status; "; }
  if [ "$kind" != report ] && tool_said "$tool"; then
    ok=0
    missing+="the tool reported something; "
  fi
  local p
  for p in "$@"; do
    p=${p//@/$addr}
    grep -qF -- "$p" "$log" || { ok=0; missing+="no '$p'; "; }
  done
  local what="$kind"
  [ $# -gt 0 ] && what="$kind: $(printf '"%s" ' "${@//@/$addr}")"
  if [ $ok -eq 1 ]; then
    verdict PASS "$tool" "$name" "$what"
  else
    verdict FAIL "$tool" "$name" "${missing}see $log"
  fi
}

# A build that must stop with sanitize.h's #error.
expect_error() {
  local name=$1 text=$2
  shift 2
  local out=$BUILD/$name.log
  if "$CC" "${warn[@]}" -O2 "$@" -c src/core/alloc.c -o /dev/null >"$out" 2>&1; then
    verdict FAIL build "$name" "compiled, but should not"
  elif grep -qF -- "$text" "$out"; then
    verdict PASS build "$name" "#error: $text"
  else
    verdict FAIL build "$name" "failed without the #error: see $out"
  fi
}

mkdir -p "$BUILD"
expect_error asan-no-fsanitize "CAPHEAP_ASAN=1 needs -fsanitize=address" \
  -DCAPHEAP_ASAN=1
expect_error valgrind-and-asan "exclude each other" \
  -DCAPHEAP_ASAN=1 -DCAPHEAP_VALGRIND=1 "${asan[@]}"

if [ "$which_tools" = all ] || [ "$which_tools" = valgrind ]; then
  command -v valgrind >/dev/null || { echo "valgrind not installed (tools/setup-deps.sh ci)" >&2; exit 1; }
  build valgrind -DCAPHEAP_VALGRIND=1
  t=valgrind
  expect $t clean clean "clean: ok" "All heap blocks were freed"
  expect $t overflow_write report "Invalid write of size 1" \
    "Address @ is 0 bytes after a block of size 13 alloc'd"
  expect $t overflow_read report "Invalid read of size 1" \
    "Address @ is 0 bytes after a block of size 13 alloc'd"
  expect $t underflow_write report "Invalid write of size 1" \
    "Address @ is 1 bytes before a block of size 24 alloc'd"
  expect $t next_header_write report "Invalid write of size 8" \
    "Address @ is 0 bytes after a block of size 24 alloc'd"
  expect $t uaf_read report "Invalid read of size 1" \
    "Address @ is 20 bytes inside a block of size 40 free'd"
  expect $t uaf_write report "Invalid write of size 1" \
    "Address @ is 20 bytes inside a block of size 40 free'd"
  expect $t realloc_shrink report "Invalid write of size 1" \
    "Address @ is 0 bytes after a block of size 40 alloc'd"
  expect $t realloc_grow report "Invalid write of size 1" \
    "Address @ is 0 bytes after a recently re-allocated block of size 200 alloc'd"
  expect $t realloc_stale report "Invalid read of size 1" \
    "Address @ is 20 bytes inside a block of size 40 free'd"
  expect $t uninit_read report \
    "Conditional jump or move depends on uninitialised value(s)" \
    "(uninit_read.c:"
  expect $t leak report "100 bytes in 1 blocks are definitely lost" \
    "by 0x" "capheap_heap_alloc" "(alloc.c:"
  expect $t double_free capheap "capheap: free: double free at @" \
    "ERROR SUMMARY: 0 errors"
fi

if [ "$which_tools" = all ] || [ "$which_tools" = asan ]; then
  build asan -DCAPHEAP_ASAN=1
  t=asan
  # Manual poisoning has one kind of report, use-after-poison, for every
  # mistake; the address and the access tell them apart.
  expect $t clean clean "clean: ok"
  expect $t overflow_write report "use-after-poison on address @" \
    "WRITE of size 1 at @"
  expect $t overflow_read report "use-after-poison on address @" \
    "READ of size 1 at @"
  expect $t underflow_write report "use-after-poison on address @" \
    "WRITE of size 1 at @"
  expect $t next_header_write report "use-after-poison on address @" \
    "WRITE of size 8 at @"
  expect $t uaf_read report "use-after-poison on address @" \
    "READ of size 1 at @"
  expect $t uaf_write report "use-after-poison on address @" \
    "WRITE of size 1 at @"
  expect $t realloc_shrink report "use-after-poison on address @" \
    "WRITE of size 1 at @"
  expect $t realloc_grow report "use-after-poison on address @" \
    "WRITE of size 1 at @"
  expect $t realloc_stale report "use-after-poison on address @" \
    "READ of size 1 at @"
  # Limits (docs/sanitizers.md): ASan does not track initialisation, and
  # LeakSanitizer knows only its own allocator's blocks.
  expect $t uninit_read silent
  expect $t leak silent
  expect $t double_free capheap "capheap: free: double free at @"
fi

if [ $failures -ne 0 ]; then
  echo "sanitizer tests: $failures unexpected result(s)"
  exit 1
fi
echo "sanitizer tests: all as expected"
