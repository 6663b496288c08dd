/*
 * esp_idf_api.h - a program's use of every function, type and macro of
 * ESP-IDF's public heap headers, each checked against what ESP-IDF
 * documents. It runs on whatever chip the system heap was built for (the
 * simulated ESP32 on a host, a board's own chip in firmware) and compiles as
 * C and as C++.
 */
#ifndef ESP_IDF_API_H
#define ESP_IDF_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Call every function of esp_heap_caps.h, esp_heap_caps_init.h,
 * multi_heap.h, esp_heap_trace.h, esp_heap_task_info.h and
 * heap_memory_layout.h on the running system heap (heap_caps_init() must
 * have run), checking each result; a failed check is printed through
 * capheap's output as "FAIL: <what>". A build that defines
 * ESP_IDF_API_RESERVE_START and _END (a range of the chip's heap memory)
 * also reserves that range with SOC_RESERVE_MEMORY_REGION and checks no
 * heap holds it. @p scratch (at least 4 KiB, 16-byte
 * aligned, not heap memory) becomes a multi_heap and a runtime region.
 * Leaves the system heap's free figures as it found them.
 * @return the number of failed checks.
 */
int esp_idf_api_check(void *scratch, size_t scratch_size);

/** How many checks esp_idf_api_check() made in its last run. */
int esp_idf_api_checks_made(void);

#ifdef __cplusplus
}
#endif

#endif
