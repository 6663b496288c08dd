/*
 * esp32_program.c - issue #11's ESP32 program: ESP-IDF's heap start-up, a
 * DMA allocation, a malloc() (capheap's, CAPHEAP_REPLACE_LIBC_MALLOC=1),
 * the heap info of the 8-bit memory and two frees. tools/cross.sh budget
 * builds it with capheap.mk (tools/size/program.mk) and counts the capheap
 * code the linker keeps, to compare with ESP-IDF's heap component doing the
 * same (tools/size/budgets).
 */
#include <stdlib.h>

#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

int main(void) {
    heap_caps_init();
    void *a = heap_caps_malloc(100, MALLOC_CAP_DMA);
    void *b = malloc(50);
    multi_heap_info_t info;
    heap_caps_get_info(&info, MALLOC_CAP_8BIT);
    heap_caps_free(a);
    heap_caps_free(b);
    return info.total_free_bytes == 0;
}
