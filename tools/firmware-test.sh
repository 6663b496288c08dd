#!/usr/bin/env bash
# The example firmwares (examples/), each built and run on its QEMU board;
# ends with "N passed, M failed", exit status 1 if any failed.
#   tools/firmware-test.sh [example...]    (default: all five)
# Each is a CMake project built with its toolchain file, but microbit: a
# plain Makefile over capheap.mk (make -C examples/microbit BUILD=<dir>).
# Each passes if it builds, exits 0 within FW_TIMEOUT seconds, prints its
# PASS verdict and the lines listed for it below, and, where capheap
# replaces the C library's malloc, links no allocator of the C library.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
out=${FIRMWARE_OUT:-build-firmware}
jobs=${JOBS:-2}
timeout_s=${FW_TIMEOUT:-120}

tools/setup-deps.sh firmware || exit 1

declare -A toolchain makefile run prefix expect absent installed
all=(mps2-an386 mps2-an385 microbit virt-rv32imc virt-rv32-smp)
semihost="-semihosting-config enable=on,target=native"

toolchain[mps2-an386]=cortex-m4f-newlib-nano
run[mps2-an386]="qemu-system-arm -M mps2-an386 $semihost"
prefix[mps2-an386]=arm-none-eabi-
expect[mps2-an386]='^DMA buffer at 0x210
^EXEC block at 0x100
^code run from the EXEC block returned 42$
^stdout buffer at 0x20
^strdup at 0x20
^ESP-IDF heap API: [0-9]+ checks, 0 failed$'

toolchain[mps2-an385]=cortex-m3-newlib
run[mps2-an385]="qemu-system-arm -M mps2-an385 $semihost"
prefix[mps2-an385]=arm-none-eabi-
# The firmware's SOC_RESERVE_MEMORY_REGION (examples/mps2/main.c).
expect[mps2-an386]+='
^reserved 0x20200000-0x20201000 \(fw_fixed_buffer\): no block there, untouched$'
# heap_caps_init() on capheap_esp_set_chip()'s chip: ESP-IDF's boot log.
expect[mps2-an385]="${expect[mps2-an386]}
^I \\(0\\) heap_init: Initializing\\. RAM available for dynamic allocation:\$
^I \\(0\\) heap_init: At 01000000 len 00004000 \\(16 KiB\\): TCM\$
^I \\(0\\) heap_init: At 21000000 len 00040000 \\(256 KiB\\): DMA SRAM\$"
# This one finds an installed capheap with find_package(capheap CONFIG).
installed[mps2-an385]="-DCAPHEAP_PORT=irq -DCAPHEAP_REPLACE_LIBC_MALLOC=ON -DCAPHEAP_WERROR=ON
  -DCAPHEAP_BUILD_TESTS=OFF -DCAPHEAP_BUILD_BENCH=OFF -DCAPHEAP_BUILD_DEMO=OFF"

# Its Makefile holds the Cortex-M0 and newlib-nano flags.
makefile[microbit]=1
run[microbit]="qemu-system-arm -M microbit $semihost"
prefix[microbit]=arm-none-eabi-
expect[microbit]='^DMA buffer at 0x20003[4-7]
^EXEC block at 0x20003[0-3]
^code run from the EXEC block returned 42$
^stdout buffer at 0x2000'
# ARMv6-M has no CLZ: capheap's own bit scan, no libgcc call per search.
absent[microbit]='__clzsi2 __ctzsi2'

toolchain[virt-rv32imc]=rv32imc-picolibc
run[virt-rv32imc]="qemu-system-riscv32 -M virt -bios none"
prefix[virt-rv32imc]=riscv64-unknown-elf-
expect[virt-rv32imc]='^DMA buffer at 0x804
^EXEC block at 0x801
^code run from the EXEC block returned 42$
^strdup at 0x802
^I \(0\) heap_init: Initializing\. RAM available for dynamic allocation:$
^I \(0\) heap_init: At 80100000 len 00010000 \(64 KiB\): IRAM$
^I \(0\) heap_init: At 80400000 len 00040000 \(256 KiB\): DMA RAM$'

toolchain[virt-rv32-smp]=rv32imac-picolibc
run[virt-rv32-smp]="qemu-system-riscv32 -M virt -smp 2 -accel tcg,thread=multi -bios none"
prefix[virt-rv32-smp]=riscv64-unknown-elf-
expect[virt-rv32-smp]='^hart 0: [0-9]+ operations
^hart 1: [0-9]+ operations
^every live block holds its pattern'

