#define _POSIX_C_SOURCE 200809L
/*
 * test_layout.c - ESP-IDF's memory layout (heap_memory_layout.h) on the
 * simulated ESP32: the tables against the facts of ESP-IDF's ESP32 table
 * (port/esp32/memory_layout.c: types, regions, D/IRAM aliases) and against
 * the heaps capheap built; SOC_RESERVE_MEMORY_REGION records of this
 * program, read by every build, which never hands out memory there;
 * capheap_system_reserve() after them; an overlap refused.
 */
#include "test_support.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../compat/esp_test_env.h"
#include "capheap/system.h"
#include "heap_memory_layout.h"

#define C(x) MALLOC_CAP_##x

/* A component's 16 KiB in the middle of the ESP32's DRAM (ESP-IDF's pools
 * 10-13): the region is split around it. */
#define HOLE_LO 0x3FFC4000u
#define HOLE_HI 0x3FFC8000u
SOC_RESERVE_MEMORY_REGION(HOLE_LO, HOLE_HI, test_hole);

/* One whose bounds the linker computes: this program's own array (outside
 * the chip's memory, so it changes no heap). */
static char marker[48];
SOC_RESERVE_MEMORY_REGION((intptr_t)marker, (intptr_t)(marker + sizeof marker),
                          test_marker);

/* Reserved by capheap_system_reserve() in the last tests. */
#define LATE_LO 0x3FFD0000u
#define LATE_HI 0x3FFD1000u

/* Boot the simulated ESP32 with these options (CAPHEAP_* variables),
 * skipping where the host holds its addresses. */
static void boot(const char *psram, bool rtc, bool iram_8bit) {
    unsetenv("CAPHEAP_IRAM_8BIT");
    unsetenv("CAPHEAP_SINGLE_CORE");
    et_opts_t o = {psram, rtc, false};
    if (iram_8bit) {
        /* et_boot_opts() clears the variables it knows: set these after a
         * probe that boots without them, then boot again. */
        et_boot_opts("esp32", o);
        setenv("CAPHEAP_IRAM_8BIT", "1", 1);
        setenv("CAPHEAP_SINGLE_CORE", "1", 1);
        heap_caps_init();
        return;
    }
    et_boot_opts("esp32", o);
}

static const capheap_caps_reservation_t *record(const char *name) {
    const capheap_caps_reservation_t *r;
    size_t n = capheap_system_reservations(&r);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].name, name) == 0)
            return &r[i];
    return NULL;
}

/* The records are there before any build, the linker's addresses in them. */
static void records_in_the_program(void **state) {
    (void)state;
    const capheap_caps_reservation_t *list;
    assert_int_equal(capheap_system_reservations(&list), 2);
    const capheap_caps_reservation_t *hole = record("test_hole");
    const capheap_caps_reservation_t *mark = record("test_marker");
    assert_non_null(hole);
    assert_non_null(mark);
    assert_int_equal(hole->start, HOLE_LO);
    assert_int_equal(hole->end, HOLE_HI);
    assert_int_equal(mark->start, (uintptr_t)marker);
    assert_int_equal(mark->end, (uintptr_t)marker + sizeof marker);
}

/* ESP-IDF's ESP32 memory types (port/esp32/memory_layout.c). */
typedef struct {
    const char *name;
    uint32_t caps[SOC_MEMORY_TYPE_NO_PRIOS];
} idf_type_t;

static const idf_type_t idf_types[] = {
    {"DRAM", {C(8BIT) | C(DEFAULT), C(INTERNAL) | C(DMA) | C(32BIT), 0}},
    {"D/IRAM",
     {0, C(DMA) | C(8BIT) | C(INTERNAL) | C(DEFAULT), C(32BIT) | C(EXEC)}},
    {"IRAM", {C(INTERNAL) | C(EXEC) | C(32BIT), 0, 0}},
    {"SPIRAM", {C(SPIRAM) | C(DEFAULT), 0, C(8BIT) | C(32BIT)}},
    {"RTCRAM",
     {C(RTCRAM), C(8BIT) | C(DEFAULT), C(INTERNAL) | C(32BIT) | C(EXEC)}},
};

/* ESP-IDF's ESP32 regions: start, size, type, IRAM alias, start-up stack;
 * runs of equal pools written as one line with their count. */
