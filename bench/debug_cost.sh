#!/usr/bin/env bash
# What each hardening and diagnostics option costs (issues #5, #9): bytes
# per block and instructions per operation of the core, beside the default.
#   bench/debug_cost.sh        prints a Markdown table
# Per option: an -O2 build of capheap-bench with port none (as make bench's
# "port none" figures), the steady trace replayed under callgrind (Ir of
# capheap_heap_alloc/free/realloc over the whole replay, divided by its
# operations), and `capheap-bench space` for the bytes a 1-, 8- and 32-byte
# request consumes, on x86-64 and on i386 (under qemu-i386).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
configs=(
  "default (hardening 1):"
  "hardening off:-DCAPHEAP_HARDEN=0"
  "hardening 2:-DCAPHEAP_HARDEN=2"
  "mangled links:-DCAPHEAP_MANGLE=1"
  "light poisoning:-DCAPHEAP_POISONING=1"
  "comprehensive poisoning:-DCAPHEAP_POISONING=2"
  "owners:-DCAPHEAP_OWNERS=1"
)
CG=(--tool=callgrind --collect-atstart=no --zero-before=bench_drv_replay
  --dump-after=bench_drv_replay --toggle-collect=capheap_heap_alloc
  --toggle-collect=capheap_heap_free --toggle-collect=capheap_heap_realloc)

build() { # dir flags
  cmake -S . -B "$1" -DCAPHEAP_PORT=none -DCAPHEAP_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=None "-DCMAKE_C_FLAGS=$2" >/dev/null
  cmake --build "$1" -j "$JOBS" --target capheap-bench >/dev/null
}

space() { # binary [emulator]: "a / b / c" for 1-, 8- and 32-byte requests
  "${@:2}" "$1" space |
    awk '/^space.consumed.(1|8|32) / { s = s (s ? " / " : "") $2 } END { print s }'
}

echo "| option | instr/op (x86-64) | bytes for 1 / 8 / 32 B (x86-64) | bytes for 1 / 8 / 32 B (i386) |"
echo "|---|---|---|---|"
for c in "${configs[@]}"; do
  name=${c%%:*}
  flags=${c#*:}
  slug=$(echo "$name" | tr ' ' '-')
  b64=build-bench-dbg-$slug
  b32=build-bench-dbg-$slug-m32
  build "$b64" "-O2 $flags"
  build "$b32" "-m32 -O2 $flags"
  out=$(mktemp)
  valgrind "${CG[@]}" --callgrind-out-file="$out" \
    "$b64/bench/capheap-bench" replay steady capheap >"$out.txt" 2>/dev/null
  ops=$(awk '/^replay/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "fails") n += kv[2] } } END { print n }' "$out.txt")
  ir=$(awk '/^summary:/ { print $2 }' "$out.1")
  rm -f "$out" "$out".*
  per=$(awk -v i="$ir" -v n="$ops" 'BEGIN { printf "%.1f", i / n }')
  s64=$(space "$b64/bench/capheap-bench")
  s32=$(space "$b32/bench/capheap-bench" qemu-i386)
  printf '| %s | %s | %s | %s |\n' "$name" "$per" "$s64" "$s32"
done
