# Thin wrapper over CMake. `make help` lists the targets.
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE   ?= cmake
CONFIG  ?=
CAPHEAP_TEST_SCALE ?=
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES ?= core multi_heap caps
# The C++ header checks run in `make test` only (they ignore the build flags).
NO_HEADER_CHECKS = -DCAPHEAP_HEADER_CHECKS=OFF

.PHONY: all run debug-demo test bench install asan tsan caps-race valgrind sanitizer-test owners m32 m32-qemu clang cppcheck format cross size size-check target-test output-test firmware-test \
        format-check deps ci-deps mutation clean help fuzz package-test

all: $(BUILD)/Makefile
	$(CMAKE) --build $(BUILD) -j $(JOBS)

deps:
	@tools/setup-deps.sh base

ci-deps:
	@tools/setup-deps.sh ci

$(BUILD)/Makefile: | deps
	$(CMAKE) -S . -B $(BUILD) $(CONFIG)

## run: build only the demo (in build-demo: no tests, no benchmark) and run it
# Quiet: cmake's and make's logs (build-demo/*.log) are shown only when a
# step fails (warnings are errors, so a build that succeeds has nothing to
# say).
run: deps
	@if [ ! -f build-demo/Makefile ]; then mkdir -p build-demo && \
	  $(CMAKE) -S . -B build-demo -G "Unix Makefiles" -DCAPHEAP_BUILD_TESTS=OFF \
	    -DCAPHEAP_BUILD_BENCH=OFF >build-demo/configure.log 2>&1 || \
	  { cat build-demo/configure.log; exit 1; }; fi
	@$(CMAKE) --build build-demo -j $(JOBS) --target capheap-demo >build-demo/build.log 2>&1 || \
	  { cat build-demo/build.log; exit 1; }
	@CAPHEAP_PSRAM=$${CAPHEAP_PSRAM-4M} build-demo/capheap-demo

## debug-demo: an overflow found by heap poisoning on the simulated ESP32
debug-demo: all
	$(CMAKE) --build $(BUILD) --target capheap-corruption-demo
	CAPHEAP_CHIP=esp32 $(BUILD)/capheap-corruption-demo || true

## test: build and run every test
test: all
	cd $(BUILD) && CAPHEAP_TEST_SCALE=$(CAPHEAP_TEST_SCALE) ctest --output-on-failure -j $(JOBS)

## bench: build at -O2 and run the benchmark (writes bench/results/)
bench: deps
	bench/run.sh

## install: install headers, libcapheap.a, capheap.pc and the CMake package under PREFIX (CONFIG: more CMake options)
install: deps
	$(CMAKE) -S . -B $(BUILD)-install -DCMAKE_BUILD_TYPE=Release \
	  -DCAPHEAP_BUILD_TESTS=OFF -DCAPHEAP_BUILD_BENCH=OFF -DCAPHEAP_BUILD_DEMO=OFF \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CONFIG)
	$(CMAKE) --build $(BUILD)-install -j $(JOBS)
	$(CMAKE) --install $(BUILD)-install

## package-test: build a program with capheap installed (find_package, pkg-config), added (add_subdirectory), by capheap.mk, and cross-configured
package-test: deps
	JOBS=$(JOBS) tools/package-test.sh

## asan: the suite under AddressSanitizer and UBSan
asan:
	$(MAKE) test BUILD=build-asan CONFIG="-DCAPHEAP_SANITIZE=address,undefined -DCAPHEAP_BUILD_BENCH=OFF $(NO_HEADER_CHECKS)"

## tsan: the suite built with clang under ThreadSanitizer; any report fails its test
# halt_on_error: the first report ends the program with TSan's exit code, so
# ctest counts it as a failure (a report alone would not change the result).
# A fifth of the randomized work by default: TSan runs 5-15 times slower, and
# it sees a race on the first interleaving that has one, not by chance.
tsan:
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 $${TSAN_OPTIONS:-}" \
	  $(MAKE) test BUILD=build-tsan CONFIG="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCAPHEAP_SANITIZE=thread -DCAPHEAP_BUILD_BENCH=OFF $(NO_HEADER_CHECKS)" \
	  CAPHEAP_TEST_SCALE=$(or $(CAPHEAP_TEST_SCALE),0.2)

## caps-race: issue #9's reproduction at full length (10^7 allocations by racing masks)
caps-race: all
	CAPHEAP_TEST_SCALE=20 $(BUILD)/tests/caps_test_caps_threads

