#!/usr/bin/env bash
# Cross builds of capheap for the MCUs it targets, and their code size.
#   tools/cross.sh          build every target (warnings are errors)
#   tools/cross.sh size     build, then print text/data/bss per component
#   tools/cross.sh budget   build, then issue #11's footprint: the ESP32
#                           program and the core-only program of tools/size
#                           against tools/size/budgets (Cortex-M4F), where
#                           their bytes are, and the same for M0+ and
#                           RV32IMC (reported); fails over a limit
# Targets: Cortex-M0+ (no CLZ: the portable bit scan), Cortex-M4F and
# Cortex-M33 with arm-none-eabi-gcc and newlib, RV32IMC (the ESP32-C3's ISA)
# with riscv64-unknown-elf-gcc: only the freestanding layers (core,
# capability layer, chip tables) are built for it here; the budget's
# programs link picolibc.
# Every target also builds the irq port, whose lock is checked to mask and
# its unlock to restore interrupts (PRIMASK, mstatus.MIE), and every run
# checks that the spinlock port refuses to build where atomics are not
# lock-free (M0+, RV32IMC: its #error) and elsewhere builds to atomic
# instructions (ldrex/strex on M4F and M33, amoswap or lr/sc on RV32IMAC).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${CROSS_OUT:-build-cross}
opt=${CROSS_OPT:--Os}
warn=(-std=c11 -Wall -Wextra -Werror -pedantic -ffunction-sections -fdata-sections)
defs=(-Iinclude -Iinclude/compat -Isrc)

declare -A cc flags free_only
cc[m0plus]=arm-none-eabi-gcc
flags[m0plus]="-mcpu=cortex-m0plus -mthumb -DCAPHEAP_USE_BUILTINS=0"
cc[m4f]=arm-none-eabi-gcc
flags[m4f]="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
cc[m33]=arm-none-eabi-gcc
flags[m33]="-mcpu=cortex-m33 -mthumb"
cc[rv32imc]=riscv64-unknown-elf-gcc
flags[rv32imc]="-march=rv32imc -mabi=ilp32 -nostdlib"
free_only[rv32imc]=1
targets=(m0plus m4f m33 rv32imc)

# component name, then its sources
components=(
  "core:src/core/region.c src/core/alloc.c src/core/free.c src/core/realloc.c src/core/block_ops.c src/core/stats.c src/core/check.c src/core/walk.c src/core/error.c src/core/owners.c src/core/lock.c"
  "core-names:src/core/names.c"
  "caps:src/caps/caps.c src/caps/layout.c src/caps/alias.c src/caps/caps_check.c"
  "chip-esp32:src/chips/esp32.c"
  "chip-esp32s3:src/chips/esp32s3.c"
  "chip-esp32c3:src/chips/esp32c3.c"
  "chip-stm32h743:src/chips/stm32h743.c"
  "chips-registry:src/chips/chips.c src/chips/host.c"
  "port-none:src/ports/none/port_none.c"
  "port-irq:src/ports/irq/port_irq.c"
  "output:src/output/format.c src/output/print.c src/output/message.c src/output/log_timestamp.c"
  "output-stdio:src/output/write_stdio.c"
  "system:src/system/system.c src/system/system_hooks.c"
  "compat:src/compat/multi_heap.c src/compat/heap_regions.c src/compat/esp_heap_caps.c src/compat/esp_heap_caps_init.c src/compat/esp_heap_alloc_caps.c src/compat/esp_boot_log.c src/compat/heap_memory_layout.c"
  "libc:src/libc/malloc.c"
)
hosted=(compat libc output-stdio)
# Components that call a port's lock (built without CAPHEAP_PORT_NONE).
locking=(port-irq)

