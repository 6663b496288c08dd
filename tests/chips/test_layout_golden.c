/*
 * test_layout_golden.c - every chip under every option combination the
 * tests and tools use, built into heap pieces and compared with a listing
 * made from the chip tables before their format changed (issue #11): the
 * description may get smaller, the heaps it makes may not change.
 *
 * Run with CAPHEAP_GOLDEN_PRINT=<file> to write the listing there instead;
 * the golden (layout_golden.inc) is that listing with each line a C string
 * literal and a comma: sed -e 's/^/"/' -e 's/$/",/' <file>.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/caps.h"
#include "caps/layout.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const golden[] = {
#include "layout_golden.inc"
};

static const capheap_chip_t *const chips[] = {
    &capheap_chip_esp32,     &capheap_chip_esp32s3, &capheap_chip_esp32c3,
    &capheap_chip_stm32h743, &capheap_chip_host,
};

typedef struct {
    char *text;
    size_t len, cap;
} listing_t;

static void put(listing_t *l, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof line);
    if (l->len + (size_t)n + 1 > l->cap) {
        l->cap = 2 * (l->len + (size_t)n + 1);
        l->text = realloc(l->text, l->cap);
        assert_non_null(l->text);
    }
    memcpy(l->text + l->len, line, (size_t)n + 1);
    l->len += (size_t)n;
}

/* One case: its options, then each piece (start-end type, '*' for a
 * start-up stack), or the error. */
static void one(listing_t *l, const capheap_chip_t *chip,
                const capheap_chip_options_t *o,
                const capheap_caps_reservation_t *extra, size_t nextra,
                size_t cap) {
    capheap_avail_t out[64];
    size_t count = 0;
    capheap_err_t err =
        capheap_layout_build(chip, o, extra, nextra, out, cap, &count, NULL);
    put(l, "%s f=%02x ps=%lx ds=%lx de=%lx ie=%lx", chip->name,
        (unsigned)o->flags, (unsigned long)o->psram_size,
        (unsigned long)o->app_dram_start, (unsigned long)o->app_dram_end,
        (unsigned long)o->app_iram_end);
    for (size_t i = 0; i < nextra; i++)
        put(l, " x=%lx-%lx", (unsigned long)extra[i].start,
            (unsigned long)extra[i].end);
    if (cap != N(out))
        put(l, " cap=%zu", cap);
    put(l, ":");
    if (err) {
        put(l, " err %d\n", (int)err);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        assert_true(out[i].type < chip->type_count);
        put(l, " %lx-%lx %s%s", (unsigned long)out[i].start,
            (unsigned long)out[i].end, chip->types[out[i].type].name,
            out[i].startup_stack ? "*" : "");
    }
    put(l, "\n");
}

