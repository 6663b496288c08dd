/*
 * test_chips.c - the chip descriptions pinned to the vendors' figures, and
 * the heaps capheap_layout_build() makes of them, computed by hand.
 *
 * Sources: ESP-IDF components/heap/port/<chip>/memory_layout.c, soc.h and
 * the linker scripts for the ESP chips; ST RM0433 for the STM32H743.
 */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "capheap/caps.h"
#include "capheap/sim.h"
#include "caps/layout.h"

#define C(x) CAPHEAP_CAP_##x

#define PSRAM  CAPHEAP_OPT_PSRAM
#define RTC    CAPHEAP_OPT_RTC_HEAP
#define BT     CAPHEAP_OPT_BT
#define TRACE  CAPHEAP_OPT_TRACE_MEM
#define SINGLE CAPHEAP_OPT_SINGLE_CORE
#define I8     CAPHEAP_OPT_IRAM_8BIT

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------- */

typedef struct {
    const char *name;
    uint32_t caps[CAPHEAP_PRIOS];
} type_want_t;

typedef struct {
    uintptr_t start;
    size_t size;
    const char *type;
    uintptr_t iram;
    bool startup;
    uint32_t when, unless;
} region_want_t;

typedef struct {
    uintptr_t start, end;
    uint32_t when, unless;
} resv_want_t;

typedef struct {
    uintptr_t start, end;
    const char *type;
    bool startup;
} piece_t;

static int type_index(const capheap_chip_t *chip, const char *name) {
    for (unsigned t = 0; t < chip->type_count; t++) {
        if (strcmp(chip->types[t].name, name) == 0)
            return (int)t;
    }
    print_error("%s: no type \"%s\"\n", chip->name, name);
    fail();
    return -1;
}

static void expect_types(const capheap_chip_t *chip, const type_want_t *w,
                         size_t n) {
    assert_int_equal(chip->type_count, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(chip->types[i].name, w[i].name);
        for (int p = 0; p < CAPHEAP_PRIOS; p++) {
            if (chip->types[i].caps[p] != w[i].caps[p]) {
                print_error("%s type %s prio %d: caps %#lx, want %#lx\n",
                            chip->name, w[i].name, p,
                            (unsigned long)chip->types[i].caps[p],
                            (unsigned long)w[i].caps[p]);
                fail();
            }
        }
    }
}

/* The chip's records are the vendor's list @p w with each run of touching
 * records of one type, start-up flag and option selection merged into one
 * (chip.h's format), and every vendor instruction-bus address agrees with
 * the chip's alias windows. */
static void expect_regions(const capheap_chip_t *chip, const region_want_t *w,
                           size_t n) {
    size_t got = 0;
    for (size_t i = 0; i < n; got++) {
        uintptr_t start = w[i].start, end = w[i].start + w[i].size;
        size_t j = i + 1;
        for (; j < n && w[j].start == end && w[j].type == w[i].type &&
               w[j].startup == w[i].startup && w[j].when == w[i].when &&
               w[j].unless == w[i].unless;
             j++)
            end += w[j].size;
        assert_true(got < chip->region_count);
        const capheap_region_desc_t *d = &chip->regions[got];
        if (d->start != start || d->size != end - start ||
            d->type != (uint8_t)type_index(chip, w[i].type) ||
            d->startup_stack != w[i].startup || d->when != w[i].when ||
            d->unless != w[i].unless) {
            print_error("%s region %zu: %#lx+%#lx type %u stack %d "
                        "when %#x unless %#x; want %#lx+%#lx %s\n",
                        chip->name, got, (unsigned long)d->start,
                        (unsigned long)d->size, d->type, d->startup_stack,
                        (unsigned)d->when, (unsigned)d->unless,
                        (unsigned long)start, (unsigned long)(end - start),
                        w[i].type);
            fail();
        }
        for (; i < j; i++) {
            if (!w[i].iram)
                continue;
            const capheap_alias_t *a = NULL;
            for (unsigned k = 0; k < chip->alias_count; k++) {
                if (w[i].start >= chip->aliases[k].dram_lo &&
                    w[i].start + w[i].size <= chip->aliases[k].dram_hi)
                    a = &chip->aliases[k];
            }
            assert_non_null(a);
            /* The first word's twin: at the start of a linear window's
             * range, at the end of an inverted one's. */
            assert_int_equal(capheap_caps_dram_to_iram(chip, w[i].start),
                             a->kind == CAPHEAP_ALIAS_LINEAR
                                 ? w[i].iram
                                 : w[i].iram + w[i].size - 4);
        }
    }
    assert_int_equal(chip->region_count, got);
}

