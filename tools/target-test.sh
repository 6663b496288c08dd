#!/usr/bin/env bash
# Tests on an emulated Cortex-M3 (the MPS2 AN385 on qemu-system-arm), built
# with arm-none-eabi-gcc and newlib's semihosting (rdimon); QEMU returns
# each program's exit status.
#   model_target  the core's model-based test (port none)
#   irq_target    the irq port: SysTick's handler and the main loop share
#                 a heap; -icount ties SysTick to instructions, so the
#                 interrupts land densely and at the same places every run
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TARGET_OUT:-build-target}
mkdir -p "$out"
cflags=(-mcpu=cortex-m3 -mthumb -O2 -std=c11 -Wall -Wextra -Werror -pedantic
  -Iinclude -Isrc --specs=rdimon.specs -nostartfiles
  -T tests/target/mps2_an385.ld tests/target/startup_m3.c)

run() {
  local elf=$1
  shift
  timeout 600 qemu-system-arm -M mps2-an385 -nographic "$@" \
    -semihosting-config enable=on,target=native -kernel "$elf"
}

arm-none-eabi-gcc "${cflags[@]}" -DCAPHEAP_PORT_NONE \
  tests/target/model_target.c src/core/*.c src/ports/none/port_none.c \
  -o "$out/model_target.elf"
arm-none-eabi-gcc "${cflags[@]}" tests/target/irq_target.c src/core/*.c \
  src/ports/irq/port_irq.c -o "$out/irq_target.elf"

run "$out/model_target.elf"
run "$out/irq_target.elf" -icount shift=3
