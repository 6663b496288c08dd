#define _POSIX_C_SOURCE 200809L
/*
 * test_esp_heap_alloc_caps.c - the seed's 2016 API (esp_heap_alloc_caps.h)
 * and its FreeRTOS port functions on the simulated ESP32, against the
 * heap_caps_* figures of the same global heap.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "capheap/malloc.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_test_env.h"

/* Whether the live block @p p is in memory that has all of @p caps. */
static bool block_has(const void *p, uint32_t caps) {
    capheap_caps_t *ch = heap_caps_capheap();
    int t = capheap_caps_block_type(ch, p);
    return t >= 0 && (ch->types[t].all & caps) == caps;
}

static void malloc_caps_honours_caps(void **state) {
    (void)state;
    et_boot("esp32");
    const uint32_t masks[] = {MALLOC_CAP_8BIT, MALLOC_CAP_32BIT, MALLOC_CAP_DMA,
                              MALLOC_CAP_EXEC,
                              MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        size_t before = heap_caps_get_free_size(masks[i]);
        unsigned char *p = pvPortMallocCaps(300, masks[i]);
        assert_non_null(p);
        assert_true(block_has(p, masks[i]));
        assert_true(heap_caps_get_allocated_size(p) >= 300);
        assert_true(before - heap_caps_get_free_size(masks[i]) >= 300);
        if (!(masks[i] & MALLOC_CAP_EXEC))
            memset(p, 0x5A, 300);
        vPortFree(p);
        assert_int_equal(heap_caps_get_free_size(masks[i]), before);
    }
    void *x = pvPortMallocCaps(8, MALLOC_CAP_EXEC);
    assert_true(et_in_type(x, "IRAM"));
    vPortFree(x);
    assert_null(pvPortMallocCaps(100, MALLOC_CAP_SPIRAM)); /* no PSRAM */
    assert_null(pvPortMallocCaps(100, MALLOC_CAP_EXEC | MALLOC_CAP_8BIT));
    assert_null(pvPortMallocCaps(0, MALLOC_CAP_8BIT));
    /* Memory from it goes back through any of the free functions. */
    size_t before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    void *a = pvPortMallocCaps(64, MALLOC_CAP_8BIT);
    void *b = pvPortMallocCaps(64, MALLOC_CAP_8BIT);
    heap_caps_free(a);
    capheap_free(b);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), before);
    assert_int_equal(ts_errors()->count, 0);
}

/* Each heap counts once: a single bit matches heap_caps_get_free_size(); a
 * mask of several bits is the union of the heaps with any of them. */
static void free_size_counts_each_heap_once(void **state) {
    (void)state;
    et_boot("esp32");
    const uint32_t single[] = {MALLOC_CAP_8BIT, MALLOC_CAP_32BIT,
                               MALLOC_CAP_EXEC, MALLOC_CAP_DMA,
                               MALLOC_CAP_INTERNAL};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        assert_int_equal(xPortGetFreeHeapSizeCaps(single[i]),
                         heap_caps_get_free_size(single[i]));
        assert_int_equal(xPortGetMinimumEverFreeHeapSizeCaps(single[i]),
                         heap_caps_get_minimum_free_size(single[i]));
    }
    /* D/IRAM has both 8BIT and EXEC (at different priority levels): the
     * union counts it once (inclusion-exclusion). */
    size_t f8 = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    size_t fx = heap_caps_get_free_size(MALLOC_CAP_EXEC);
    size_t both = heap_caps_get_free_size(MALLOC_CAP_8BIT | MALLOC_CAP_EXEC);
    assert_true(both > 64 * 1024); /* D/IRAM is in */
    assert_int_equal(
        xPortGetFreeHeapSizeCaps(MALLOC_CAP_8BIT | MALLOC_CAP_EXEC),
        f8 + fx - both);
    size_t m8 = heap_caps_get_minimum_free_size(MALLOC_CAP_8BIT);
    size_t mx = heap_caps_get_minimum_free_size(MALLOC_CAP_EXEC);
    size_t mboth =
        heap_caps_get_minimum_free_size(MALLOC_CAP_8BIT | MALLOC_CAP_EXEC);
    assert_int_equal(
        xPortGetMinimumEverFreeHeapSizeCaps(MALLOC_CAP_8BIT | MALLOC_CAP_EXEC),
        m8 + mx - mboth);
    /* No heap offers SPIRAM or an invented bit. */
    assert_int_equal(xPortGetFreeHeapSizeCaps(MALLOC_CAP_SPIRAM), 0);
    assert_int_equal(xPortGetFreeHeapSizeCaps(1u << 29), 0);
    /* All heaps: every type counted once. */
    assert_int_equal(xPortGetFreeHeapSizeCaps(~0u), heap_caps_get_free_size(0));
}

static void minimum_ever_free_follows_allocations(void **state) {
    (void)state;
    et_boot("esp32");
    size_t free0 = xPortGetFreeHeapSizeCaps(MALLOC_CAP_DMA);
    size_t min0 = xPortGetMinimumEverFreeHeapSizeCaps(MALLOC_CAP_DMA);
    assert_true(min0 <= free0);
    void *p = pvPortMallocCaps(20000, MALLOC_CAP_DMA);
    assert_non_null(p);
    assert_true(free0 - xPortGetFreeHeapSizeCaps(MALLOC_CAP_DMA) >= 20000);
    vPortFree(p);
    assert_int_equal(xPortGetFreeHeapSizeCaps(MALLOC_CAP_DMA), free0);
    assert_true(xPortGetMinimumEverFreeHeapSizeCaps(MALLOC_CAP_DMA) <=
                min0 - 20000);
}

