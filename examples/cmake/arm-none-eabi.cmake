# Bare-metal ARM with Debian's arm-none-eabi-gcc. A board's toolchain file
# sets FW_CPU_FLAGS (and FW_LIBC_SPECS: newlib or newlib-nano) and includes
# this one.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# No start files or syscalls here: test programs are compiled, not linked,
# when CMake probes the compiler.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT
    "${FW_CPU_FLAGS} ${FW_LIBC_SPECS} -g -ffunction-sections -fdata-sections")
# -g: no code, but the test script finds each symbol's source file.
set(CMAKE_ASM_FLAGS_INIT "${FW_CPU_FLAGS}")
# CMake links with the compile flags (CPU and specs) and these. The examples
# bring their own start-up code (-nostartfiles) and drop
# whatever nothing references, the unused chip tables included.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
