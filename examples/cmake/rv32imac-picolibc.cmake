# RV32IMAC (atomics: the spinlock port's test-and-set), picolibc.
set(FW_CPU_FLAGS "-march=rv32imac -mabi=ilp32")
include(${CMAKE_CURRENT_LIST_DIR}/riscv32-picolibc.cmake)
