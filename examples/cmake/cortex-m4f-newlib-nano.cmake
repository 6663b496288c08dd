# Cortex-M4F (hard float), newlib-nano.
set(FW_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(FW_LIBC_SPECS "--specs=nano.specs")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
