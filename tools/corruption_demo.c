/*
 * corruption_demo.c - `make debug-demo`: a heap overflow on the simulated
 * ESP32, found by comprehensive poisoning. Built against the diagnostics
 * library (capheap_diag); README's "Debugging heap problems" shows its
 * output, and ctest checks that it still prints it.
 *
 * A task fills a 24-byte DMA buffer with a 26-byte message; the integrity
 * check finds the damage long before the buffer is freed, and the free
 * itself refuses the damaged block rather than corrupting the heap.
 */
#include <stdio.h>
#include <string.h>

#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

int main(void) {
    heap_caps_init();
    char *buf = heap_caps_malloc(24, MALLOC_CAP_DMA);
    printf("24-byte DMA buffer at %p\n", (void *)buf);
    /* The bug: 26 bytes into 24 (strcpy of 25 characters and the NUL). */
    memcpy(buf, "temperature=21.5;hum=40%", 25);
    buf[25] = '\0';
    printf("heap_caps_check_integrity_all(true):\n");
    if (heap_caps_check_integrity_all(true))
        return 1; /* not found: the demo failed */
    printf("heap_caps_free(buf):\n");
    fflush(stdout);
    heap_caps_free(buf); /* the default error report prints and aborts */
    return 1;
}