static void expect_reserved(const capheap_chip_t *chip, const resv_want_t *w,
                            size_t n) {
    assert_int_equal(chip->reserved_count, n);
    for (size_t i = 0; i < n; i++) {
        const capheap_reserved_t *r = &chip->reserved[i];
        if (r->start != w[i].start || r->end != w[i].end ||
            r->when != w[i].when || r->unless != w[i].unless) {
            print_error("%s reservation %zu: %#lx-%#lx, want %#lx-%#lx\n",
                        chip->name, i, (unsigned long)r->start,
                        (unsigned long)r->end, (unsigned long)w[i].start,
                        (unsigned long)w[i].end);
            fail();
        }
    }
}

/* Build with @p opts and compare with @p want, piece by piece. */
static void expect_layout_opts(const capheap_chip_t *chip,
                               const capheap_chip_options_t *opts,
                               const piece_t *want, size_t n) {
    capheap_avail_t out[64];
    size_t count = 99;
    const char *bad = "unset";
    assert_int_equal(
        capheap_layout_build(chip, opts, NULL, 0, out, N(out), &count, &bad),
        CAPHEAP_OK);
    assert_null(bad);
    bool ok = count == n;
    for (size_t i = 0; ok && i < n; i++) {
        ok = out[i].start == want[i].start && out[i].end == want[i].end &&
             out[i].type == (uint8_t)type_index(chip, want[i].type) &&
             out[i].startup_stack == want[i].startup;
    }
    if (!ok) {
        print_error("%s with flags %#x:\n", chip->name, (unsigned)opts->flags);
        for (size_t i = 0; i < count; i++)
            print_error("  got  %#lx-%#lx %s%s\n", (unsigned long)out[i].start,
                        (unsigned long)out[i].end,
                        chip->types[out[i].type].name,
                        out[i].startup_stack ? " (stack)" : "");
        for (size_t i = 0; i < n; i++)
            print_error("  want %#lx-%#lx %s%s\n", (unsigned long)want[i].start,
                        (unsigned long)want[i].end, want[i].type,
                        want[i].startup ? " (stack)" : "");
        fail();
    }
}

static void expect_layout(const capheap_chip_t *chip, uint32_t flags,
                          const piece_t *want, size_t n) {
    capheap_chip_options_t o = {flags, 0, 0, 0, 0};
    expect_layout_opts(chip, &o, want, n);
}

/* The options that do not concern @p chip leave the default layout. */
static void expect_unchanged(const capheap_chip_t *chip, uint32_t flags,
                             const piece_t *want, size_t n) {
    for (uint32_t f = 1; f <= I8; f <<= 1) {
        if (flags & f)
            expect_layout(chip, f, want, n);
    }
}

/* caps.h's rule, written out again: level by level, a type qualifies if
 * its caps at the level share a bit with the request and all its caps
 * together hold the whole request; ties go by type order. */
static size_t qualifying(const capheap_chip_t *chip, uint32_t req,
                         const char **names) {
    size_t n = 0;
    uint32_t seen = 0;
    for (int p = 0; p < CAPHEAP_PRIOS; p++) {
        for (unsigned t = 0; t < chip->type_count; t++) {
            const uint32_t *c = chip->types[t].caps;
            uint32_t all = c[0] | c[1] | c[2];
            if ((c[p] & req) && (all & req) == req && !(seen & (1u << t))) {
                seen |= 1u << t;
                names[n++] = chip->types[t].name;
            }
        }
    }
    return n;
}

static void expect_order(const capheap_chip_t *chip, uint32_t req,
                         const char *const *want, size_t n) {
    const char *got[CAPHEAP_CAPS_MAX_TYPES];
    size_t count = qualifying(chip, req, got);
    bool ok = count == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(got[i], want[i]) == 0;
    if (!ok) {
        print_error("%s caps %#lx:", chip->name, (unsigned long)req);
        for (size_t i = 0; i < count; i++)
            print_error(" %s", got[i]);
        print_error("; want");
        for (size_t i = 0; i < n; i++)
            print_error(" %s", want[i]);
        print_error("\n");
        fail();
    }
}

/* No type qualifies for @p req. */
#define NONE(chip, req) expect_order((chip), (req), NULL, 0)

#define ORDER(chip, req, ...)                                                  \
    do {                                                                       \
        static const char *const w_[] = {__VA_ARGS__};                         \
        expect_order((chip), (req), w_, N(w_));                                \
    } while (0)

static uint32_t all_caps(const capheap_chip_t *chip, unsigned t) {
    const uint32_t *c = chip->types[t].caps;
    return c[0] | c[1] | c[2];
}

/* ---- every chip --------------------------------------------------------- */

static const capheap_chip_t *const every[] = {
    &capheap_chip_esp32,     &capheap_chip_esp32s3, &capheap_chip_esp32c3,
    &capheap_chip_stm32h743, &capheap_chip_host,
};

