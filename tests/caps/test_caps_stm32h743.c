#define _POSIX_C_SOURCE 200809L
/*
 * test_caps_stm32h743.c - where requests land on the simulated STM32H743
 * (CAPHEAP_CHIP=stm32h743), through heap_caps_init() and the heap_caps_*
 * API, checked against the chip's regions as the simulation places them
 * (ITCM starts at address 0, which the host cannot map: it moves up by
 * CAPHEAP_SIM_LOW_OFFSET):
 *   DMA never lands in DTCM or ITCM (DMA1/DMA2 cannot reach them);
 *   EXEC lands in ITCM while it has room, then AXI SRAM;
 *   TCM lands in DTCM first, then ITCM, nowhere else.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/caps.h"
#include "capheap/sim.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

#define MAX_BLOCKS 4096

static void *blocks[MAX_BLOCKS];

/* Boot the chip from a fresh heap (or skip, saying why, where the host
 * holds its addresses). */
static void boot(bool rtc_heap) {
    static const char *const vars[] = {
        "CAPHEAP_PSRAM",          "CAPHEAP_BT",
        "CAPHEAP_RTC_HEAP",       "CAPHEAP_SINGLE_CORE",
        "CAPHEAP_TRACE_MEM",      "CAPHEAP_IRAM_8BIT",
        "CAPHEAP_APP_DRAM_START", "CAPHEAP_APP_DRAM_END",
        "CAPHEAP_APP_IRAM_END"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("CAPHEAP_CHIP", "stm32h743", 1);
    if (rtc_heap)
        setenv("CAPHEAP_RTC_HEAP", "1", 1);
    const capheap_chip_t *c;
    capheap_chip_options_t o;
    assert_int_equal(capheap_sim_options_from_env(&c, &o), CAPHEAP_OK);
    char who[700] = "";
    capheap_err_t err = capheap_sim_probe(c, &o, who, sizeof who);
    if (err == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] the STM32H743's memory cannot be placed "
                      "at its own addresses: %s\n",
                      who);
        skip();
    }
    assert_int_equal(err, CAPHEAP_OK);
    ts_errors_install();
    heap_caps_init();
    heap_caps_enable_nonos_stack_heaps();
    assert_ptr_equal(heap_caps_capheap()->chip,
                     capheap_sim_chip(&capheap_chip_stm32h743));
    assert_true(heap_caps_check_integrity_all(true));
}

/* The region of the simulated chip holding @p p: its type's name. */
static const char *type_at(const void *p) {
    const capheap_chip_t *c = heap_caps_capheap()->chip;
    uintptr_t a = (uintptr_t)p;
    for (unsigned i = 0; i < c->region_count; i++) {
        const capheap_region_desc_t *r = &c->regions[i];
        if (a >= r->start && a - r->start < r->size)
            return c->types[r->type].name;
    }
    return "(none)";
}

static bool is(const void *p, const char *type) {
    return strcmp(type_at(p), type) == 0;
}

/* The simulated chip's region of type @p type (the first one). */
static const capheap_region_desc_t *region_of(const char *type) {
    const capheap_chip_t *c = heap_caps_capheap()->chip;
    for (unsigned i = 0; i < c->region_count; i++) {
        if (strcmp(c->types[c->regions[i].type].name, type) == 0)
            return &c->regions[i];
    }
    fail_msg("no region of type %s", type);
    return NULL;
}

static size_t free_of(uint32_t caps) {
    return heap_caps_get_free_size(caps);
}

static void free_all(int n) {
    while (n--)
        heap_caps_free(blocks[n]);
}