typedef struct {
    uintptr_t start;
    size_t size;
    unsigned count;
    const char *type;
    uintptr_t iram;
    bool stack;
} idf_region_t;

static const idf_region_t idf_regions[] = {
    {0x3F800000, 0x400000, 1, "SPIRAM", 0, false}, /* CONFIG_SPIRAM */
    {0x3FF80000, 0x2000, 1, "RTCRAM", 0, false},   /* RTC fast as heap */
    {0x3FFAE000, 0x2000, 1, "DRAM", 0, false},     /* pool 16 */
    {0x3FFB0000, 0x8000, 2, "DRAM", 0, false},     /* pools 15, 14 */
    {0x3FFC0000, 0x2000, 16, "DRAM", 0, false},    /* pools 10-13 */
    {0x3FFE0000, 0x4000, 1, "D/IRAM", 0x400BC000, true},
    {0x3FFE4000, 0x4000, 1, "D/IRAM", 0x400B8000, true},
    {0x3FFE8000, 0x8000, 1, "D/IRAM", 0x400B0000, true},
    {0x3FFF0000, 0x8000, 1, "D/IRAM", 0x400A8000, true},
    {0x3FFF8000, 0x4000, 1, "D/IRAM", 0x400A4000, true},
    {0x3FFFC000, 0x4000, 1, "D/IRAM", 0x400A0000, true},
    {0x40070000, 0x8000, 2, "IRAM", 0, false},  /* pools 0, 1 */
    {0x40080000, 0x2000, 16, "IRAM", 0, false}, /* pools 2-5 */
};

static const soc_memory_region_t *containing(uintptr_t start, size_t size) {
    for (size_t i = 0; i < soc_memory_region_count; i++) {
        const soc_memory_region_t *r = &soc_memory_regions[i];
        if (start >= (uintptr_t)r->start &&
            start + size <= (uintptr_t)r->start + r->size)
            return r;
    }
    return NULL;
}

static const char *type_name(size_t type) {
    assert_true(type < soc_memory_type_count);
    return soc_memory_types[type].name;
}

/* Every ESP-IDF region the options select lies in one of capheap's, of the
 * same type with the same caps, start-up flag and alias; capheap lists no
 * more memory of a type than ESP-IDF does. */
static void check_regions_against_esp_idf(bool psram, bool rtc,
                                          uint32_t iram_extra) {
    size_t idf_bytes[5] = {0}, our_bytes[5] = {0};
    for (size_t k = 0; k < sizeof idf_regions / sizeof idf_regions[0]; k++) {
        const idf_region_t *e = &idf_regions[k];
        if ((!psram && !strcmp(e->type, "SPIRAM")) ||
            (!rtc && !strcmp(e->type, "RTCRAM")))
            continue;
        for (unsigned j = 0; j < e->count; j++) {
            uintptr_t start = e->start + j * e->size;
            const soc_memory_region_t *r = containing(start, e->size);
            assert_non_null(r);
            assert_string_equal(type_name(r->type), e->type);
            assert_int_equal(r->startup_stack, e->stack);
            size_t t = 0;
            while (strcmp(idf_types[t].name, e->type))
                t++;
            uint32_t want[3] = {idf_types[t].caps[0], idf_types[t].caps[1],
                                idf_types[t].caps[2]};
            if (!strcmp(e->type, "IRAM") && start >= 0x40080000)
                want[0] |= iram_extra;
            assert_memory_equal(soc_memory_types[r->type].caps, want,
                                sizeof want);
            /* The inverted D/IRAM alias: a piece ending d bytes below the
             * region's end starts d bytes above the region's alias. */
            if (e->iram)
                assert_int_equal(e->iram, (uintptr_t)r->iram_address +
                                              ((uintptr_t)r->start + r->size -
                                               (start + e->size)));
            else if (strcmp(e->type, "RTCRAM")) /* see the header */
                assert_int_equal(r->iram_address, 0);
            idf_bytes[t] += e->size;
        }
    }
    for (size_t i = 0; i < soc_memory_region_count; i++) {
        const soc_memory_region_t *r = &soc_memory_regions[i];
        size_t t = 0;
        while (t < 5 && strcmp(idf_types[t].name, type_name(r->type)))
            t++;
        assert_true(t < 5);
        our_bytes[t] += r->size;
    }
    assert_memory_equal(idf_bytes, our_bytes, sizeof idf_bytes);
}

