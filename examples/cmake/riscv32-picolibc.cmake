# Bare-metal RV32 with Debian's riscv64-unknown-elf-gcc and picolibc. A
# board's toolchain file sets FW_CPU_FLAGS (-march, -mabi) and includes this.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT
    "${FW_CPU_FLAGS} --specs=picolibc.specs -mcmodel=medany -g -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${FW_CPU_FLAGS} -mcmodel=medany")
# CMake links with the compile flags (CPU, specs) and these: the examples'
# own start-up code, and unreferenced sections dropped.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
