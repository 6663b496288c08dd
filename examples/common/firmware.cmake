# What the example firmwares' CMake projects share: warnings as errors, the
# common sources, and the ELF's link map (the test script reads it).
#   fw_firmware(<target> LINKER_SCRIPT <ld> SOURCES <c files>...)
set(FW_COMMON ${CMAKE_CURRENT_LIST_DIR})

function(fw_firmware target)
  cmake_parse_arguments(FW "" "LINKER_SCRIPT" "SOURCES" ${ARGN})
  add_executable(${target} ${FW_SOURCES} ${FW_COMMON}/fw_checks.c)
  set_target_properties(${target} PROPERTIES SUFFIX ".elf" C_STANDARD 11
                        C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -pedantic -g)
  target_include_directories(${target} PRIVATE ${FW_COMMON})
  target_link_libraries(${target} PRIVATE capheap::capheap)
  target_link_options(${target} PRIVATE -T${FW_LINKER_SCRIPT}
                      -Wl,-Map=$<TARGET_FILE:${target}>.map)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS
               ${FW_LINKER_SCRIPT})
endfunction()
