#!/usr/bin/env bash
# Cross builds of capheap for the MCUs it targets, and their code size.
#   tools/cross.sh          build every target (warnings are errors)
#   tools/cross.sh size     build, then print text/data/bss per component
# Targets: Cortex-M0+ (no CLZ: the portable bit scan), Cortex-M4F and
# Cortex-M33 with arm-none-eabi-gcc and newlib, RV32IMC (the ESP32-C3's ISA)
# with riscv64-unknown-elf-gcc, which has no C library here: only the
# freestanding layers (core, capability layer, chip tables) build for it.
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
  "output:src/output/format.c src/output/print.c"
  "output-stdio:src/output/write_stdio.c"
  "system:src/system/system.c src/system/system_hooks.c"
  "compat:src/compat/multi_heap.c src/compat/heap_regions.c src/compat/esp_heap_caps.c src/compat/esp_heap_caps_init.c src/compat/esp_heap_alloc_caps.c"
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

# Bytes of capheap code the linker keeps in a program that initialises,
# adds a region, allocates and frees: the sizes of the kept symbols that
# capheap's objects define.
linked_capheap_text() {
  local t=m4f d="$out/m4f/program"
  mkdir -p "$d"
  # shellcheck disable=SC2086
  "${cc[$t]}" ${flags[$t]} "$opt" "${warn[@]}" "${defs[@]}" \
    -DCAPHEAP_PORT_NONE --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
    tools/size/init_alloc_free.c "$out/$t"/core/*.o \
    "$out/$t"/port-none/*.o -o "$d/init_alloc_free.elf"
  arm-none-eabi-nm -S --defined-only "$out/$t"/core/*.o "$out/$t"/port-none/*.o |
    awk 'NF == 4 && $3 ~ /^[TtRr]$/ { print $4 }' | sort -u >"$d/ours"
  arm-none-eabi-nm -S -t d "$d/init_alloc_free.elf" |
    awk 'NF == 4 && $3 ~ /^[TtRr]$/ { print $4, $2 + 0 }' | sort >"$d/kept"
  join "$d/ours" "$d/kept" | awk '{ n += $2 } END { print n + 0 }'
}

if [ "${1:-}" = budget ]; then
  core=$(text_of m4f core)
  caps=$(text_of m4f caps)
  small=$(linked_capheap_text)
  status=0
  printf '%-18s %7s %7s %7s\n' "Cortex-M4F -Os" bytes target limit
  while read -r name target limit; do
    case $name in '' | '#'*) continue ;; esac
    case $name in
      core) got=$core ;;
      core+caps) got=$((core + caps)) ;;
      init+alloc+free) got=$small ;;
      *) echo "budget: unknown component $name" >&2; exit 1 ;;
    esac
    verdict=ok
    [ "$got" -gt "$target" ] && verdict="over target by $((got - target))"
    if [ "$got" -gt "$limit" ]; then
      verdict="FAIL: over the limit by $((got - limit))"
      status=1
    fi
    printf '%-18s %7d %7d %7d  %s\n' "$name" "$got" "$target" "$limit" "$verdict"
  done <tools/size/budgets
  exit $status
fi