/* The tables against ESP-IDF's: without options, with PSRAM and RTC memory
 * as heap, with IRAM taking byte accesses (single core). */
static void tables_match_esp_idf(void **state) {
    (void)state;
    boot(NULL, false, false);
    assert_int_equal(soc_memory_type_count, 6); /* IRAM twice: the header */
    for (size_t t = 0; t < 5; t++) {
        size_t found = 0;
        for (size_t i = 0; i < soc_memory_type_count; i++)
            if (!strcmp(soc_memory_types[i].name, idf_types[t].name) &&
                !memcmp(soc_memory_types[i].caps, idf_types[t].caps,
                        sizeof idf_types[t].caps))
                found++;
        assert_int_equal(found, 1);
    }
    assert_int_equal(soc_memory_region_count, 4);
    check_regions_against_esp_idf(false, false, 0);
    /* Sorted by address. */
    for (size_t i = 1; i < soc_memory_region_count; i++)
        assert_true(soc_memory_regions[i - 1].start <
                    soc_memory_regions[i].start);

    boot("4M", true, false);
    assert_int_equal(soc_memory_region_count, 6);
    check_regions_against_esp_idf(true, true, 0);
    /* RTC fast memory is on both buses (ESP-IDF lists no alias). */
    assert_int_equal(containing(0x3FF80000, 0x2000)->iram_address, 0x400C0000);

    boot(NULL, false, true);
    check_regions_against_esp_idf(false, false, C(IRAM_8BIT));
}

/* Every heap capheap built lies in a region of the tables of its own type,
 * whose caps are the heap's; the available regions are those heaps. */
static void tables_match_the_heaps(void **state) {
    (void)state;
    boot("2M", true, false);
    heap_caps_enable_nonos_stack_heaps();
    capheap_caps_t *ch = heap_caps_capheap();
    size_t n = soc_get_available_memory_region_max_count();
    soc_memory_region_t *avail = calloc(n, sizeof *avail);
    assert_non_null(avail);
    assert_int_equal(soc_get_available_memory_regions(avail), n);
    unsigned heaps = capheap_heap_region_count(ch->heap);
    assert_int_equal(heaps, n);
    for (unsigned i = 0; i < heaps; i++) {
        capheap_region_info_t info;
        assert_int_equal(capheap_heap_region_info(ch->heap, i, &info),
                         CAPHEAP_OK);
        uintptr_t lo = (uintptr_t)info.start, hi = (uintptr_t)info.end;
        const soc_memory_region_t *r = containing(lo, hi - lo);
        assert_non_null(r);
        assert_int_equal(r->type, info.tag);
        assert_memory_equal(soc_memory_types[r->type].caps,
                            ch->types[info.tag].caps,
                            sizeof ch->types[info.tag].caps);
        /* One available region holds it (the heap keeps its words at the
         * ends). */
        size_t holding = 0;
        for (size_t k = 0; k < n; k++)
            if (lo >= (uintptr_t)avail[k].start &&
                hi <= (uintptr_t)avail[k].start + avail[k].size &&
                avail[k].type == info.tag)
                holding++;
        assert_int_equal(holding, 1);
    }
    /* By address; PSRAM at its fitted size; nothing in the reservations. */
    bool psram = false;
    for (size_t k = 0; k < n; k++) {
        if (k)
            assert_true(avail[k - 1].start + (intptr_t)avail[k - 1].size <=
                        avail[k].start);
        if (avail[k].start == 0x3F800000) {
            psram = true;
            assert_int_equal(avail[k].size, 2u << 20);
        }
        assert_true((uintptr_t)avail[k].start + avail[k].size <= HOLE_LO ||
                    (uintptr_t)avail[k].start >= HOLE_HI);
    }
    assert_true(psram);
    free(avail);
}

/* The records' range is cut out of the DRAM region, which goes on after
 * it; no allocation lands there and nothing writes there. */