static void registry_finds_every_chip(void **state) {
    (void)state;
    assert_ptr_equal(capheap_chip_find("esp32"), &capheap_chip_esp32);
    assert_ptr_equal(capheap_chip_find("esp32s3"), &capheap_chip_esp32s3);
    assert_ptr_equal(capheap_chip_find("esp32c3"), &capheap_chip_esp32c3);
    assert_ptr_equal(capheap_chip_find("stm32h743"), &capheap_chip_stm32h743);
    assert_ptr_equal(capheap_chip_find("host"), &capheap_chip_host);
    assert_null(capheap_chip_find("esp32s2"));
    assert_null(capheap_chip_find(""));
    assert_null(capheap_chip_find(NULL));
}

static bool pow2(size_t x) {
    return x && (x & (x - 1)) == 0;
}

/* What every description must hold, whoever wrote it. */
static void descriptions_are_consistent(void **state) {
    (void)state;
    for (size_t c = 0; c < N(every); c++) {
        const capheap_chip_t *chip = every[c];
        assert_true(chip->type_count > 0);
        assert_true(chip->type_count <= CAPHEAP_CAPS_MAX_TYPES);
        assert_true(pow2(chip->cache_line));
        assert_true(pow2(chip->simd_align));
        assert_true(chip->dma_lo < chip->dma_hi);
        for (unsigned i = 0; i < chip->region_count; i++) {
            const capheap_region_desc_t *d = &chip->regions[i];
            assert_true(d->type < chip->type_count);
            assert_true(d->size > 0);
            assert_true(d->size <= chip->max_alloc);
            if (i > 0) /* sorted; option variants may share a start */
                assert_true(chip->regions[i - 1].start <= d->start);
            /* A type that offers DMA has its RAM where DMA reaches. */
            if (all_caps(chip, d->type) & C(DMA)) {
                assert_true(d->start >= chip->dma_lo);
                assert_true(d->start + d->size <= chip->dma_hi);
            }
            /* Two records that options can select together never
             * overlap (an option-dependent type takes two records). */
            for (unsigned k = 0; k < i; k++) {
                const capheap_region_desc_t *e = &chip->regions[k];
                bool together =
                    !((d->when | e->when) & (d->unless | e->unless));
                if (together)
                    assert_true(e->start + e->size <= d->start);
            }
        }
        for (unsigned i = 0; i < chip->reserved_count; i++) {
            assert_true(chip->reserved[i].start < chip->reserved[i].end);
        }
        for (unsigned i = 0; i < chip->alias_count; i++)
            assert_true(chip->aliases[i].dram_lo < chip->aliases[i].dram_hi);
    }
}

/* ---- ESP32-S3 ------------------------------------------------------------ */

#define S3_COMMON (C(DEFAULT) | C(32BIT) | C(8BIT))
#define S3_DIRAM_BASE                                                          \
    (S3_COMMON | C(INTERNAL) | C(DMA) | C(RETENTION) | C(EXEC))
#define S3_RTCRAM_BASE (S3_COMMON | C(INTERNAL) | C(EXEC))