static void itcm_is_moved_dtcm_is_not(void **state) {
    (void)state;
    boot(false);
    const capheap_region_desc_t *itcm = region_of("ITCM");
    const capheap_region_desc_t *dtcm = region_of("DTCM");
    assert_int_equal(itcm->start,
                     capheap_sim_addr(&capheap_chip_stm32h743, 0x00000000));
    assert_int_equal(itcm->start, CAPHEAP_SIM_LOW_OFFSET);
    assert_int_equal(itcm->size, 0x10000);
    assert_int_equal(dtcm->start, 0x20000000);
    assert_int_equal(dtcm->size, 0x20000);
    /* The TCMs are TCM memory; DMA memory is not. */
    assert_true(free_of(MALLOC_CAP_TCM) > 180 * 1024);
    assert_true(free_of(MALLOC_CAP_TCM | MALLOC_CAP_DMA) == 0);
    assert_true(free_of(MALLOC_CAP_DMA) > 800 * 1024);
}

static void dma_never_in_tcm(void **state) {
    (void)state;
    boot(false);
    size_t tcm_free = free_of(MALLOC_CAP_TCM);
    const char *order[] = {"D2 SRAM", "AXI SRAM", "SRAM4"};
    int stage = 0, n = 0;
    for (size_t size = 4096; size >= 64; size /= 8) {
        void *p;
        while (n < MAX_BLOCKS && (p = heap_caps_malloc(size, MALLOC_CAP_DMA))) {
            if (n == 0)
                assert_true(is(p, "D2 SRAM"));
            blocks[n++] = p;
            assert_false(is(p, "DTCM"));
            assert_false(is(p, "ITCM"));
            assert_int_equal((uintptr_t)p % 32, 0); /* the cache line */
            assert_true(esp_ptr_dma_capable(p));
            if (size == 4096) { /* D2 SRAM first, AXI SRAM, SRAM4 last */
                while (stage < 3 && !is(p, order[stage]))
                    stage++;
                assert_true(stage < 3);
            }
        }
    }
    assert_true(n < MAX_BLOCKS);
    assert_int_equal(stage, 2); /* all three were used */
    /* DMA memory is gone; the TCMs were not touched and still have room. */
    assert_null(heap_caps_malloc(64, MALLOC_CAP_DMA));
    assert_int_equal(free_of(MALLOC_CAP_TCM), tcm_free);
    assert_non_null(heap_caps_malloc(4096, MALLOC_CAP_TCM));
    assert_non_null(heap_caps_malloc(4096, MALLOC_CAP_DEFAULT));
    free_all(n);
    /* DMA_DESC_* means DMA. */
    for (int i = 0; i < 20; i++) {
        void *p = heap_caps_malloc(40, i % 2 ? MALLOC_CAP_DMA_DESC_AHB
                                             : MALLOC_CAP_DMA_DESC_AXI);
        assert_non_null(p);
        assert_false(is(p, "DTCM") || is(p, "ITCM"));
        assert_int_equal((uintptr_t)p % 32, 0);
    }
}

static void exec_in_itcm_while_it_has_room(void **state) {
    (void)state;
    boot(false);
    const capheap_region_desc_t *itcm = region_of("ITCM");
    size_t itcm_free = free_of(MALLOC_CAP_EXEC | MALLOC_CAP_TCM);
    assert_true(itcm_free > 60 * 1024);
    int n = 0;
    void *p;
    while (n < MAX_BLOCKS && (p = heap_caps_malloc(1024, MALLOC_CAP_EXEC)) &&
           is(p, "ITCM")) {
        /* Above the null page and the vector table. */
        assert_true((uintptr_t)p >= itcm->start + 0x400);
        memset(p, 0xE7, 1024);
        blocks[n++] = p;
    }
    assert_non_null(p);
    /* ITCM full: the next EXEC request is AXI SRAM, never DTCM. */
    assert_true(is(p, "AXI SRAM"));
    assert_true((size_t)n * 1024 > itcm_free * 9 / 10);
    blocks[n++] = p;
    for (int i = 0; i < 10; i++) {
        void *q = heap_caps_malloc(512, MALLOC_CAP_EXEC);
        assert_true(is(q, "AXI SRAM") || is(q, "ITCM"));
        heap_caps_free(q);
    }
    free_all(n);
    /* Room again: ITCM again. */
    p = heap_caps_malloc(1024, MALLOC_CAP_EXEC);
    assert_true(is(p, "ITCM"));
    heap_caps_free(p);
    assert_int_equal(free_of(MALLOC_CAP_EXEC | MALLOC_CAP_TCM), itcm_free);
    assert_int_equal(ts_errors()->count, 0);
}

