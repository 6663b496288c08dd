# RV32IMC (no atomics: the ESP32-C3's ISA), picolibc.
set(FW_CPU_FLAGS "-march=rv32imc -mabi=ilp32")
include(${CMAKE_CURRENT_LIST_DIR}/riscv32-picolibc.cmake)