build() {
  local t=$1 c name srcs
  for c in "${components[@]}"; do
    name=${c%%:*}
    srcs=${c#*:}
    if [ -n "${free_only[$t]:-}" ] && [[ " ${hosted[*]} " == *" $name "* ]]; then
      continue
    fi
    mkdir -p "$out/$t/$name"
    local d=("${defs[@]}")
    if [[ " ${locking[*]} " != *" $name "* ]]; then
      d+=(-DCAPHEAP_PORT_NONE)
    fi
    for s in $srcs; do
      # shellcheck disable=SC2086
      "${cc[$t]}" ${flags[$t]} "$opt" "${warn[@]}" "${d[@]}" \
        -DCAPHEAP_REPLACE_LIBC_MALLOC -ffreestanding -c "$s" \
        -o "$out/$t/$name/$(basename "$s" .c).o"
    done
  done
}

report() {
  local t=$1 d size
  size=${cc[$t]%-gcc}-size
  printf '\n%s (%s %s)\n' "$t" "${cc[$t]}" "${flags[$t]} $opt"
  printf '  %-16s %7s %6s %6s\n' component text data bss
  for d in "$out/$t"/*/; do
    "$size" -t "$d"*.o | awk -v n="$(basename "$d")" \
      'END { printf "  %-16s %7d %6d %6d\n", n, $1, $2, $3 }'
  done
}

for t in "${targets[@]}"; do
  if ! command -v "${cc[$t]}" >/dev/null; then
    echo "cross: ${cc[$t]} is missing (tools/setup-deps.sh ci installs it)" >&2
    exit 1
  fi
  rm -rf "${out:?}/$t"
  build "$t"
done
echo "cross builds: ${targets[*]} ok"

# The spinlock port on target $1 (flags: the rest): refused with the
# #error naming the alternatives, or built with atomic instructions in
# capheap_port_lock: one matching each of the patterns in $2.
spinlock_check() {
  local t=$1 want=$2 compiler=$3 o="$out/spinlock-$1" err lock p pats
  shift 3
  mkdir -p "$o"
  if [ "$want" = refused ]; then
    if "$compiler" "$@" "$opt" "${warn[@]}" "${defs[@]}" -ffreestanding -c \
      src/ports/spinlock/port_spinlock.c -o "$o/port_spinlock.o" 2>"$o/err"; then
      echo "spinlock: $t built the spinlock port without lock-free atomics" >&2
      return 1
    fi
    err=$(cat "$o/err")
    if [[ $err != *"#error"*"CAPHEAP_PORT=irq"*"CAPHEAP_PORT=user"* ]]; then
      echo "spinlock: $t failed, but not with the port's #error:" >&2
      echo "$err" >&2
      return 1
    fi
    echo "spinlock port: refused on $t (#error names irq and user)"
    return 0
  fi
  "$compiler" "$@" "$opt" "${warn[@]}" "${defs[@]}" -ffreestanding -c \
    src/ports/spinlock/port_spinlock.c -o "$o/port_spinlock.o"
  lock=$("${compiler%-gcc}-objdump" -d "$o/port_spinlock.o" |
    awk '/<capheap_port_lock>:/ { on = 1; next } /^[0-9a-f]+ <[^.]/ { on = 0 } on')
  read -ra pats <<<"$want" # no globbing of the brackets
  for p in "${pats[@]}"; do
    if ! grep -Eq "$p" <<<"$lock"; then
      echo "spinlock: $t's capheap_port_lock has no $p:" >&2
      echo "$lock" >&2
      return 1
    fi
  done
  echo "spinlock port: $t takes the lock with" \
    "$(grep -Eo "${want// /|}" <<<"$lock" | sort -u | tr '\n' ' ')"
}
# shellcheck disable=SC2086
{
  spinlock_check m0plus refused "${cc[m0plus]}" ${flags[m0plus]}
  spinlock_check rv32imc refused "${cc[rv32imc]}" ${flags[rv32imc]}
  spinlock_check m4f 'ld[ar]ex st[rl]ex' "${cc[m4f]}" ${flags[m4f]}
  spinlock_check m33 'ld[ar]ex st[rl]ex' "${cc[m33]}" ${flags[m33]}
  spinlock_check rv32imac 'amoswap|lr\.w' riscv64-unknown-elf-gcc \
    -march=rv32imac -mabi=ilp32
}

# The irq port's lock and unlock on target $1 mask and restore interrupts:
# $2 must match in capheap_port_lock, $3 in capheap_port_unlock. RV32IMC's
# objdump shows the CSR instructions as words (no zicsr in the object):
# csrrci rd, mstatus, 8 is 0x30047?73 or ...f3, csrs mstatus, rs is
# 0x300?2073 or 0x300?a073 (bit 15 is rs's low bit).
irq_check() {
  local t=$1 lock=$2 unlock=$3 dis
  dis=$("${cc[$t]%-gcc}-objdump" -d "$out/$t/port-irq/port_irq.o")
  fn() { awk -v f="<$1>:" '$2 == f { on = 1; next } /^[0-9a-f]+ <[^.]/ { on = 0 } on'; }
  if ! fn capheap_port_lock <<<"$dis" | grep -Eqi "$lock" ||
    ! fn capheap_port_unlock <<<"$dis" | grep -Eqi "$unlock"; then
    echo "irq: $t's lock does not mask ($lock) or its unlock restore ($unlock):" >&2
    echo "$dis" >&2
    return 1
  fi
  echo "irq port: $t masks and restores interrupts"
}
irq_check m0plus 'cpsid' 'msr[[:space:]]+primask'
irq_check m4f 'cpsid' 'msr[[:space:]]+primask'
irq_check m33 'cpsid' 'msr[[:space:]]+primask'
irq_check rv32imc '30047[0-9a-f][7f]3' '300[0-9a-f][2a]073'
if [ "${1:-}" = size ]; then
  for t in "${targets[@]}"; do report "$t"; done
fi

# Bytes of text (with read-only data) in the objects of component $2 of
# target $1.
text_of() {
  local size=${cc[$1]%-gcc}-size
  "$size" -t "$out/$1/$2"/*.o | awk 'END { print $1 }'
}

# ---- the footprint budgets (issue #11) -----------------------------------
# Two programs, per target: tools/size/esp32_program.c built the way the
# README tells firmware to (capheap.mk through tools/size/program.mk: port
# none, chip esp32, capheap's malloc), and tools/size/init_alloc_free.c
# linked with the core and port none of that build. -Os -DNDEBUG
# -ffunction-sections -fdata-sections, --gc-sections. Counted: the code and
# read-only data (nm types T t R r, and W w: the weak default
# capheap_port_write is capheap code too) the linker keeps from capheap's
# objects, each symbol given to the object whose section holds its address
# (from the link map, so local names that recur in several files, or a C
# library's symbol of the same name, cannot be mixed up). String literals
# (mergeable .rodata.str sections, which have no symbol) are counted apart.

# Compiler flags of the size programs (with the C library: its headers),
# and link flags. RV32IMC: picolibc, whose stdout is semihosting's.
declare -A size_flags size_link
size_flags[m4f]="${flags[m4f]} --specs=nano.specs"
size_link[m4f]="--specs=nosys.specs"
size_flags[m0plus]="${flags[m0plus]} --specs=nano.specs"
size_link[m0plus]="--specs=nosys.specs"
size_flags[rv32imc]="-march=rv32imc -mabi=ilp32 --specs=picolibc.specs"
size_link[rv32imc]="--oslib=semihost"

# Build both programs for target $1 in $out/$1/size.
size_programs() {
  local t=$1 d="$out/$1/size"
  rm -rf "$d"
  make -s -f tools/size/program.mk OUT="$d" CC="${cc[$t]}" \
    TARGET_FLAGS="${size_flags[$t]} $opt" LINK_FLAGS="${size_link[$t]}" \
    "-j${JOBS:-2}"
  # shellcheck disable=SC2086
  "${cc[$t]}" ${size_flags[$t]} "$opt" "${warn[@]}" -DNDEBUG -Iinclude \
    tools/size/init_alloc_free.c "$d"/obj/src/core/*.o \
    "$d"/obj/src/ports/none/*.o ${size_link[$t]} -Wl,--gc-sections \
    -Wl,-Map="$d/core_only.map" -o "$d/core_only.elf"
}

# The kept symbols of program $2 (an .elf with its .map beside it) of
# target $1 that capheap's objects define: lines "component symbol bytes
# type", the component being the directory under src/ (core, caps, ...).
# Then "component .str bytes s" for the string literals of each component.
kept_symbols() {
  local nm=${cc[$1]%-gcc}-nm elf=$2 map=${2%.elf}.map
  {
    awk '
      function hex(s, i, v) {
        v = 0; s = tolower(s); sub(/^0x/, "", s)
        for (i = 1; i <= length(s); i++)
          v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
      }
      # Input sections of capheap objects: "sec addr size file" on one
      # line, or the name alone with the rest on the next.
      /^Linker script and memory map/ { on = 1; next }
      !on { next }
      /^ \.[^ ]+$/ { sec = $1; next }
      /^ \.[^ ]+ +0x[0-9a-f]+ +0x[0-9a-f]+ / { sec = $1; a = $2; n = $3; f = $4 }
      /^ +0x[0-9a-f]+ +0x[0-9a-f]+ [^ ]/ && sec != "" { a = $1; n = $2; f = $3 }
      f != "" {
        if (f ~ /\/obj\/src\/[^\/]+\// && hex(n) > 0) {
          c = f; sub(/.*\/obj\/src\//, "", c); sub(/\/.*/, "", c)
          if (sec ~ /^\.rodata.*\.str/) print "S", c, hex(n)
          else print "R", hex(a), hex(n), c
        }
        f = ""
      }
      { sec = "" }' "$map"
    "$nm" -S -t d "$elf" | awk 'NF == 4 { print "Y", $1 + 0, $2 + 0, $3, $4 }'
  } | awk 'BEGIN { n = 0 }
    $1 == "S" { str[$2] += $3; next }
    $1 == "R" { a[n] = $2; e[n] = $2 + $3; c[n] = $4; n++; next }
    $1 == "Y" {
      x = $2; if ($4 ~ /^[Tt]$/) x -= x % 2 # Thumb: bit 0 says Thumb
      for (i = 0; i < n; i++)
        if (x >= a[i] && x < e[i]) { print c[i], $5, $3, $4; break }
    }
    END { for (k in str) print k, ".str", str[k], "s" }'
}

