/*
 * main.c - the program tools/package-test.sh builds each way capheap can
 * be built into an application (find_package after make install,
 * add_subdirectory with options, capheap.mk). It checks what that build
 * must give: the application's own chip works (check_chip.c); with
 * PT_ONE_CHIP, only the ESP32's table was built (CAPHEAP_CHIPS=esp32) and
 * the port is `none` (CAPHEAP_PORT_NONE reached the application); with
 * PT_ESP_IDF, the ESP-IDF API on the simulated ESP32, and a
 * SOC_RESERVE_MEMORY_REGION record of the application that the library's
 * start-up reads (heap_memory_layout.h is installed too); with
 * PT_SDKCONFIG, that the sdkconfig.h of tests/package/sdkconfig (light
 * poisoning) configured the library and the application alike.
 */
#include <stdint.h>
#include <stdio.h>

#include "capheap/chip.h"
#include "package_test.h"
#ifdef PT_ESP_IDF
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "heap_memory_layout.h"

/* 4 KiB of the ESP32's DRAM the application keeps for itself. */
#define PT_RESERVED_LO 0x3FFD4000u
#define PT_RESERVED_HI 0x3FFD5000u
SOC_RESERVE_MEMORY_REGION(PT_RESERVED_LO, PT_RESERVED_HI, pt_block);
#endif

#ifndef PT_NAME
#define PT_NAME "package-test"
#endif

#ifdef PT_SDKCONFIG
#include "capheap/heap.h"

#if !CAPHEAP_SDKCONFIG || CAPHEAP_POISONING != 1
#error "the sdkconfig.h did not reach the application's view of the headers"
#endif

/* Light poisoning in the library's core: a byte written just past a
 * 10-byte block (inside its rounded size) breaks its tail canary. */
static int check_sdkconfig(void) {
    static _Alignas(16) unsigned char arena[4096];
    static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(1, 1) / sizeof(void *)];
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 1, 1);
    if (!h || capheap_heap_add_region(h, arena, sizeof arena, 0) != CAPHEAP_OK)
        return 1;
    unsigned char *p = capheap_heap_alloc(h, 0, 10);
    if (!p || capheap_heap_check(h, NULL) != CAPHEAP_OK)
        return 1;
    unsigned char saved = p[10];
    p[10] = (unsigned char)~saved;
    int fails = capheap_heap_check(h, NULL) != CAPHEAP_ERR_CORRUPT;
    p[10] = saved;
    fails += capheap_heap_check(h, NULL) != CAPHEAP_OK;
    if (fails)
        printf("FAIL: the library was not built with the sdkconfig.h\n");
    return fails;
}
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
    /* The record reached the library: no heap holds its range, one ends
     * where it starts. */
    soc_memory_region_t avail[16];
    size_t n = soc_get_available_memory_region_max_count();
    int cut = 0;
    if (n == 0 || n > 16 || soc_get_available_memory_regions(avail) != n)
        cut = -1;
    for (size_t k = 0; cut >= 0 && k < n; k++) {
        uintptr_t lo = (uintptr_t)avail[k].start, hi = lo + avail[k].size;
        if (hi > PT_RESERVED_LO && lo < PT_RESERVED_HI)
            cut = -1;
        else if (hi == PT_RESERVED_LO)
            cut = 1;
    }
    if (cut != 1 || soc_memory_region_count == 0) {
        printf("FAIL: SOC_RESERVE_MEMORY_REGION did not keep its range out\n");
        fails++;
    }
#endif
#ifdef PT_SDKCONFIG
    fails += check_sdkconfig();
#endif
    printf("%s: %s\n", PT_NAME, fails ? "FAILED" : "ok");
    return fails != 0;
}
