#!/usr/bin/env bash
# The ways a firmware or program builds capheap in, each building and
# running tests/package/main.c (make package-test; .ci/run):
#   a. make install (configured with an application's sdkconfig.h,
#      CAPHEAP_SDKCONFIG_DIR), then a CMake project with
#      find_package(capheap CONFIG), and the same program through capheap.pc
#      (pkg-config), both seeing the installed sdkconfig.h;
#   b. a CMake project with add_subdirectory(capheap) and options
#      (CAPHEAP_PORT=none, CAPHEAP_CHIPS=esp32, CAPHEAP_SDKCONFIG_DIR: an
#      application's sdkconfig.h, tests/package/sdkconfig);
#   c. a Makefile project with capheap.mk (the same options, the host
#      simulation on, the sdkconfig.h's directory on the include path);
#   d. add_subdirectory from an arm-none-eabi toolchain file: configures
#      without pthread or the simulation and builds libcapheap.a (when
#      arm-none-eabi-gcc is installed: tools/setup-deps.sh ci).
# Scratch space: $PACKAGE_OUT (build-package), emptied first.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=${PACKAGE_OUT:-build-package}
jobs=${JOBS:-2}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
passed=0

step() { printf '\n== package-test: %s\n' "$*"; }
# Run a command quietly; show its output if it fails.
quiet() {
  local log=$out/last.log
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    echo "package-test: failed: $*" >&2
    exit 1
  fi
}
# Run a built program and demand its verdict line.
verdict() {
  local name=$1
  shift
  local got
  got=$("$@") || {
    echo "$got"
    echo "package-test: $name failed" >&2
    exit 1
  }
  echo "$got"
  grep -qx "$name: ok" <<<"$got" || {
    echo "package-test: $name printed no verdict" >&2
    exit 1
  }
  passed=$((passed + 1))
}
src="$top/tests/package"
app_sources="$src/main.c $src/own_chip.c $src/check_chip.c"

step "a. make install, find_package(capheap CONFIG)"
prefix=$out/prefix
# As README says: make install (it builds in $(BUILD)-install).
quiet make install PREFIX="$prefix" BUILD="$out/build" JOBS="$jobs" \
  CONFIG="-DCAPHEAP_SDKCONFIG_DIR=$src/sdkconfig"
mkdir -p "$out/a"
cat >"$out/a/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(use_installed C)
find_package(capheap 0.1 CONFIG REQUIRED)
add_executable(app $app_sources)
target_compile_definitions(app PRIVATE PT_ESP_IDF PT_SDKCONFIG
  PT_NAME="installed")
target_link_libraries(app PRIVATE capheap::capheap)
CMAKE
quiet cmake -S "$out/a" -B "$out/a/build" -DCMAKE_PREFIX_PATH="$prefix"
quiet cmake --build "$out/a/build"
verdict installed "$out/a/build/app"

step "a. the same through capheap.pc (pkg-config)"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig"
# shellcheck disable=SC2046,SC2086 # pkg-config's flags are words
quiet cc -std=c11 -Wall -Wextra -Werror -pedantic -DPT_ESP_IDF -DPT_SDKCONFIG \
  -DPT_NAME='"pkg-config"' $app_sources $(pkg-config --cflags --libs capheap) \
  -o "$out/a/app-pc"
verdict pkg-config "$out/a/app-pc"

step "a. ESP-IDF's heap API, every function, against the installed capheap (C, C++)"
api="$top/examples/common"
# shellcheck disable=SC2046,SC2086 # pkg-config's flags are words
quiet cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$api" \
  "$top/tests/api/api_main.c" "$api/esp_idf_api.c" \
  $(pkg-config --cflags --libs capheap) -o "$out/a/api-c"
# shellcheck disable=SC2046,SC2086
quiet c++ -std=c++17 -Wall -Wextra -Werror -pedantic -I"$api" \
  "$top/tests/api/api_main_cxx.cpp" "$top/tests/api/esp_idf_api_cxx.cpp" \
  $(pkg-config --cflags --libs capheap) -o "$out/a/api-cxx"
for lang in c cxx; do
  got=$("$out/a/api-$lang") || {
    echo "$got"
    echo "package-test: the ESP-IDF API program ($lang) failed" >&2
    exit 1
  }
  grep -E "^ESP-IDF heap API \(C(\+\+)?\): [0-9]+ checks, 0 failed$" <<<"$got" || {
    echo "package-test: the ESP-IDF API program ($lang) printed no verdict" >&2
    exit 1
  }
  passed=$((passed + 1))