# Bytes of code and read-only data of capheap kept in program $2 of
# target $1.
kept_text() {
  kept_symbols "$1" "$2" | awk '$4 ~ /^[TtRrWw]$/ { n += $3 } END { print n + 0 }'
}

# Where the bytes of program $2 of target $1 are: per component its kept
# code and read-only data, its strings and its bss/data.
breakdown() {
  kept_symbols "$1" "$2" | awk '
    $4 ~ /^[TtRrWw]$/ { t[$1] += $3; tt += $3; seen[$1] = 1 }
    $4 == "s" { s[$1] += $3; ts += $3; seen[$1] = 1 }
    $4 ~ /^[BbDdCc]$/ { b[$1] += $3; tb += $3; seen[$1] = 1 }
    END {
      printf "    %-8s %6s %8s %9s\n", "", "code+ro", "strings", "bss+data"
      split("core caps chips compat system output libc ports debug", order)
      for (i = 1; i in order; i++)
        if (order[i] in seen) {
          printf "    %-8s %6d %8d %9d\n", order[i], t[order[i]], s[order[i]], b[order[i]]
          done[order[i]] = 1
        }
      for (k in seen) if (!(k in done))
        printf "    %-8s %6d %8d %9d\n", k, t[k], s[k], b[k]
      printf "    %-8s %6d %8d %9d\n", "total", tt, ts, tb
    }'
}

