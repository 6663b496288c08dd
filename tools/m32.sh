#!/usr/bin/env bash
# The suite as a 32-bit (i386) build.
#   tools/m32.sh          native: the kernel runs the i386 programs itself,
#                         so the ESP32, S3 and C3 simulations run at their
#                         own addresses; any skipped test fails the run
#   tools/m32.sh qemu     under qemu-i386, for a kernel without IA-32
#                         emulation: qemu 7.2 holds the ESP32's addresses,
#                         so the chip simulations skip (docs/simulation.md)
#   tools/m32.sh probe    exit 0 if this kernel runs i386 programs
# BUILD, JOBS and CAPHEAP_TEST_SCALE as for make test.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-native}
BUILD=${BUILD:-build-m32}
JOBS=${JOBS:-2}
export PKG_CONFIG_LIBDIR=/usr/lib/i386-linux-gnu/pkgconfig

# Whether an i386 program runs here without an emulator. Some kernels are
# built or booted without IA-32 emulation: execve then fails (ENOEXEC).
probe() {
  local dir
  dir=$(mktemp -d)
  printf 'int main(void) { return sizeof(void *) == 4 ? 42 : 1; }\n' >"$dir/p.c"
  local rc=0
  cc -m32 "$dir/p.c" -o "$dir/p" 2>"$dir/err" || {
    echo "m32: cannot build an i386 program (gcc-multilib missing?):" >&2
    cat "$dir/err" >&2
    rm -rf "$dir"
    return 2
  }
  "$dir/p" 2>/dev/null || rc=$?
  rm -rf "$dir"
  [ "$rc" -eq 42 ]
}

case $mode in
probe)
  probe
  exit
  ;;
native)
  if ! probe; then
    echo "m32: this kernel does not run i386 programs (IA-32 emulation is" >&2
    echo "off: see dmesg), so the native 32-bit suite cannot run here." >&2
    echo "'make m32-qemu' runs it under qemu-i386, without the ESP32, S3" >&2
    echo "and C3 simulations." >&2
    exit 1
  fi
  emulator=
  ;;
qemu)
  emulator="-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-i386"
  ;;
*)
  echo "usage: $0 [native|qemu|probe]" >&2
  exit 2
  ;;
esac

tools/setup-deps.sh ci
# shellcheck disable=SC2086 # $emulator is one word or none
cmake -S . -B "$BUILD" -DCMAKE_C_FLAGS=-m32 -DCMAKE_CXX_FLAGS=-m32 -DCAPHEAP_BUILD_BENCH=OFF -DCAPHEAP_HEADER_CHECKS=OFF \
  -DCMAKE_CROSSCOMPILING_EMULATOR= $emulator >/dev/null
cmake --build "$BUILD" -j "$JOBS"
log="$BUILD/ctest-m32.log"
status=0
(cd "$BUILD" && CAPHEAP_TEST_SCALE=${CAPHEAP_TEST_SCALE:-} \
  ctest --output-on-failure -j "$JOBS") | tee "$log" || status=$?
[ "$status" -eq 0 ] || exit "$status"
[ "$mode" = native ] || exit 0

# Natively nothing may skip: the chip simulations are what this run is for.
# ctest's own skips (a SKIP_REGULAR_EXPRESSION matched), then cmocka's.
skipped=0
if grep -E '\*\*\*Skipped|Not Run' "$log"; then
  skipped=1
fi
if grep -E '^\[  SKIP(PED ]|    ])' "$BUILD/Testing/Temporary/LastTest.log"; then
  skipped=1
fi
if [ $skipped -ne 0 ]; then
  echo "m32: tests skipped in the native 32-bit run (listed above)" >&2
  exit 1
fi
echo "m32: native i386 run, no test skipped"