done

step "b. add_subdirectory(capheap) with CAPHEAP_PORT=none, CAPHEAP_CHIPS=esp32, an sdkconfig.h"
mkdir -p "$out/b"
cat >"$out/b/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(use_subdirectory C)
set(CMAKE_C_STANDARD 11)
set(CAPHEAP_PORT none CACHE STRING "")
set(CAPHEAP_CHIPS esp32 CACHE STRING "")
set(CAPHEAP_SDKCONFIG_DIR "$src/sdkconfig" CACHE PATH "")
add_subdirectory("$top" capheap)
foreach(t capheap-demo capheap_diag)
  if(TARGET \${t})
    message(FATAL_ERROR "add_subdirectory made capheap's own target \${t}")
  endif()
endforeach()
add_executable(app $app_sources)
target_compile_definitions(app PRIVATE PT_ONE_CHIP PT_SDKCONFIG
  PT_NAME="subdirectory")
target_link_libraries(app PRIVATE capheap::capheap)
CMAKE
quiet cmake -S "$out/b" -B "$out/b/build"
quiet cmake --build "$out/b/build" -j "$jobs"
verdict subdirectory "$out/b/build/app"

step "c. capheap.mk with CAPHEAP_PORT=none, CAPHEAP_CHIPS=esp32, the simulation, an sdkconfig.h"
mkdir -p "$out/c"
cat >"$out/c/Makefile" <<MAKE
CAPHEAP_DIR := $top
CAPHEAP_PORT := none
CAPHEAP_CHIPS := esp32
CAPHEAP_SIM := 1
include \$(CAPHEAP_DIR)/capheap.mk
CFLAGS := -std=c11 -Wall -Wextra -Werror -pedantic -Os -I$src/sdkconfig \$(CAPHEAP_INCLUDES) \$(CAPHEAP_DEFINES)
SOURCES := $app_sources \$(CAPHEAP_SOURCES)
# One object folder: capheap's source names are unique.
OBJECTS := \$(addprefix obj/,\$(notdir \$(SOURCES:.c=.o)))
vpath %.c \$(sort \$(dir \$(SOURCES)))
app: \$(OBJECTS)
	\$(CC) \$^ -o \$@
obj/%.o: %.c | obj
	\$(CC) \$(CFLAGS) -DPT_ONE_CHIP -DPT_ESP_IDF -DPT_SDKCONFIG '-DPT_NAME="capheap.mk"' -c \$< -o \$@
obj:
	mkdir -p obj
MAKE
quiet make -C "$out/c" -j "$jobs"
verdict capheap.mk "$out/c/app"

if command -v arm-none-eabi-gcc >/dev/null; then
  step "d. add_subdirectory from an arm-none-eabi toolchain file (Cortex-M4F)"
  mkdir -p "$out/d"
  cat >"$out/d/toolchain.cmake" <<'CMAKE'
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
# No program can be linked without the firmware's start-up and linker
# script: CMake's compiler check builds a library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
CMAKE
  cat >"$out/d/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(use_cross C)
set(CAPHEAP_CHIPS esp32 CACHE STRING "")
add_subdirectory("$top" capheap)
# What the library target says, as the parent sees it.
get_target_property(sources capheap SOURCES)
get_target_property(libs capheap INTERFACE_LINK_LIBRARIES)
if(sources MATCHES "/src/sim/" OR libs MATCHES "Threads")
  message(FATAL_ERROR "cross build: simulation or pthread: \${sources} \${libs}")
endif()
if(NOT CAPHEAP_PORT STREQUAL "none")
  message(FATAL_ERROR "cross build: port \${CAPHEAP_PORT}, not none")
endif()
CMAKE
  quiet cmake -S "$out/d" -B "$out/d/build" \
    -DCMAKE_TOOLCHAIN_FILE="$out/d/toolchain.cmake"
  quiet cmake --build "$out/d/build" -j "$jobs" --target capheap
  if arm-none-eabi-nm "$out/d/build/capheap/libcapheap.a" | grep -q 'pthread_\|capheap_sim_map'; then
    echo "package-test: the cross build has pthread or the simulation" >&2
    exit 1
  fi
  arm-none-eabi-size -t "$out/d/build/capheap/libcapheap.a" | tail -1
  echo "cross: libcapheap.a for Cortex-M4F built, no pthread, no simulation"
  passed=$((passed + 1))
else
  echo "package-test: d. skipped: no arm-none-eabi-gcc (tools/setup-deps.sh ci)"
fi
echo "package-test: $passed builds passed"
