#!/usr/bin/env bash
# The core's model-based test on an emulated Cortex-M3: built for the MPS2
# AN385 with arm-none-eabi-gcc and newlib's semihosting (rdimon), run on
# qemu-system-arm, which returns the program's exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TARGET_OUT:-build-target}
mkdir -p "$out"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -O2 -std=c11 -Wall -Wextra -Werror \
  -pedantic -DCAPHEAP_PORT_NONE -Iinclude -Isrc --specs=rdimon.specs \
  -nostartfiles -T tests/target/mps2_an385.ld tests/target/startup_m3.c \
  tests/target/model_target.c src/core/*.c src/ports/none/port_none.c \
  -o "$out/model_target.elf"
timeout 600 qemu-system-arm -M mps2-an385 -nographic \
  -semihosting-config enable=on,target=native -kernel "$out/model_target.elf"