static void esp32s3_data(void **state) {
    (void)state;
    const capheap_chip_t *s3 = &capheap_chip_esp32s3;
    static const type_want_t types[] = {
        {"RAM", {S3_DIRAM_BASE | C(SIMD), 0, 0}},
        {"DRAM", {0, S3_COMMON | C(INTERNAL) | C(DMA) | C(SIMD), 0}},
        {"IRAM", {C(EXEC), C(32BIT) | C(INTERNAL), 0}},
        {"SPIRAM", {C(SPIRAM) | C(DEFAULT), 0, C(8BIT) | C(32BIT) | C(SIMD)}},
        {"RTCRAM", {C(RTCRAM), 0, S3_RTCRAM_BASE}},
    };
    static const region_want_t regions[] = {
        {0x3C000000, 0x2000000, "SPIRAM", 0, false, PSRAM, 0},
        {0x3FC88000, 0x8000, "RAM", 0x40378000, false, 0, 0},
        {0x3FC90000, 0x10000, "RAM", 0x40380000, false, 0, 0},
        {0x3FCA0000, 0x10000, "RAM", 0x40390000, false, 0, 0},
        {0x3FCB0000, 0x10000, "RAM", 0x403A0000, false, 0, 0},
        {0x3FCC0000, 0x10000, "RAM", 0x403B0000, false, 0, 0},
        {0x3FCD0000, 0x10000, "RAM", 0x403C0000, false, 0, 0},
        {0x3FCE0000, 0x9710, "RAM", 0x403D0000, false, 0, 0},
        {0x3FCE9710, 0x68F0, "RAM", 0x403D9710, true, 0, 0},
        {0x3FCF0000, 0x8000, "DRAM", 0, false, 0, 0},
        {0x40374000, 0x4000, "IRAM", 0, false, 0, 0},
        {0x600FE000, 0x2000, "RTCRAM", 0, false, RTC, 0},
    };
    static const resv_want_t resv[] = {
        {0x3FCD0000, 0x3FCD4000, TRACE, 0}, {0x3FCE0000, 0x3FCE4000, TRACE, 0},
        {0x3FCEEE34, 0x3FCF0000, 0, 0},     {0x40374000, 0x40378000, 0, 0},
        {0x600FFFE8, 0x60100000, RTC, 0},
    };
    assert_string_equal(s3->name, "esp32s3");
    expect_types(s3, types, N(types));
    expect_regions(s3, regions, N(regions));
    expect_reserved(s3, resv, N(resv));
    assert_int_equal(s3->alias_count, 1);
    assert_int_equal(s3->aliases[0].kind, CAPHEAP_ALIAS_LINEAR);
    assert_int_equal(s3->aliases[0].dram_lo, 0x3FC88000);
    assert_int_equal(s3->aliases[0].dram_hi, 0x3FCF0000);
    assert_int_equal(s3->aliases[0].iram_lo, 0x40378000);
    assert_int_equal(s3->aliases[0].iram_lo - s3->aliases[0].dram_lo, 0x6F0000);
    assert_int_equal(s3->dma_lo, 0x3FC88000);
    assert_int_equal(s3->dma_hi, 0x3FD00000);
    assert_int_equal(s3->cache_line, 32);
    assert_int_equal(s3->simd_align, 16);
    assert_int_equal(s3->max_alloc, 0x2000000);
    assert_int_equal(s3->app_dram_start, 0x3FC94000);
    assert_int_equal(s3->app_dram_start_bt, 0);
    assert_int_equal(s3->app_dram_size, 0x3000);
    /* IRAM code on the data bus: _iram_start 0x40374000 - 0x6F0000. */
    assert_int_equal(s3->app_iram_start, 0x40374000 - 0x6F0000);
    assert_int_equal(s3->app_iram_size, 0x10000);
    /* .data follows the code's data-bus alias. */
    assert_int_equal(s3->app_iram_start + s3->app_iram_size,
                     s3->app_dram_start);
}

/* Default: IRAM code 0x3FC84000-0x3FC94000 and .data/.bss -0x3FC97000 eat
 * the front of D/IRAM, the ROM keeps 0x3FCEEE34 up, the I-bus IRAM is code. */
static const piece_t s3_default[] = {
    {0x3FC97000, 0x3FCE9710, "RAM", false},
    {0x3FCE9710, 0x3FCEEE34, "RAM", true},
    {0x3FCF0000, 0x3FCF8000, "DRAM", false},
};

static void esp32s3_layout(void **state) {
    (void)state;
    const capheap_chip_t *s3 = &capheap_chip_esp32s3;
    expect_layout(s3, 0, s3_default, N(s3_default));
    expect_unchanged(s3, BT | SINGLE | I8, s3_default, N(s3_default));

    static const piece_t psram[] = {
        {0x3C000000, 0x3E000000, "SPIRAM", false},
        {0x3FC97000, 0x3FCE9710, "RAM", false},
        {0x3FCE9710, 0x3FCEEE34, "RAM", true},
        {0x3FCF0000, 0x3FCF8000, "DRAM", false},
    };
    expect_layout(s3, PSRAM, psram, N(psram));
    static const piece_t psram8[] = {
        {0x3C000000, 0x3C800000, "SPIRAM", false},
        {0x3FC97000, 0x3FCE9710, "RAM", false},
        {0x3FCE9710, 0x3FCEEE34, "RAM", true},
        {0x3FCF0000, 0x3FCF8000, "DRAM", false},
    };
    capheap_chip_options_t o8 = {PSRAM, 8u << 20, 0, 0, 0};
    expect_layout_opts(s3, &o8, psram8, N(psram8));

    static const piece_t rtc[] = {
        {0x3FC97000, 0x3FCE9710, "RAM", false},
        {0x3FCE9710, 0x3FCEEE34, "RAM", true},
        {0x3FCF0000, 0x3FCF8000, "DRAM", false},
        {0x600FE000, 0x600FFFE8, "RTCRAM", false},
    };
    expect_layout(s3, RTC, rtc, N(rtc));

    static const piece_t trace[] = {
        {0x3FC97000, 0x3FCD0000, "RAM", false},
        {0x3FCD4000, 0x3FCE0000, "RAM", false},
        {0x3FCE4000, 0x3FCE9710, "RAM", false},
        {0x3FCE9710, 0x3FCEEE34, "RAM", true},
        {0x3FCF0000, 0x3FCF8000, "DRAM", false},
    };
    expect_layout(s3, TRACE, trace, N(trace));

    /* Application ends on the data bus: less IRAM code, more .bss. */
    static const piece_t app[] = {
        {0x3FC90000, 0x3FC94000, "RAM", false},
        {0x3FC98000, 0x3FCE9710, "RAM", false},
        {0x3FCE9710, 0x3FCEEE34, "RAM", true},
        {0x3FCF0000, 0x3FCF8000, "DRAM", false},
    };
    capheap_chip_options_t oa = {0, 0, 0x3FC98000, 0x3FC90000, 0};
    expect_layout_opts(s3, &oa, app, N(app));
}