static void tcm_in_dtcm_first(void **state) {
    (void)state;
    boot(false);
    size_t dma_free = free_of(MALLOC_CAP_DMA);
    int n = 0, in_dtcm = 0, in_itcm = 0;
    void *p;
    while (n < MAX_BLOCKS && (p = heap_caps_malloc(2048, MALLOC_CAP_TCM))) {
        if (is(p, "DTCM")) {
            assert_int_equal(in_itcm, 0); /* no DTCM block after ITCM ones */
            in_dtcm++;
        } else {
            assert_true(is(p, "ITCM"));
            in_itcm++;
        }
        blocks[n++] = p;
    }
    assert_true(in_dtcm * 2048 > 120 * 1024);
    assert_true(in_itcm * 2048 > 56 * 1024);
    assert_int_equal(free_of(MALLOC_CAP_DMA), dma_free);
    free_all(n);
    assert_true(is(heap_caps_malloc(100, MALLOC_CAP_TCM), "DTCM"));
}

static void default_in_axi_sram_first(void **state) {
    (void)state;
    boot(false);
    void *p = heap_caps_malloc(1000, MALLOC_CAP_DEFAULT);
    assert_true(is(p, "AXI SRAM"));
    void *b = heap_caps_malloc(1000, MALLOC_CAP_8BIT | MALLOC_CAP_INTERNAL);
    assert_false(is(b, "DTCM") || is(b, "ITCM"));
    heap_caps_free(p);
    heap_caps_free(b);
    /* Backup SRAM is not heap without the RTC option. */
    assert_null(heap_caps_malloc(64, MALLOC_CAP_RTCRAM));
}

static void backup_sram_only_on_request(void **state) {
    (void)state;
    boot(true);
    size_t bkp = free_of(MALLOC_CAP_RTCRAM);
    assert_true(bkp > 3 * 1024);
    void *r = heap_caps_malloc(1000, MALLOC_CAP_RTCRAM);
    assert_true(is(r, "Backup SRAM"));
    void *d = heap_caps_malloc(1000, MALLOC_CAP_DEFAULT);
    assert_false(is(d, "Backup SRAM"));
    heap_caps_free(r);
    heap_caps_free(d);
    assert_int_equal(free_of(MALLOC_CAP_RTCRAM), bkp);
}

static void largest_free_block_can_be_allocated(void **state) {
    (void)state;
    boot(false);
    /* DMA costs more than its size: 32-byte cache-line alignment. (Masks
     * with DMA_DESC_* or CACHE_ALIGNED name no memory type: 0, as in
     * ESP-IDF.) */
    const uint32_t masks[] = {
        MALLOC_CAP_8BIT,    MALLOC_CAP_TCM, MALLOC_CAP_EXEC,
        MALLOC_CAP_DEFAULT, MALLOC_CAP_DMA, MALLOC_CAP_EXEC | MALLOC_CAP_TCM};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        size_t total = free_of(masks[i]);
        size_t big = heap_caps_get_largest_free_block(masks[i]);
        assert_true(big > 32 * 1024);
        void *p = heap_caps_malloc(big, masks[i]);
        assert_non_null(p);
        assert_true(free_of(masks[i]) <= total - big);
        heap_caps_free(p);
        assert_int_equal(free_of(masks[i]), total);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(itcm_is_moved_dtcm_is_not),
        cmocka_unit_test(dma_never_in_tcm),
        cmocka_unit_test(exec_in_itcm_while_it_has_room),
        cmocka_unit_test(tcm_in_dtcm_first),
        cmocka_unit_test(default_in_axi_sram_first),
        cmocka_unit_test(backup_sram_only_on_request),
        cmocka_unit_test(largest_free_block_can_be_allocated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
