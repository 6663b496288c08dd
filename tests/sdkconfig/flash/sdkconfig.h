/*
 * sdkconfig.h - an ESP-IDF application's configuration, as its build
 * generates it (tests/sdkconfig/check_flash.c): heap functions left in
 * flash, light poisoning and the allocation hooks. The library variant
 * capheap_sdkconfig is built with this file on its include path and no
 * other configuration, so these options reach it and its users alike.
 */
#pragma once
#define CONFIG_IDF_TARGET_ESP32               1
#define CONFIG_HEAP_POISONING_LIGHT           1
#define CONFIG_HEAP_USE_HOOKS                 1
#define CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH 1
#define CONFIG_HEAP_TRACING_OFF               1