static void esp32s3_selection(void **state) {
    (void)state;
    const capheap_chip_t *s3 = &capheap_chip_esp32s3;
    ORDER(s3, C(DEFAULT) | C(INTERNAL), "RAM", "DRAM", "RTCRAM");
    ORDER(s3, C(DEFAULT), "RAM", "SPIRAM", "DRAM", "RTCRAM");
    ORDER(s3, C(EXEC) | C(32BIT), "RAM", "IRAM", "RTCRAM");
    ORDER(s3, C(DMA), "RAM", "DRAM");
    ORDER(s3, C(RETENTION), "RAM");
    ORDER(s3, C(SIMD), "RAM", "DRAM", "SPIRAM");
    ORDER(s3, C(SPIRAM), "SPIRAM");
    ORDER(s3, C(RTCRAM), "RTCRAM");
    /* DMA with SPIRAM drops DMA before selection: no type has both. */
    NONE(s3, C(DMA) | C(SPIRAM));
}

/* ---- ESP32-C3 ------------------------------------------------------------ */

#define C3_COMMON (C(DEFAULT) | C(INTERNAL) | C(32BIT) | C(8BIT) | C(EXEC))

static void esp32c3_data(void **state) {
    (void)state;
    const capheap_chip_t *c3 = &capheap_chip_esp32c3;
    static const type_want_t types[] = {
        {"RAM", {C3_COMMON | C(DMA), 0, 0}},
        {"Retention RAM", {C(RETENTION), C3_COMMON | C(DMA), 0}},
        {"RTCRAM", {C(RTCRAM), 0, C3_COMMON}},
    };
    static const region_want_t regions[] = {
        {0x3FC80000, 0x20000, "RAM", 0x40380000, false, 0, 0},
        {0x3FCA0000, 0x20000, "RAM", 0x403A0000, false, 0, 0},
        {0x3FCC0000, 0x1C710, "Retention RAM", 0x403C0000, false, 0, 0},
        {0x3FCDC710, 0x38F0, "Retention RAM", 0x403DC710, true, 0, 0},
        {0x50000000, 0x2000, "RTCRAM", 0, false, RTC, 0},
    };
    static const resv_want_t resv[] = {
        {0x3FCDF060, 0x3FCE0000, 0, 0},
        {0x50001FE8, 0x50002000, RTC, 0},
    };
    assert_string_equal(c3->name, "esp32c3");
    expect_types(c3, types, N(types));
    expect_regions(c3, regions, N(regions));
    expect_reserved(c3, resv, N(resv));
    /* The start-up-stack region runs to the top of D/IRAM. */
    assert_int_equal(c3->regions[2].start + c3->regions[2].size,
                     c3->aliases[0].dram_hi);
    assert_int_equal(c3->alias_count, 1);
    assert_int_equal(c3->aliases[0].kind, CAPHEAP_ALIAS_LINEAR);
    assert_int_equal(c3->aliases[0].dram_lo, 0x3FC80000);
    assert_int_equal(c3->aliases[0].dram_hi, 0x3FCE0000);
    assert_int_equal(c3->aliases[0].iram_lo, 0x40380000);
    assert_int_equal(c3->aliases[0].iram_lo - c3->aliases[0].dram_lo, 0x700000);
    assert_int_equal(c3->dma_lo, 0x3FC80000);
    assert_int_equal(c3->dma_hi, 0x3FCE0000);
    assert_int_equal(c3->cache_line, 4);
    assert_int_equal(c3->simd_align, 4);
    assert_int_equal(c3->max_alloc, 0x403E0000 - 0x4037C000);
    assert_int_equal(c3->app_dram_start, 0x3FC8A000);
    assert_int_equal(c3->app_dram_start_bt, 0);
    assert_int_equal(c3->app_dram_size, 0x3000);
    assert_int_equal(c3->app_iram_start, 0x40380000 - 0x700000);
    assert_int_equal(c3->app_iram_size, 0xA000);
    assert_int_equal(c3->app_iram_start + c3->app_iram_size,
                     c3->app_dram_start);
}

/* IRAM code 0x3FC80000-0x3FC8A000 and .data/.bss to 0x3FC8D000; the ROM
 * keeps 0x3FCDF060 up (ESP-IDF's own log: "At 3FCDC710 len 00002950"). */
static const piece_t c3_default[] = {
    {0x3FC8D000, 0x3FCC0000, "RAM", false},
    {0x3FCC0000, 0x3FCDC710, "Retention RAM", false},
    {0x3FCDC710, 0x3FCDF060, "Retention RAM", true},
};