static void chip_cases(listing_t *l, const capheap_chip_t *chip) {
    const size_t full = 64;
    /* Every option combination with the chip's defaults. */
    for (uint32_t f = 0; f < 64; f++) {
        capheap_chip_options_t o = {f, 0, 0, 0, 0};
        one(l, chip, &o, NULL, 0, full);
    }
    /* PSRAM sizes, smaller and larger than the window. */
    static const size_t psram[] = {0x80000, 0x100000, 0x200000, 0x400000,
                                   0x800000};
    for (size_t i = 0; i < N(psram); i++) {
        capheap_chip_options_t o = {CAPHEAP_OPT_PSRAM, psram[i], 0, 0, 0};
        one(l, chip, &o, NULL, 0, full);
        o.flags = 0x3F;
        one(l, chip, &o, NULL, 0, full);
    }
    /* The application's ends and start moved through every piece the
     * defaults give, with and without Bluetooth. The offsets stay clear of
     * the chip's 8 KiB boundaries (see layout_golden's note in the docs):
     * a 16-byte sliver there was dropped per pool and now joins its
     * neighbour, which the old table did not allow. */
    capheap_avail_t base[64];
    size_t nb = 0;
    const capheap_chip_options_t none = {0, 0, 0, 0, 0};
    assert_int_equal(
        capheap_layout_build(chip, &none, NULL, 0, base, N(base), &nb, NULL),
        CAPHEAP_OK);
    for (size_t p = 0; p < nb; p++) {
        uintptr_t s = base[p].start, e = base[p].end;
        uintptr_t at[] = {s + 0x123, s + (e - s) / 2 + 0x321, e - 0x1A4};
        for (size_t k = 0; k < N(at); k++) {
            for (uint32_t f = 0; f < 2; f++) {
                uint32_t flags =
                    f ? CAPHEAP_OPT_BT | CAPHEAP_OPT_SINGLE_CORE : 0;
                capheap_chip_options_t o = {flags, 0, 0, 0, 0};
                o.app_dram_end = at[k];
                if (o.app_dram_end > chip->app_dram_start)
                    one(l, chip, &o, NULL, 0, full);
                o.app_dram_end = 0;
                o.app_iram_end = at[k];
                one(l, chip, &o, NULL, 0, full);
                o.app_iram_end = 0;
                o.app_dram_start = at[k];
                o.app_dram_end = at[k] + 0x1000;
                one(l, chip, &o, NULL, 0, full);
            }
        }
        /* Extra reservations: inside, covering the start, covering the
         * end, the whole piece, across to the next piece, empty, and
         * backwards (an error). */
        capheap_caps_reservation_t x[] = {
            {s + 0x100, s + 0x301, "inside"},
            {s - 0x10, s + 0x200, "over the start"},
            {e - 0x200, e + 0x4, "over the end"},
            {s, e, "all of it"},
            {e - 0x100, e + 0x100, "across"},
            {s + 0x40, s + 0x40, "empty"},
            {s + 0x400, s + 0x200, "backwards"},
        };
        for (size_t k = 0; k < N(x); k++) {
            capheap_chip_options_t o = {0, 0, 0, 0, 0};
            one(l, chip, &o, &x[k], 1, full);
            o.flags = 0x3F;
            one(l, chip, &o, &x[k], 1, full);
        }
        one(l, chip, &none, x, 2, full); /* two that overlap */
    }
    /* The test suites' own overrides. */
    static const capheap_chip_options_t used[] = {
        {CAPHEAP_OPT_PSRAM, 4u << 20, 0x3FFC4000, 0x4008C000, 0},
        {0, 0, 0x3FFC0800, 0, 0x3FFC0000},
        {CAPHEAP_OPT_PSRAM, 512u * 1024, 0, 0, 0},
        {0, 0, 0x3FC98000, 0x3FC90000, 0},
        {0, 0, 0x24010000, 0x2000, 0},
        {CAPHEAP_OPT_RTC_HEAP, 0, 0x3FFE2000, 0x400A8000, 0},
    };
    for (size_t i = 0; i < N(used); i++)
        one(l, chip, &used[i], NULL, 0, full);
    /* Too few slots. */
    for (size_t cap = 0; cap < 4; cap++)
        one(l, chip, &none, NULL, 0, cap);
}

static void golden_layouts(void **state) {
    (void)state;
    listing_t l = {NULL, 0, 0};
    for (size_t c = 0; c < N(chips); c++)
        chip_cases(&l, chips[c]);
    const char *print = getenv("CAPHEAP_GOLDEN_PRINT");
    if (print && *print) {
        FILE *f = fopen(print, "w");
        assert_non_null(f);
        assert_true(fputs(l.text, f) >= 0);
        assert_int_equal(fclose(f), 0);
        free(l.text);
        return;
    }
    /* Line by line, so that a failure names the first case that moved. */
    const char *at = l.text;
    size_t line = 0;
    for (; *at && line < N(golden); line++) {
        const char *nl = strchr(at, '\n');
        assert_non_null(nl);
        size_t len = (size_t)(nl - at);
        if (strlen(golden[line]) != len || memcmp(golden[line], at, len)) {
            print_error("case %zu differs:\n got:  %.*s\n want: %s\n", line,
                        (int)len, at, golden[line]);
            fail();
        }
        at = nl + 1;
    }
    if (*at || line != N(golden)) {
        print_error("%s after case %zu\n",
                    *at ? "more cases than the golden" : "fewer cases", line);
        fail();
    }
    free(l.text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
