/*
 * esp_memory_utils.h - a stand-in for ESP-IDF's (components/esp_hw_support),
 * for tests/memory_utils: the declarations an application sees there, with
 * ESP-IDF's signatures and linkage (static inline where ESP-IDF defines the
 * function in the header, external where it defines it in a source file),
 * over the ESP32's address map. Only the declarations matter to the test:
 * capheap's headers must compile beside them, in C and C++, in either
 * order.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ESP32's ranges (ESP-IDF's soc.h gives them there). */
#define SOC_DMA_LOW           0x3FFAE000
#define SOC_DMA_HIGH          0x40000000
#define SOC_DRAM_LOW          0x3FFAE000
#define SOC_DRAM_HIGH         0x40000000
#define SOC_IRAM_LOW          0x40080000
#define SOC_IRAM_HIGH         0x400A0000
#define SOC_MEM_INTERNAL_LOW  0x3FF90000
#define SOC_MEM_INTERNAL_HIGH 0x400C2000

__attribute__((always_inline)) inline static bool
esp_ptr_in_iram(const void *p) {
    return (intptr_t)p >= SOC_IRAM_LOW && (intptr_t)p < SOC_IRAM_HIGH;
}

__attribute__((always_inline)) inline static bool
esp_ptr_in_dram(const void *p) {
    return (intptr_t)p >= SOC_DRAM_LOW && (intptr_t)p < SOC_DRAM_HIGH;
}

__attribute__((always_inline)) inline static bool
esp_ptr_dma_capable(const void *p) {
    return (intptr_t)p >= SOC_DMA_LOW && (intptr_t)p < SOC_DMA_HIGH;
}

bool esp_ptr_dma_ext_capable(const void *p);

__attribute__((always_inline)) inline static bool
esp_ptr_word_aligned(const void *p) {
    return (intptr_t)p % 4 == 0;
}

bool esp_ptr_executable(const void *p);

bool esp_ptr_byte_accessible(const void *p);

__attribute__((always_inline)) inline static bool
esp_ptr_internal(const void *p) {
    return (intptr_t)p >= SOC_MEM_INTERNAL_LOW &&
           (intptr_t)p < SOC_MEM_INTERNAL_HIGH;
}

bool esp_ptr_external_ram(const void *p);

#ifdef __cplusplus
}
#endif