static void records_keep_memory_out(void **state) {
    (void)state;
    boot(NULL, false, false);
    heap_caps_enable_nonos_stack_heaps();
    size_t n = soc_get_available_memory_region_max_count();
    soc_memory_region_t *avail = calloc(n, sizeof *avail);
    assert_non_null(avail);
    assert_int_equal(soc_get_available_memory_regions(avail), n);
    bool before = false, after = false;
    for (size_t k = 0; k < n; k++) {
        uintptr_t lo = (uintptr_t)avail[k].start, hi = lo + avail[k].size;
        assert_true(hi <= HOLE_LO || lo >= HOLE_HI);
        if (hi == HOLE_LO && !strcmp(type_name(avail[k].type), "DRAM"))
            before = true;
        if (lo == HOLE_HI && !strcmp(type_name(avail[k].type), "DRAM"))
            after = true;
    }
    assert_true(before && after);
    free(avail);
    /* The table lists the whole region, as ESP-IDF's does. */
    const soc_memory_region_t *dram = containing(HOLE_LO, HOLE_HI - HOLE_LO);
    assert_non_null(dram);
    assert_int_equal(dram->start, 0x3FFAE000);
    assert_int_equal(dram->size, 0x32000);

    /* Mark the reserved memory, take every byte the heap has in blocks of
     * varied sizes and write them all: none lies in the hole, whose bytes
     * stay as marked. */
    memset((void *)(uintptr_t)HOLE_LO, 0xC3, HOLE_HI - HOLE_LO);
    void **blocks = NULL;
    size_t count = 0, room = 0;
    static const size_t sizes[] = {4000, 700, 96, 24};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        void *p;
        while ((p = heap_caps_malloc(sizes[s], C(8BIT))) != NULL) {
            uintptr_t a = (uintptr_t)p;
            assert_true(a + sizes[s] <= HOLE_LO || a >= HOLE_HI);
            memset(p, 0x3C, sizes[s]);
            if (count == room) {
                room = room ? 2 * room : 256;
                blocks = realloc(blocks, room * sizeof *blocks);
                assert_non_null(blocks);
            }
            blocks[count++] = p;
        }
    }
    assert_true(count > 50);
    assert_true(heap_caps_get_largest_free_block(C(8BIT)) < 24);
    for (uintptr_t a = HOLE_LO; a < HOLE_HI; a++)
        assert_int_equal(*(const volatile uint8_t *)a, 0xC3);
    for (size_t i = 0; i < count; i++)
        heap_caps_free(blocks[i]);
    free(blocks);
    assert_true(heap_caps_check_integrity_all(true));
}

/* heap_caps_add_region_with_caps() reads SOC_MEMORY_TYPE_NO_PRIOS caps: a
 * region whose invented capability sits at the last level serves requests
 * for it; it is no memory type of the chip's. */
static void add_region_with_caps_levels(void **state) {
    (void)state;
    boot(NULL, false, false);
    const uint32_t invented = 1u << 29;
    uint32_t caps[SOC_MEMORY_TYPE_NO_PRIOS] = {0, 0, invented};
    size_t types = soc_memory_type_count, regions = soc_memory_region_count;
    char *buffer = heap_caps_malloc(8192, C(8BIT));
    assert_non_null(buffer);
    assert_int_equal(heap_caps_add_region_with_caps(caps, (intptr_t)buffer,
                                                    (intptr_t)buffer + 8192),
                     ESP_OK);
    void *p = heap_caps_malloc(100, invented);
    assert_true((char *)p >= buffer && (char *)p < buffer + 8192);
    assert_int_equal(soc_memory_type_count, types);
    assert_int_equal(soc_memory_region_count, regions);
    heap_caps_free(p);
}

/* A chip listing its RAM in more pieces than the region table holds (as
 * ESP-IDF's tables do, in 4 KiB pools here): the table lists the first
 * CAPHEAP_SOC_MAX_REGIONS and says so once; the heap, whose layout merges
 * the pieces, has them all. 0x62100000: free on x86-64 and i386 hosts and
 * above the simulation's low limit (tests/system/test_system.c). */
