#!/usr/bin/env bash
# Install the Debian packages a build needs, when they are missing.
#   tools/setup-deps.sh base   C and C++ compilers (g++ and clang++ for the
#                              C++ header checks), cmake, cmocka (make test)
#   tools/setup-deps.sh ci     base + clang (with libFuzzer), valgrind, cppcheck,
#                              32-bit cmocka, cross compilers, qemu (qemu-user:
#                              make bench's instruction counts and make m32-qemu;
#                              make m32 runs natively; qemu-system-arm and -misc
#                              with picolibc: make target-test and output-test)
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail

set_name=${1:-base}
pkgs=(gcc g++ clang make cmake pkg-config libcmocka-dev)
need_i386=0
if [ "$set_name" = ci ]; then
  pkgs+=(libclang-rt-14-dev valgrind cppcheck clang-format gcc-multilib g++-multilib libcmocka-dev:i386 qemu-user
    gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf
    qemu-system-arm qemu-system-misc picolibc-riscv64-unknown-elf picolibc-arm-none-eabi)
  need_i386=1
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "capheap needs: ${missing[*]}" >&2
  if [ $need_i386 -eq 1 ]; then
    echo "run: sudo dpkg --add-architecture i386 && sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  else
    echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  fi
  exit 1
fi

echo "installing: ${missing[*]}"
if [ $need_i386 -eq 1 ] && ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386
fi
# A partial index failure (a mirror in sync) must not stop the install.
apt-get update -qq || echo "apt-get update reported errors; trying the install anyway" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