static void dma_capable_pointers(void **state) {
    (void)state;
    et_boot("esp32");
    void *d = pvPortMallocCaps(128, MALLOC_CAP_DMA);
    void *x = pvPortMallocCaps(128, MALLOC_CAP_EXEC); /* IRAM */
    void *b = pvPortMallocCaps(128, MALLOC_CAP_8BIT);
    assert_non_null(d);
    assert_non_null(x);
    assert_non_null(b);
    assert_true(esp_ptr_dma_capable(d));
    assert_true(esp_ptr_dma_capable(b)); /* byte-accessible ESP32 RAM is */
    assert_false(esp_ptr_dma_capable(x));
    int local;
    assert_false(esp_ptr_dma_capable(&local));
    assert_false(esp_ptr_dma_capable(NULL));
    /* The chip's range, both ends. */
    const capheap_chip_t *c = et_chip();
    assert_true(esp_ptr_dma_capable((void *)c->dma_lo));
    assert_true(esp_ptr_dma_capable((void *)(c->dma_hi - 1)));
    assert_false(esp_ptr_dma_capable((void *)(c->dma_lo - 1)));
    assert_false(esp_ptr_dma_capable((void *)c->dma_hi));
    vPortFree(d);
    vPortFree(x);
    vPortFree(b);
}

static void freertos_port_functions(void **state) {
    (void)state;
    et_boot("esp32");
    size_t free0 = xPortGetFreeHeapSize();
    assert_int_equal(free0, xPortGetFreeHeapSizeCaps(MALLOC_CAP_8BIT));
    assert_int_equal(free0, heap_caps_get_free_size(MALLOC_CAP_8BIT));
    assert_true(xPortGetMinimumEverFreeHeapSize() <= free0);
    assert_int_equal(xPortGetMinimumEverFreeHeapSize(),
                     xPortGetMinimumEverFreeHeapSizeCaps(MALLOC_CAP_8BIT));
    unsigned char *p = pvPortMalloc(5000);
    assert_non_null(p);
    assert_true(block_has(p, MALLOC_CAP_8BIT));
    memset(p, 0x77, 5000);
    assert_true(free0 - xPortGetFreeHeapSize() >= 5000);
    assert_true(xPortGetMinimumEverFreeHeapSize() <= free0 - 5000);
    vPortFree(p);
    vPortFree(NULL);
    assert_int_equal(xPortGetFreeHeapSize(), free0);
    assert_true(xPortGetMinimumEverFreeHeapSize() <= free0 - 5000);
    assert_null(pvPortMalloc(0));
    /* Memory of any allocator goes back through vPortFree(). */
    vPortFree(capheap_malloc(100));
    vPortFree(heap_caps_malloc(100, MALLOC_CAP_DMA));
    assert_int_equal(xPortGetFreeHeapSize(), free0);
    assert_int_equal(ts_errors()->count, 0);
}

/* heap_alloc_caps_init() rebuilds the heaps as heap_caps_init() does;
 * heap_alloc_enable_nonos_stack_tag() adds the start-up-stack D/IRAM. */
static void init_and_nonos_stack_tag(void **state) {
    (void)state;
    et_opts_t o = {NULL, false, false};
    et_boot_opts("esp32", o);
    size_t fresh8 = xPortGetFreeHeapSize();
    size_t fresh_dma = xPortGetFreeHeapSizeCaps(MALLOC_CAP_DMA);
    /* Only D/IRAM has 8BIT and EXEC: none of it yet. */
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT | MALLOC_CAP_EXEC),
                     0);
    for (int i = 0; i < 10; i++)
        assert_non_null(pvPortMalloc(1000));
    assert_true(xPortGetFreeHeapSize() < fresh8 - 10000);
    heap_alloc_caps_init();
    assert_int_equal(xPortGetFreeHeapSize(), fresh8);
    assert_int_equal(xPortGetMinimumEverFreeHeapSize(), fresh8);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), fresh8);
    heap_alloc_enable_nonos_stack_tag();
    size_t with_stacks = xPortGetFreeHeapSizeCaps(MALLOC_CAP_DMA);
    /* D/IRAM (128 KiB less ROM data) joins now. */
    assert_true(with_stacks - fresh_dma > 120 * 1024);
    assert_true(xPortGetFreeHeapSize() - fresh8 > 120 * 1024);
    heap_alloc_enable_nonos_stack_tag(); /* idempotent */
    assert_int_equal(xPortGetFreeHeapSizeCaps(MALLOC_CAP_DMA), with_stacks);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_8BIT | MALLOC_CAP_EXEC) >
                120 * 1024);
    assert_true(heap_caps_check_integrity_all(true));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malloc_caps_honours_caps),
        cmocka_unit_test(free_size_counts_each_heap_once),
        cmocka_unit_test(minimum_ever_free_follows_allocations),
        cmocka_unit_test(dma_capable_pointers),
        cmocka_unit_test(freertos_port_functions),
        cmocka_unit_test(init_and_nonos_stack_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