static void esp32c3_layout(void **state) {
    (void)state;
    const capheap_chip_t *c3 = &capheap_chip_esp32c3;
    expect_layout(c3, 0, c3_default, N(c3_default));
    expect_unchanged(c3, PSRAM | BT | TRACE | SINGLE | I8, c3_default,
                     N(c3_default));
    static const piece_t rtc[] = {
        {0x3FC8D000, 0x3FCC0000, "RAM", false},
        {0x3FCC0000, 0x3FCDC710, "Retention RAM", false},
        {0x3FCDC710, 0x3FCDF060, "Retention RAM", true},
        {0x50000000, 0x50001FE8, "RTCRAM", false},
    };
    expect_layout(c3, RTC, rtc, N(rtc));
}

static void esp32c3_selection(void **state) {
    (void)state;
    const capheap_chip_t *c3 = &capheap_chip_esp32c3;
    ORDER(c3, C(DEFAULT) | C(INTERNAL), "RAM", "Retention RAM", "RTCRAM");
    ORDER(c3, C(DMA), "RAM", "Retention RAM");
    ORDER(c3, C(RETENTION), "Retention RAM");
    ORDER(c3, C(EXEC) | C(32BIT), "RAM", "Retention RAM", "RTCRAM");
    ORDER(c3, C(RTCRAM), "RTCRAM");
    NONE(c3, C(SPIRAM));
}

/* ---- STM32H743 ------------------------------------------------------------
 */

#define H7_DATA (C(INTERNAL) | C(8BIT) | C(32BIT))

static void stm32h743_data(void **state) {
    (void)state;
    const capheap_chip_t *h7 = &capheap_chip_stm32h743;
    static const type_want_t types[] = {
        {"D2 SRAM", {C(DMA), C(DEFAULT), H7_DATA}},
        {"AXI SRAM", {C(DEFAULT), H7_DATA | C(DMA), C(EXEC)}},
        {"SRAM4", {0, C(DEFAULT), H7_DATA | C(DMA)}},
        {"DTCM", {C(TCM), 0, C(DEFAULT) | H7_DATA}},
        {"ITCM", {C(EXEC), C(TCM), H7_DATA}},
        {"Backup SRAM", {C(RTCRAM), 0, H7_DATA}},
    };
    /* RM0433 memory map: ITCM 64 KiB, DTCM 128 KiB, AXI SRAM 512 KiB,
     * SRAM1/2 128 KiB, SRAM3 32 KiB, SRAM4 64 KiB, backup SRAM 4 KiB. */
    static const region_want_t regions[] = {
        {0x00000000, 64 * 1024, "ITCM", 0, false, 0, 0},
        {0x20000000, 128 * 1024, "DTCM", 0, false, 0, 0},
        {0x24000000, 512 * 1024, "AXI SRAM", 0, false, 0, 0},
        {0x30000000, 128 * 1024, "D2 SRAM", 0, false, 0, 0},
        {0x30020000, 128 * 1024, "D2 SRAM", 0, false, 0, 0},
        {0x30040000, 32 * 1024, "D2 SRAM", 0, false, 0, 0},
        {0x38000000, 64 * 1024, "SRAM4", 0, false, 0, 0},
        {0x38800000, 4 * 1024, "Backup SRAM", 0, false, RTC, 0},
    };
    static const resv_want_t resv[] = {{0x00000000, 0x00000400, 0, 0}};
    assert_string_equal(h7->name, "stm32h743");
    expect_types(h7, types, N(types));
    expect_regions(h7, regions, N(regions));
    expect_reserved(h7, resv, N(resv));
    assert_int_equal(h7->alias_count, 0);
    assert_int_equal(h7->dma_lo, 0x24000000);
    assert_int_equal(h7->dma_hi, 0x38801000);
    assert_int_equal(h7->cache_line, 32);
    assert_int_equal(h7->simd_align, 4);
    assert_int_equal(h7->max_alloc, 512 * 1024);
    assert_int_equal(h7->app_dram_start, 0x24000000);
    assert_int_equal(h7->app_dram_start_bt, 0);
    assert_int_equal(h7->app_dram_size, 0x2000);
    assert_int_equal(h7->app_iram_start, 0x400);
    assert_int_equal(h7->app_iram_size, 0);
}

