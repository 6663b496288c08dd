# Cortex-M0 (ARMv6-M: no CLZ, no atomic read-modify-write), newlib-nano.
set(FW_CPU_FLAGS "-mcpu=cortex-m0 -mthumb")
set(FW_LIBC_SPECS "--specs=nano.specs")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