if [ "${1:-}" = budget ]; then
  for t in m4f m0plus rv32imc; do
    specs=${size_flags[$t]##*--specs=}
    if [ "$("${cc[$t]}" -print-file-name="$specs")" = "$specs" ]; then
      echo "budget: ${cc[$t]} has no $specs (tools/setup-deps.sh firmware installs it)" >&2
      exit 1
    fi
    size_programs "$t"
  done
  m4=$out/m4f/size
  core=$(text_of m4f core)
  caps=$(text_of m4f caps)
  status=0
  printf '%-18s %7s %7s %7s  %s\n' "Cortex-M4F -Os" bytes target limit verdict
  while read -r name target limit peers; do
    case $name in '' | '#'*) continue ;; esac
    case $name in
      esp32-program) got=$(kept_text m4f "$m4/esp32_program.elf") ;;
      core-only) got=$(kept_text m4f "$m4/core_only.elf") ;;
      core-built) got=$core ;;
      core+caps-built) got=$((core + caps)) ;;
      *) echo "budget: unknown row $name" >&2; exit 1 ;;
    esac
    verdict=ok
    [ "$target" != - ] && [ "$got" -gt "$target" ] &&
      verdict="over target by $((got - target))"
    if [ "$got" -gt "$limit" ]; then
      verdict="FAIL: over the limit by $((got - limit))"
      status=1
    fi
    printf '%-18s %7d %7s %7d  %s\n' "$name" "$got" "$target" "$limit" "$verdict"
    [ -n "$peers" ] && printf '%-18s %s\n' "" "${peers#\# }"
  done <tools/size/budgets

  # A program that calls no print or dump function links no formatter
  # (capheap/output.h): the ESP32 program prints only on a failure.
  fmt=$(arm-none-eabi-nm "$m4/esp32_program.elf" |
    awk '$3 ~ /^capheap_(vformat|v?printf|v?snprintf)$/ { print $3 }')
  if [ -n "$fmt" ]; then
    echo "FAIL: the ESP32 program links the formatter: $(echo $fmt)"
    status=1
  else
    echo "esp32-program links no formatter: ok"
  fi

  printf '\nWhere the ESP32 program'"'"'s bytes are (Cortex-M4F; strings and bss not in the budget):\n'
  breakdown m4f "$m4/esp32_program.elf"

  # Reported, not enforced.
  for t in m0plus rv32imc; do
    printf '\n%s (%s %s %s): esp32-program %d, core-only %d\n' "$t" \
      "${cc[$t]}" "${size_flags[$t]}" "$opt" \
      "$(kept_text "$t" "$out/$t/size/esp32_program.elf")" \
      "$(kept_text "$t" "$out/$t/size/core_only.elf")"
    breakdown "$t" "$out/$t/size/esp32_program.elf"
  done
  exit $status
fi