static void stm32h743_dma_never_in_tcm(void **state) {
    (void)state;
    const capheap_chip_t *h7 = &capheap_chip_stm32h743;
    const uintptr_t itcm_lo = 0x00000000, itcm_hi = 0x00010000;
    const uintptr_t dtcm_lo = 0x20000000, dtcm_hi = 0x20020000;
    unsigned dma_regions = 0;
    for (unsigned i = 0; i < h7->region_count; i++) {
        const capheap_region_desc_t *d = &h7->regions[i];
        uintptr_t lo = d->start, hi = d->start + d->size;
        bool in_tcm =
            (lo < itcm_hi && hi > itcm_lo) || (lo < dtcm_hi && hi > dtcm_lo);
        if (all_caps(h7, d->type) & C(DMA)) {
            assert_false(in_tcm);
            dma_regions++;
        }
        if (in_tcm) /* and the TCM types are exactly TCM */
            assert_true(all_caps(h7, d->type) & C(TCM));
    }
    assert_int_equal(dma_regions, 3); /* AXI, SRAM1-3 (one record), SRAM4 */
    /* Neither the DMA window nor any DMA request reaches a TCM. */
    assert_true(h7->dma_lo >= dtcm_hi);
    NONE(h7, C(DMA) | C(TCM));
    ORDER(h7, C(DMA), "D2 SRAM", "AXI SRAM", "SRAM4");
    ORDER(h7, C(DMA) | C(8BIT), "D2 SRAM", "AXI SRAM", "SRAM4");
    ORDER(h7, C(DMA) | C(DEFAULT), "D2 SRAM", "AXI SRAM", "SRAM4");
}

static void stm32h743_selection(void **state) {
    (void)state;
    const capheap_chip_t *h7 = &capheap_chip_stm32h743;
    const char *got[CAPHEAP_CAPS_MAX_TYPES];
    /* EXEC implies 32BIT (caps.h): ITCM is the first to qualify. */
    assert_true(qualifying(h7, C(EXEC) | C(32BIT), got) >= 1);
    assert_string_equal(got[0], "ITCM");
    assert_true(qualifying(h7, C(EXEC), got) >= 1);
    assert_string_equal(got[0], "ITCM");
    ORDER(h7, C(EXEC) | C(32BIT), "ITCM", "AXI SRAM");
    ORDER(h7, C(DEFAULT), "AXI SRAM", "D2 SRAM", "SRAM4", "DTCM");
    ORDER(h7, C(DEFAULT) | C(INTERNAL), "AXI SRAM", "D2 SRAM", "SRAM4", "DTCM");
    ORDER(h7, C(8BIT), "AXI SRAM", "D2 SRAM", "SRAM4", "DTCM", "ITCM",
          "Backup SRAM");
    ORDER(h7, C(TCM), "DTCM", "ITCM");
    ORDER(h7, C(TCM) | C(EXEC) | C(32BIT), "ITCM");
    ORDER(h7, C(RTCRAM), "Backup SRAM");
    NONE(h7, C(SPIRAM));
}

static const piece_t h7_default[] = {
    {0x00000400, 0x00010000, "ITCM", false},
    {0x20000000, 0x20020000, "DTCM", false},
    {0x24002000, 0x24080000, "AXI SRAM", false},
    {0x30000000, 0x30048000, "D2 SRAM", false}, /* SRAM1-3 merged */
    {0x38000000, 0x38010000, "SRAM4", false},
};

static void stm32h743_layout(void **state) {
    (void)state;
    const capheap_chip_t *h7 = &capheap_chip_stm32h743;
    expect_layout(h7, 0, h7_default, N(h7_default));
    expect_unchanged(h7, PSRAM | BT | TRACE | SINGLE | I8, h7_default,
                     N(h7_default));
    static const piece_t rtc[] = {
        {0x00000400, 0x00010000, "ITCM", false},
        {0x20000000, 0x20020000, "DTCM", false},
        {0x24002000, 0x24080000, "AXI SRAM", false},
        {0x30000000, 0x30048000, "D2 SRAM", false},
        {0x38000000, 0x38010000, "SRAM4", false},
        {0x38800000, 0x38801000, "Backup SRAM", false},
    };
    expect_layout(h7, RTC, rtc, N(rtc));
    /* ITCM code to 0x2000 and 64 KiB of .data/.bss. */
    static const piece_t app[] = {
        {0x00002000, 0x00010000, "ITCM", false},
        {0x20000000, 0x20020000, "DTCM", false},
        {0x24010000, 0x24080000, "AXI SRAM", false},
        {0x30000000, 0x30048000, "D2 SRAM", false},
        {0x38000000, 0x38010000, "SRAM4", false},
    };
    capheap_chip_options_t oa = {0, 0, 0x24010000, 0x2000, 0};
    expect_layout_opts(h7, &oa, app, N(app));
}

/* ---- host -----------------------------------------------------------------
 */

#define HOST_ALL                                                               \
    (C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT) | C(DMA) | C(EXEC) | C(SIMD))

