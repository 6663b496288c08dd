/*
 * check_chip.c - a capability heap on the application's own chip: EXEC
 * lands in TCM, DMA in the DMA-capable SRAM, and a plain request in TCM
 * (its caps at the second level) until TCM is full.
 */
#include <stdio.h>

#include "package_test.h"

static int fails;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL: %s\n", what);
        fails++;
    }
}

static int in(const void *p, const unsigned char *ram) {
    return p && (const unsigned char *)p >= ram &&
           (const unsigned char *)p < ram + PT_RAM_SIZE;
}

int pt_check_chip(void) {
    static capheap_caps_t ch;
    pt_chip_setup();
    check(capheap_caps_init(&ch, &pt_chip, NULL, NULL, 0) == CAPHEAP_OK,
          "capheap_caps_init on the application's chip");
    void *code = capheap_caps_alloc(&ch, 256, CAPHEAP_CAP_EXEC);
    void *dma = capheap_caps_alloc(&ch, 256, CAPHEAP_CAP_DMA);
    void *plain = capheap_caps_alloc(&ch, 256, CAPHEAP_CAP_8BIT);
    check(in(code, pt_tcm), "EXEC lands in TCM");
    check(in(dma, pt_sram), "DMA lands in SRAM");
    check(in(plain, pt_tcm), "8BIT lands in TCM first");
    check(capheap_caps_alloc(&ch, 16, CAPHEAP_CAP_SPIRAM) == NULL,
          "SPIRAM, which the chip has not, fails");
    capheap_stats_t st;
    capheap_caps_stats(&ch, CAPHEAP_CAP_DMA, &st);
    check(st.allocated_blocks == 1, "one block in DMA memory");
    check(capheap_caps_check(&ch, 0, NULL) == CAPHEAP_OK, "integrity");
    capheap_caps_free(&ch, code);
    capheap_caps_free(&ch, dma);
    capheap_caps_free(&ch, plain);
    return fails;
}
