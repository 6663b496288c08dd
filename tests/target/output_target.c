/*
 * output_target.c - capheap's output on a small C library (issue #10):
 * sizes, longs, pointers and strings after sizes printed with
 * capheap_printf(), then heap_caps_init()'s boot log (no formatter),
 * heap_caps_print_heap_info(), heap_caps_dump() and
 * multi_heap_dump() on a chip of this program's own, on an emulated
 * Cortex-M3 (MPS2 AN385). tools/output-test.sh builds it against newlib,
 * newlib-nano and picolibc, with capheap's default output function
 * (stdio) and with this program's own (semihosting, CAPHEAP_OUTPUT=2),
 * and compares what it prints with tests/target/output_expected.txt: the
 * same text byte for byte on every C library. Every address printed is
 * fixed (the chip's regions and a multi_heap at a fixed address), so the
 * text does not depend on the link.
 */
#include <stddef.h>
#include <stdint.h>

#include "capheap/caps.h"
#include "capheap/output.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "multi_heap.h"

#define C(x) CAPHEAP_CAP_##x

/* The AN385's RAM is 0x20000000-0x20400000; the program's .data/.bss lie
 * at its start and the stack at its end, well away from these. */
static const capheap_mem_type_t types[] = {
    {"SRAM", {C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT), 0, 0}},
    {"DMA SRAM", {C(DMA), C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT), 0}},
};

static const capheap_region_desc_t regions[] = {
    {0x20100000, 0x20000, 0, false, 0, 0},
    {0x20200000, 0x8000, 1, false, 0, 0},
};

static const capheap_chip_t board = {
    .name = "mps2-an385",
    .types = types,
    .type_count = 2,
    .regions = regions,
    .region_count = 2,
    .dma_lo = 0x20200000,
    .dma_hi = 0x20208000,
    .cache_line = 4,
    .simd_align = 4,
    .max_alloc = 0x20000,
};

#define MULTI_HEAP_AT ((void *)0x20300000)

#if CAPHEAP_OUTPUT == 2
/* This program's own output function: semihosting's SYS_WRITE0 (0x04),
 * which prints a NUL-terminated string on the host's console. */
void capheap_port_write(const char *text, size_t len) {
    char line[65];
    while (len) {
        size_t n = len < sizeof line - 1 ? len : sizeof line - 1;
        for (size_t i = 0; i < n; i++)
            line[i] = text[i];
        line[n] = '\0';
        register uintptr_t r0 __asm__("r0") = 0x04;
        register const char *r1 __asm__("r1") = line;
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
        text += n;
        len -= n;
    }
}
#endif

int main(void) {
    /* What newlib's printf gets wrong (issue #10): %zu, then %s after a
     * size, which read a size as a pointer there. */
    capheap_printf("sizes: %zu %zu %zu\n", (size_t)0, (size_t)180216,
                   (size_t)SIZE_MAX);
    capheap_printf("len %zu free %zu (%s)\n", (size_t)4096, (size_t)2048,
                   "DRAM");
    capheap_printf("longs: %lu %ld %lx\n", 4000000000ul, -2147483647l - 1,
                   0xdeadbeeful);
    capheap_printf("long longs: %llu %lld %llx\n", 18446744073709551615ull,
                   -9223372036854775807ll - 1, 0x0123456789abcdefull);
    capheap_printf("pointers: %p %p %10p|\n", (void *)0x20100000, (void *)0,
                   (void *)0x1234);
    capheap_printf("flags: %08x|%-6d|%+d|%5s|%-5s|%c|%.3s|%%\n", 0xbeefu, -42,
                   7, "ab", "cd", 'z', "truncated");

    capheap_esp_set_chip(&board, NULL);
    heap_caps_init();
    void *a = heap_caps_malloc(100, MALLOC_CAP_8BIT);
    void *d = heap_caps_malloc(256, MALLOC_CAP_DMA);
    capheap_printf("8BIT block at %p, DMA block at %p\n", a, d);
    heap_caps_print_heap_info(MALLOC_CAP_8BIT);
    heap_caps_dump(MALLOC_CAP_DMA);
    heap_caps_free(a);
    heap_caps_free(d);

    multi_heap_handle_t h = multi_heap_register(MULTI_HEAP_AT, 1024);
    void *m = multi_heap_malloc(h, 40);
    multi_heap_dump(h);
    multi_heap_free(h, m);
    capheap_printf("done\n");
    return 0;
}