static void host_data(void **state) {
    (void)state;
    const capheap_chip_t *h = &capheap_chip_host;
    static const type_want_t types[] = {{"RAM", {HOST_ALL, 0, 0}}};
    static const region_want_t regions[] = {
        {0x60000000, 0x400000, "RAM", 0, false, 0, 0},
        {0x60800000, 0x400000, "RAM", 0, false, 0, 0},
    };
    assert_string_equal(h->name, "host");
    expect_types(h, types, N(types));
    expect_regions(h, regions, N(regions));
    expect_reserved(h, NULL, 0);
    assert_int_equal(h->alias_count, 0);
    assert_int_equal(h->dma_lo, 0x60000000);
    assert_int_equal(h->dma_hi, 0x60C00000);
    assert_int_equal(h->cache_line, 64);
    assert_int_equal(h->simd_align, 16);
    assert_int_equal(h->max_alloc, 0x400000);
    assert_int_equal(h->app_dram_start, 0);
    assert_int_equal(h->app_iram_start, 0);
    static const uint32_t ordinary[] = {C(DEFAULT),
                                        C(INTERNAL),
                                        C(8BIT),
                                        C(32BIT),
                                        C(DMA),
                                        C(EXEC) | C(32BIT),
                                        C(SIMD),
                                        C(DEFAULT) | C(DMA),
                                        C(INTERNAL) | C(8BIT),
                                        C(32BIT) | C(DMA)};
    for (size_t i = 0; i < N(ordinary); i++)
        ORDER(h, ordinary[i], "RAM");
}

static const piece_t host_pieces[] = {
    {0x60000000, 0x60400000, "RAM", false},
    {0x60800000, 0x60C00000, "RAM", false},
};

static void host_layout(void **state) {
    (void)state;
    expect_layout(&capheap_chip_host, 0, host_pieces, N(host_pieces));
    expect_unchanged(&capheap_chip_host, PSRAM | RTC | BT | TRACE | SINGLE | I8,
                     host_pieces, N(host_pieces));
}

/* The host chip in use: mapped where it says, every ordinary request
 * served, with the chip's alignments. */
static void host_serves_every_request(void **state) {
    (void)state;
    static capheap_caps_t ch;
    const capheap_chip_t *h = &capheap_chip_host;
    const capheap_chip_options_t o = {0, 0, 0, 0, 0};
    assert_int_equal(capheap_sim_map(h, &o), CAPHEAP_OK);
    assert_int_equal(capheap_caps_init(&ch, h, &o, NULL, 0), CAPHEAP_OK);
    static const uint32_t reqs[] = {C(DEFAULT), C(8BIT), C(32BIT),
                                    C(DMA),     C(SIMD), C(INTERNAL)};
    void *p[N(reqs)];
    for (size_t i = 0; i < N(reqs); i++) {
        p[i] = capheap_caps_alloc(&ch, 1000, reqs[i]);
        assert_non_null(p[i]);
        uintptr_t a = (uintptr_t)p[i];
        assert_true(a >= 0x60000000 && a < 0x60C00000);
        memset(p[i], 0x5A, 1000);
    }
    assert_int_equal((uintptr_t)p[3] % 64, 0);
    assert_int_equal((uintptr_t)p[4] % 16, 0);
    void *x = capheap_caps_alloc(&ch, 64, C(EXEC));
    assert_non_null(x);
    assert_true((uintptr_t)x >= 0x60000000 && (uintptr_t)x < 0x60C00000);
    /* Larger than one region: no heap can hold it. */
    assert_null(capheap_caps_alloc(&ch, 0x400000, C(DEFAULT)));
    /* Both regions become heaps: 3.5 MiB and 3.5 MiB more fit. */
    void *big1 = capheap_caps_alloc(&ch, 0x380000, C(DEFAULT));
    void *big2 = capheap_caps_alloc(&ch, 0x380000, C(DEFAULT));
    assert_non_null(big1);
    assert_non_null(big2);
    assert_true(((uintptr_t)big1 < 0x60800000) !=
                ((uintptr_t)big2 < 0x60800000));
    capheap_caps_free(&ch, big1);
    capheap_caps_free(&ch, big2);
    capheap_caps_free(&ch, x);
    for (size_t i = 0; i < N(reqs); i++)
        capheap_caps_free(&ch, p[i]);
    ts_assert_heap_ok(ch.heap);
    assert_true(capheap_caps_total_size(&ch, C(DEFAULT)) > 0x7E0000);
    capheap_sim_unmap();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_finds_every_chip),
        cmocka_unit_test(descriptions_are_consistent),
        cmocka_unit_test(esp32s3_data),
        cmocka_unit_test(esp32s3_layout),
        cmocka_unit_test(esp32s3_selection),
        cmocka_unit_test(esp32c3_data),
        cmocka_unit_test(esp32c3_layout),
        cmocka_unit_test(esp32c3_selection),
        cmocka_unit_test(stm32h743_data),
        cmocka_unit_test(stm32h743_dma_never_in_tcm),
        cmocka_unit_test(stm32h743_selection),
        cmocka_unit_test(stm32h743_layout),
        cmocka_unit_test(host_data),
        cmocka_unit_test(host_layout),
        cmocka_unit_test(host_serves_every_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