## valgrind: the suite under Valgrind memcheck (each test runs inside it)
valgrind:
	$(MAKE) test BUILD=build-valgrind CONFIG="-DCAPHEAP_BUILD_BENCH=OFF $(NO_HEADER_CHECKS) \
	  -DCMAKE_CROSSCOMPILING_EMULATOR='valgrind;-q;--vex-iropt-register-updates=allregs-at-mem-access;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite'" \
	  CAPHEAP_TEST_SCALE=valgrind

## sanitizer-test: Valgrind and ASan report mistakes on capheap heaps (tests/sanitizer/)
sanitizer-test: deps
	BUILD=$(BUILD)-sanitizer tests/sanitizer/run.sh

## owners: the suite with per-owner accounting on (each heap check verifies the owner table)
owners:
	$(MAKE) test BUILD=build-owners CONFIG="-DCMAKE_C_FLAGS=-DCAPHEAP_OWNERS=1 -DCMAKE_CXX_FLAGS=-DCAPHEAP_OWNERS=1 -DCAPHEAP_BUILD_BENCH=OFF $(NO_HEADER_CHECKS)"

## m32: the suite as a 32-bit (i386) build, run natively (fails if a test skips)
m32:
	BUILD=build-m32 JOBS=$(JOBS) CAPHEAP_TEST_SCALE=$(CAPHEAP_TEST_SCALE) tools/m32.sh

## m32-qemu: the same under qemu-i386, for kernels without IA-32 emulation (chip simulations skip)
m32-qemu:
	BUILD=build-m32-qemu JOBS=$(JOBS) CAPHEAP_TEST_SCALE=$(CAPHEAP_TEST_SCALE) tools/m32.sh qemu

## clang: the suite built with clang
clang:
	$(MAKE) test BUILD=build-clang CONFIG="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCAPHEAP_BUILD_BENCH=OFF $(NO_HEADER_CHECKS)"

## fuzz: the libFuzzer harnesses (clang, ASan+UBSan), each FUZZ_SECONDS (60) from its seed corpus
fuzz: deps
	$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCAPHEAP_FUZZ=ON \
	  -DCAPHEAP_SANITIZE=address,undefined -DCAPHEAP_BUILD_TESTS=OFF -DCAPHEAP_ASSERTS=ON -DCAPHEAP_BUILD_BENCH=OFF
	$(CMAKE) --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_HARNESSES))
	tools/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

## cross: build for Cortex-M0+, M4F, M33 and RV32IMC (warnings are errors)
cross:
	tools/cross.sh

## size: the cross builds' text/data/bss per component, at -Os
size:
	tools/cross.sh size

## size-check: issue #11's footprint: the ESP32 program and the core-only program against their limits (tools/size/budgets), where their bytes are, M0+ and RV32IMC reported
size-check:
	tools/cross.sh budget

## target-test: the core's model test on an emulated Cortex-M3 (MPS2 AN385), the irq port under timer interrupts there and on RV32IMC (virt)
target-test:
	tools/target-test.sh

## output-test: capheap's prints on newlib, newlib-nano and picolibc (emulated Cortex-M3), and no libc printf linked
output-test:
	JOBS=$(JOBS) tools/output-test.sh

## firmware-test: build the example firmwares (examples/) and run them on QEMU's boards
firmware-test:
	JOBS=$(JOBS) tools/firmware-test.sh

## mutation: apply tools/mutation/mutants.txt one at a time in a scratch copy, run the tests, print the table (MUTANTS=ID,ID for some)
mutation: deps
	tools/mutation/run.py --jobs $(JOBS) $(if $(MUTANTS),--only $(MUTANTS)) $(if $(CAPHEAP_TEST_SCALE),--scale $(CAPHEAP_TEST_SCALE))

## cppcheck: static analysis of src/
cppcheck:
	cppcheck --error-exitcode=1 --enable=warning,portability,performance \
	  --inline-suppr --std=c11 -UCAPHEAP_CONFIG_HEADER \
	  --suppress=preprocessorErrorDirective:src/sim/fault.c -Iinclude -Iinclude/compat -Isrc --quiet src

## format: clang-format every C file; format-check: fail if one is not
format:
	clang-format -i $$(git ls-files '*.c' '*.h')
format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-*

help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'
