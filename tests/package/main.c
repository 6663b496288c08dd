/*
 * main.c - the program tools/package-test.sh builds each way capheap can
 * be built into an application (find_package after make install,
 * add_subdirectory with options, capheap.mk). It checks what that build
 * must give: the application's own chip works (check_chip.c); with
 * PT_ONE_CHIP, only the ESP32's table was built (CAPHEAP_CHIPS=esp32) and
 * the port is `none` (CAPHEAP_PORT_NONE reached the application); with
 * PT_ESP_IDF, the ESP-IDF API on the simulated ESP32.
 */
#include <stdio.h>

#include "capheap/chip.h"
#include "package_test.h"
#ifdef PT_ESP_IDF
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#endif

#ifndef PT_NAME
#define PT_NAME "package-test"
#endif

int main(void) {
    int fails = pt_check_chip();
#ifdef PT_ONE_CHIP
#ifndef CAPHEAP_PORT_NONE
#error "CAPHEAP_PORT=none did not reach the application's definitions"
#endif
    if (!capheap_chip_find("esp32") || capheap_chip_find("esp32s3")) {
        printf("FAIL: CAPHEAP_CHIPS=esp32 built other chip tables\n");
        fails++;
    }
#endif
#ifdef PT_ESP_IDF
    heap_caps_init();
    multi_heap_info_t before, after;
    heap_caps_get_info(&before, MALLOC_CAP_DMA);
    void *buf = heap_caps_malloc(1000, MALLOC_CAP_DMA);
    heap_caps_get_info(&after, MALLOC_CAP_DMA);
    if (!buf || !esp_ptr_dma_capable(buf) ||
        after.allocated_blocks != before.allocated_blocks + 1) {
        printf("FAIL: heap_caps_malloc(DMA) on the simulated ESP32\n");
        fails++;
    }
    heap_caps_free(buf);
#endif
    printf("%s: %s\n", PT_NAME, fails ? "FAILED" : "ok");
    return fails != 0;
}
