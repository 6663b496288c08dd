/*
 * abort_on_failure.c - CONFIG_HEAP_ABORT_WHEN_ALLOCATION_FAILS: a failed
 * allocation first calls the registered failure callback (size, caps,
 * function), then aborts with ESP-IDF's message. Built against a library
 * variant with the option (tests/CMakeLists.txt), run by ctest, which checks
 * what it printed; it must never reach the end of main.
 */
#include <stdio.h>

#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

static void failed(size_t size, uint32_t caps, const char *fn) {
    printf("callback: size %zu caps 0x%08x function %s\n", size, (unsigned)caps,
           fn);
    fflush(stdout);
}

int main(void) {
    heap_caps_init();
    heap_caps_register_failed_alloc_callback(failed);
    void *p = heap_caps_malloc(64, MALLOC_CAP_8BIT);
    printf("a small allocation succeeds: %s\n", p ? "yes" : "no");
    fflush(stdout);
    heap_caps_free(p);
    /* More than any chip has: fails, calls back, aborts. */
    heap_caps_malloc((size_t)1 << 30, MALLOC_CAP_8BIT);
    printf("still running after a failed allocation\n");
    return 0;
}