#define POOLS   (CAPHEAP_SOC_MAX_REGIONS + 2)
#define POOL_AT 0x62100000u
static void more_regions_than_the_table(void **state) {
    (void)state;
    static const capheap_mem_type_t types[] = {
        {"SRAM", {C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT), C(DMA), 0}}};
    static capheap_region_desc_t regions[POOLS];
    for (unsigned i = 0; i < POOLS; i++)
        regions[i] = (capheap_region_desc_t){
            POOL_AT + i * 0x1000u, 0x1000, 0, false, 0, 0};
    static const capheap_chip_t pools = {
        .name = "pools",
        .types = types,
        .type_count = 1,
        .regions = regions,
        .region_count = POOLS,
        .dma_lo = POOL_AT,
        .dma_hi = POOL_AT + POOLS * 0x1000u,
        .cache_line = 4,
        .simd_align = 4,
        .max_alloc = POOLS * 0x1000u,
    };
    unsetenv("CAPHEAP_CHIP");
    capheap_esp_set_chip(&pools, NULL);
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    heap_caps_init();
    size_t first = soc_memory_region_count, again = soc_memory_region_count;
    char *text = ts_capture_end(&cap);
    assert_int_equal(first, CAPHEAP_SOC_MAX_REGIONS);
    assert_int_equal(again, CAPHEAP_SOC_MAX_REGIONS);
    const char *said = strstr(text, "soc_memory_regions lists the first");
    assert_non_null(said);
    assert_null(strstr(said + 1, "soc_memory_regions lists the first"));
    free(text);
    for (size_t i = 0; i < CAPHEAP_SOC_MAX_REGIONS; i++) {
        assert_int_equal(soc_memory_regions[i].start, POOL_AT + i * 0x1000u);
        assert_int_equal(soc_memory_regions[i].size, 0x1000);
    }
    soc_memory_region_t avail[4];
    assert_int_equal(soc_get_available_memory_region_max_count(), 1);
    assert_int_equal(soc_get_available_memory_regions(avail), 1);
    assert_int_equal(avail[0].start, POOL_AT);
    assert_int_equal(avail[0].size, POOLS * 0x1000u);
    assert_int_equal(heap_caps_get_total_size(C(DMA)), POOLS * 0x1000u);
    capheap_esp_set_chip(NULL, NULL);
}

/* capheap_system_reserve() adds to the records (they come first) and both
 * stay out of the next build. */
static void runtime_reservation_after_records(void **state) {
    (void)state;
    boot(NULL, false, false);
    size_t total = heap_caps_get_total_size(C(8BIT));
    assert_int_equal(capheap_esp_reserve(LATE_LO, LATE_HI, "late"), ESP_OK);
    const capheap_caps_reservation_t *list;
    assert_int_equal(capheap_system_reservations(&list), 3);
    assert_string_equal(list[2].name, "late");
    assert_non_null(record("test_hole"));
    assert_non_null(record("test_marker"));
    heap_caps_init();
    assert_int_equal(heap_caps_get_total_size(C(8BIT)),
                     total - (LATE_HI - LATE_LO));
    soc_memory_region_t avail[16];
    assert_true(soc_get_available_memory_region_max_count() <= 16);
    size_t n = soc_get_available_memory_regions(avail);
    for (size_t k = 0; k < n; k++) {
        uintptr_t lo = (uintptr_t)avail[k].start, hi = lo + avail[k].size;
        assert_true(hi <= HOLE_LO || lo >= HOLE_HI);
        assert_true(hi <= LATE_LO || lo >= LATE_HI);
    }
}

/* Two reservations that overlap: as in ESP-IDF no heap is built (ESP-IDF
 * aborts; capheap says why and every allocation fails). Last: the
 * reservation stays for the rest of the process. */
static void overlap_refused(void **state) {
    (void)state;
    boot(NULL, false, false);
    assert_int_equal(
        capheap_esp_reserve(HOLE_HI - 0x100, HOLE_HI + 0x100, "across"),
        ESP_OK);
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    heap_caps_init();
    char *text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "cannot build the heaps of chip esp32"));
    free(text);
    assert_null(heap_caps_malloc(16, C(8BIT)));
    assert_int_equal(soc_memory_region_count, 0);
    assert_int_equal(soc_get_available_memory_region_max_count(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_in_the_program),
        cmocka_unit_test(tables_match_esp_idf),
        cmocka_unit_test(tables_match_the_heaps),
        cmocka_unit_test(records_keep_memory_out),
        cmocka_unit_test(add_region_with_caps_levels),
        cmocka_unit_test(more_regions_than_the_table),
        cmocka_unit_test(runtime_reservation_after_records),
        cmocka_unit_test(overlap_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
