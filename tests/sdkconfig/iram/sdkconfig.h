/*
 * sdkconfig.h - an ESP-IDF application's configuration that changes no
 * structure of the library (tests/sdkconfig/check_iram.c links the default
 * build): heap functions in IRAM (CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH is
 * not set) and a trace depth, which sizes only trace records, and tracing
 * is off in that build.
 */
#pragma once
#define CONFIG_IDF_TARGET_ESP32         1
#define CONFIG_HEAP_POISONING_DISABLED  1
#define CONFIG_HEAP_TRACING_STACK_DEPTH 5
