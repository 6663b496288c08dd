# Cortex-M3, full newlib.
set(FW_CPU_FLAGS "-mcpu=cortex-m3 -mthumb")
set(FW_LIBC_SPECS "")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
