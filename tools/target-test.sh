#!/usr/bin/env bash
# Tests on emulated hardware; QEMU returns each program's exit status.
#   model_target  the core's model-based test (port none) on a Cortex-M3
#                 (the MPS2 AN385 on qemu-system-arm), arm-none-eabi-gcc and
#                 newlib's semihosting (rdimon)
#   irq_m3        the irq port on the same board: SysTick's handler and the
#                 main loop share a heap
#   irq_rv32      the irq port on RV32IMC (qemu-system-riscv32's virt, hart 0
#                 in machine mode, picolibc), the machine timer's handler
#                 sharing the heap
# -icount ties the timers to instructions, so that the interrupts come
# every few thousand instructions however busy the host is.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TARGET_OUT:-build-target}
mkdir -p "$out"
warn=(-O2 -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude -Isrc
  -Itests/target)
m3=(-mcpu=cortex-m3 -mthumb "${warn[@]}" --specs=rdimon.specs -nostartfiles
  -T tests/target/mps2_an385.ld tests/target/startup_m3.c)
# picolibc's crt0 and linker script, the ELF placed in virt's RAM.
# shellcheck disable=SC2054 # the commas are the linker's
rv32=(-march=rv32imc -mabi=ilp32 "${warn[@]}" --specs=picolibc.specs
  --oslib=semihost -Wl,--defsym=__flash=0x80000000
  -Wl,--defsym=__flash_size=0x200000 -Wl,--defsym=__ram=0x80200000
  -Wl,--defsym=__ram_size=0x200000 -Wl,--defsym=__stack_size=0x4000)
irq=(tests/target/irq_target.c src/core/*.c src/caps/*.c src/ports/irq/port_irq.c)

run() {
  local qemu=$1 elf=$2
  shift 2
  timeout 600 "$qemu" -nographic "$@" \
    -semihosting-config enable=on,target=native -kernel "$elf" 2>&1
}

arm-none-eabi-gcc "${m3[@]}" -DCAPHEAP_PORT_NONE \
  tests/target/model_target.c src/core/*.c src/ports/none/port_none.c \
  -o "$out/model_target.elf"
arm-none-eabi-gcc "${m3[@]}" "${irq[@]}" tests/target/irq_m3.c \
  -o "$out/irq_m3.elf"
riscv64-unknown-elf-gcc "${rv32[@]}" "${irq[@]}" tests/target/irq_rv32.c \
  -o "$out/irq_rv32.elf"

run qemu-system-arm "$out/model_target.elf" -M mps2-an385
run qemu-system-arm "$out/irq_m3.elf" -M mps2-an385 -icount shift=3
run qemu-system-riscv32 "$out/irq_rv32.elf" -M virt -bios none -icount shift=3
