/*
 * demo.c - `make run`: boot the simulated chip and allocate what firmware
 * allocates, showing where each request lands and what is left.
 *
 * The chip and its options come from the environment (CAPHEAP_CHIP,
 * CAPHEAP_PSRAM, ...; see README); `make run` boots an ESP32 with 4 MiB of
 * PSRAM.
 */
#include <stdio.h>
#include <string.h>

#include "capheap/malloc.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

static const capheap_chip_t *chip(void) {
    return heap_caps_capheap()->chip;
}

/* Name of the memory type holding @p p, from the chip's description. */
static const char *where(const void *p) {
    capheap_caps_t *ch = heap_caps_capheap();
    if (!p)
        return "(failed)";
    int t = capheap_caps_block_type(ch, p);
    uintptr_t a = (uintptr_t)p;
    if (capheap_caps_iram_to_dram(chip(), a) != a)
        return "D/IRAM, seen on the instruction bus";
    return t >= 0 ? ch->types[t].name : "?";
}

static void show(const char *what, const void *p) {
    printf("  %-44s -> 0x%08lx  %s\n", what, (unsigned long)(uintptr_t)p,
           where(p));
}

static void print_regions(void) {
    capheap_caps_t *ch = heap_caps_capheap();
    printf("The boot log, as ESP-IDF prints it: each heap region's start, "
           "length\nand memory type.\n");
    printf("Initializing. RAM available for dynamic allocation:\n");
    for (unsigned i = 0; i < capheap_heap_region_count(ch->heap); i++) {
        capheap_region_info_t r;
        capheap_heap_region_info(ch->heap, i, &r);
        size_t len =
            (size_t)((char *)r.registered_end - (char *)r.registered_start);
        printf("At %08lX len %08zX (%zu KiB): %s\n",
               (unsigned long)(uintptr_t)r.registered_start, len, len / 1024,
               ch->types[r.tag].name);
    }
}

/* The column legend is printed once, before the first table. */
static void print_caps_legend(void) {
    printf("Bytes per capability (heap_caps_get_info): total = size of the "
           "regions\nthat have it, free = free now, largest = the biggest "
           "allocation that\nsucceeds now, min free = the least free "
           "since start-up.\n");
}

static void print_caps_table(void) {
    static const struct {
        const char *name;
        uint32_t caps;
    } rows[] = {
        {"8BIT", MALLOC_CAP_8BIT},         {"32BIT", MALLOC_CAP_32BIT},
        {"DMA", MALLOC_CAP_DMA},           {"EXEC", MALLOC_CAP_EXEC},
        {"INTERNAL", MALLOC_CAP_INTERNAL}, {"SPIRAM", MALLOC_CAP_SPIRAM},
        {"DEFAULT", MALLOC_CAP_DEFAULT},
    };
    printf("  %-9s %10s %10s %10s %10s\n", "caps", "total", "free", "largest",
           "min free");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        multi_heap_info_t info;
        heap_caps_get_info(&info, rows[i].caps);
        printf("  %-9s %10zu %10zu %10zu %10zu\n", rows[i].name,
               heap_caps_get_total_size(rows[i].caps), info.total_free_bytes,
               info.largest_free_block, info.minimum_free_bytes);
    }
}

int main(void) {
    heap_caps_init();
    printf("capheap demo: the %s's memory, simulated on this host at the "
           "chip's own\naddresses.\n\n",
           chip()->name);
    print_regions();
    heap_caps_enable_nonos_stack_heaps(); /* the scheduler would start here */
    printf("\nAfter start-up (the ROM's start-up stacks in D/IRAM are heap "
           "now).\n");
    print_caps_legend();
    print_caps_table();

    printf("\nWhat firmware allocates: the request (its caps) -> the address "
           "returned,\nthe memory type it came from.\n");
    void *spi_dma = heap_caps_malloc(4096, MALLOC_CAP_DMA);
    show("4 KiB SPI DMA buffer (DMA)", spi_dma);
    printf("    esp_ptr_dma_capable(): the DMA engine can reach it: %s\n",
           esp_ptr_dma_capable(spi_dma) ? "yes" : "no");
    size_t free8 = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    uint32_t *table = heap_caps_malloc(16 * 1024, MALLOC_CAP_32BIT);
    show("16 KiB table of ints (32BIT)", table);
    printf("    word-only IRAM took it, byte-addressable free unchanged: "
           "%s\n",
           heap_caps_get_free_size(MALLOC_CAP_8BIT) == free8 ? "yes" : "no");
    void *code = heap_caps_malloc(2048, MALLOC_CAP_EXEC);
    show("2 KiB of code (EXEC)", code);
    void *frame = heap_caps_malloc(150 * 1024, MALLOC_CAP_SPIRAM);
    show("150 KiB frame buffer (SPIRAM)", frame);
    void *plain = capheap_malloc(1000);
    show("malloc(1000)", plain);
    void *bad = heap_caps_malloc(100, MALLOC_CAP_EXEC | MALLOC_CAP_8BIT);
    show("EXEC|8BIT (IRAM cannot do bytes)", bad);
    printf("    NULL, as on the chip: no executable RAM takes byte access\n");

    /* Fill IRAM with 32-bit tables; the next EXEC request then comes from
     * D/IRAM through its instruction-bus address. */
    void *tables[256];
    int n = 0;
    while (n < 256) {
        void *t = heap_caps_malloc(1024, MALLOC_CAP_32BIT);
        if (!t)
            break;
        tables[n++] = t;
        if (strcmp(where(t), "IRAM") != 0)
            break;
    }
    printf("  %d more 1 KiB 32BIT tables fill IRAM; the last went to %s\n", n,
           where(tables[n - 1]));
    uint32_t *jit = heap_caps_malloc(512, MALLOC_CAP_EXEC);
    show("512 B of code with IRAM full (EXEC)", jit);
    if (jit) {
        jit[0] = 0x004136e0; /* written through the instruction bus */
        uintptr_t d = capheap_caps_iram_to_dram(chip(), (uintptr_t)jit);
        uint32_t back = *(volatile uint32_t *)d;
        printf("    0x004136e0 written through that instruction-bus address,\n"
               "    read back on the data bus at 0x%08lx: 0x%08x (%s)\n",
               (unsigned long)d, back,
               back == 0x004136e0 ? "the same RAM on both buses" : "MISMATCH");
    }

    printf("\nWhat is left, in the same columns:\n");
    print_caps_table();

    heap_caps_free(jit);
    for (int i = 0; i < n; i++)
        heap_caps_free(tables[i]);
    capheap_free(plain);
    heap_caps_free(frame);
    heap_caps_free(code);
    heap_caps_free(table);
    heap_caps_free(spi_dma);
    printf("\nEverything freed; integrity check: %s\n",
           heap_caps_check_integrity_all(true) ? "ok" : "FAILED");
    return 0;
}