# Where capheap is malloc: no allocator of the C library may be linked.
# The map lists every archive member the link pulled in; newlib's are
# lib_a-*mallocr.o / lib_a-malloc.o, picolibc's *malloc*.c.o.
no_libc_malloc() {
  local elf=$1 pre=$2 sym addr src
  if grep -E '^[^ ]*lib(c|c_nano|g|g_nano)\.a\([^)]*mall' "$elf.map"; then
    echo "  the C library's allocator is linked (above)"
    return 1
  fi
  for sym in malloc free realloc $([ "$pre" = arm-none-eabi- ] && echo _malloc_r _free_r); do
    # The source line of the code at the symbol's address (nm -l would name
    # the declaration in the C library's header).
    addr=$("${pre}nm" --defined-only "$elf" | awk -v s="$sym" '$3 == s { print $1 }')
    src=$([ -n "$addr" ] && "${pre}addr2line" -e "$elf" "0x$addr")
    case $src in
    */src/libc/malloc.c:*) ;;
    *) echo "  $sym is not capheap's (defined at '${src:-nowhere}')"; return 1 ;;
    esac
  done
}

# An example that is a CMake project: configured with its toolchain file
# (capheap first built and installed where it takes a package), then built.
build_cmake() {
  local ex=$1 dir=$2 tc package=()
  tc=$root/examples/cmake/${toolchain[$ex]}.cmake
  if [ -n "${installed[$ex]:-}" ]; then
    # capheap built for the core and installed, then found as a package.
    package=(-Dcapheap_DIR="$root/$dir/prefix/lib/cmake/capheap")
    # shellcheck disable=SC2086
    if ! { cmake -S . -B "$dir/capheap" -DCMAKE_TOOLCHAIN_FILE="$tc" \
        -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="$root/$dir/prefix" \
        -DCMAKE_INSTALL_LIBDIR=lib ${installed[$ex]} &&
        cmake --build "$dir/capheap" -j "$jobs" &&
        cmake --install "$dir/capheap"; } >"$dir/build.log" 2>&1; then
      tail -n 30 "$dir/build.log"
      echo "  capheap's build or install failed (log: $dir/build.log)"
      return 1
    fi
  fi
  if ! { cmake -S "examples/$ex" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$tc" \
      -DCMAKE_BUILD_TYPE=MinSizeRel "${package[@]}" &&
      cmake --build "$dir" -j "$jobs"; } >>"$dir/build.log" 2>&1; then
    tail -n 30 "$dir/build.log"
    echo "  build failed (log: $dir/build.log)"
    return 1
  fi
}

one() {
  local ex=$1 dir="$out/$1" elf log
  elf=$dir/firmware.elf
  log=$dir/output.txt
  mkdir -p "$dir"
  if [ -n "${makefile[$ex]:-}" ]; then
    if ! make -C "examples/$ex" BUILD="$root/$dir" -j "$jobs" >"$dir/build.log" 2>&1; then
      tail -n 30 "$dir/build.log"
      echo "  build failed (log: $dir/build.log)"
      return 1
    fi
  else
    build_cmake "$ex" "$dir" || return 1
  fi
  local status=0
  # shellcheck disable=SC2086
  timeout "$timeout_s" ${run[$ex]} -nographic -monitor none -serial stdio \
    -kernel "$elf" </dev/null >"$log" 2>&1 || status=$?
  sed 's/^/  | /' "$log"
  local ok=0
  if [ $status -eq 124 ]; then
    echo "  timed out after ${timeout_s} s"; ok=1
  elif [ $status -ne 0 ]; then
    echo "  exit status $status"; ok=1
  fi
  grep -q "^VERDICT $ex: PASS" "$log" || { echo "  no PASS verdict"; ok=1; }
  # capheap prints through its own formatter: heap info on every board,
  # and never a conversion left unformatted (newlib's printf lacks %zu).
  grep -q '^Heap summary for capabilities 0x00000001:$' "$log" ||
    { echo "  no heap info printed"; ok=1; }
  if grep -En '(^| )(zu|jd|lu)( |$)' "$log"; then
    echo "  a conversion was printed unformatted (above)"; ok=1
  fi
  local line
  while IFS= read -r line; do
    grep -Eq -- "$line" "$log" || { echo "  missing output: $line"; ok=1; }
  done <<<"${expect[$ex]}"
  no_libc_malloc "$elf" "${prefix[$ex]}" || ok=1
  local sym
  for sym in ${absent[$ex]:-}; do
    if "${prefix[$ex]}nm" "$elf" | grep -qw "$sym"; then
      echo "  $sym is linked"; ok=1
    fi
  done
  return $ok
}

examples=("$@")
[ ${#examples[@]} -eq 0 ] && examples=("${all[@]}")
passed=0 failed=0
for ex in "${examples[@]}"; do
  if [ -z "${run[$ex]:-}" ]; then
    echo "unknown example '$ex' (known: ${all[*]})" >&2
    exit 2
  fi
  echo "== $ex"
  start=$SECONDS
  if one "$ex"; then
    echo "PASS $ex ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "FAIL $ex ($((SECONDS - start)) s)"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
