/*
 * test_sim.c - the host simulation: memory at the chip's addresses, alias
 * windows seen coherently from both sides, low memory moved, options from
 * the environment.
 *
 * The ESP32's own addresses are taken under qemu-user (i386: the guest's
 * stack and libraries sit just below 0x40000000); those cases skip with the
 * holder printed. A made-up chip at free addresses runs the same checks of
 * the alias machinery everywhere.
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capheap/caps.h"
#include "capheap/sim.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

#define C(x) CAPHEAP_CAP_##x

/* ---- a made-up chip at addresses every host leaves free ---------------- */

enum { T_RAM, T_DIRAM };

static const capheap_mem_type_t t_types[] = {
    [T_RAM] = {"RAM", {C(8BIT) | C(DEFAULT), C(INTERNAL) | C(32BIT), 0}},
    [T_DIRAM] = {"D/IRAM",
                 {0, C(8BIT) | C(INTERNAL) | C(DEFAULT), C(32BIT) | C(EXEC)}},
};

/* 64 KiB multiples, so that 64 KiB host pages work too. */
#define T_PLAIN   0x68000000u
#define T_INV_D   0x68100000u
#define T_INV_LEN 0x20000u
#define T_INV_I   0x68300000u
#define T_LIN_D   0x68200000u
#define T_LIN_LEN 0x10000u
#define T_LIN_I   0x68400000u

static const capheap_region_desc_t t_regions[] = {
    {T_PLAIN, 0x30000, T_RAM, false, 0, 0},
    {T_INV_D, T_INV_LEN, T_DIRAM, false, 0, 0},
    {T_LIN_D, T_LIN_LEN, T_DIRAM, false, 0, 0},
};

static const capheap_alias_t t_aliases[] = {
    {CAPHEAP_ALIAS_INVERTED, T_INV_D, T_INV_D + T_INV_LEN, T_INV_I},
    {CAPHEAP_ALIAS_LINEAR, T_LIN_D, T_LIN_D + T_LIN_LEN, T_LIN_I},
};

static const capheap_chip_t test_chip = {
    .name = "test",
    .types = t_types,
    .type_count = 2,
    .regions = t_regions,
    .region_count = 3,
    .aliases = t_aliases,
    .alias_count = 2,
};

/* A chip with RAM at 0, as the STM32H743's ITCM: the host cannot map it. */
static const capheap_region_desc_t low_regions[] = {
    {0x68500000, 0x4000, T_RAM, false, 0, 0},
    {0x00000000, 0x10000, T_RAM, false, 0, 0},
};
static const capheap_reserved_t low_reserved[] = {
    {0x00000000, 0x00000400, 0, 0}, /* vector table */
    {0x68500000, 0x68500100, 0, 0}, /* stays */
};
static const capheap_alias_t low_aliases[] = {
    {CAPHEAP_ALIAS_LINEAR, 0x8000, 0xC000, 0x68608000},
};
static const capheap_chip_t low_chip = {
    .name = "low",
    .types = t_types,
    .type_count = 1,
    .regions = low_regions,
    .region_count = 2,
    .reserved = low_reserved,
    .reserved_count = 2,
    .aliases = low_aliases,
    .alias_count = 1,
    .dma_lo = 0x1000,
    .dma_hi = 0x2000,
    .app_dram_start = 0x68500100,
    .app_iram_start = 0x400,
    .app_iram_size = 0x100,
    .max_alloc = 0x10000,
};

/* ---- helpers ------------------------------------------------------------ */

static bool selected(const capheap_region_desc_t *r, uint32_t flags) {
    return (flags & r->when) == r->when && !(flags & r->unless);
}

/* Whether anything is mapped at @p a (from /proc/self/maps, which
 * qemu-user shows as the guest sees it). */
static bool is_mapped(uintptr_t a) {
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        uintmax_t lo, hi;
        found = sscanf(line, "%jx-%jx", &lo, &hi) == 2 && lo <= a && a < hi;
    }
    fclose(f);
    return found;
}

/* Map @p chip, or skip this test, saying why, when the host holds one of
 * its ranges (never the case on a native x86-64 or arm64 Linux). */
static void map_or_skip(const capheap_chip_t *chip,
                        const capheap_chip_options_t *opts) {
    char who[700];
    capheap_sim_unmap();
    if (capheap_sim_probe(chip, opts, who, sizeof who) == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] %s's memory cannot be placed at its own "
                      "addresses: the host or an emulator holds them in "
                      "this process: %s\n",
                      chip->name, who);
        skip();
    }
    assert_int_equal(capheap_sim_map(chip, opts), CAPHEAP_OK);
}

/* Valgrind resumes an access that faulted with the registers of the start
 * of its translated block unless run with
 * --vex-iropt-register-updates=allregs-at-mem-access, which a test cannot
 * see: accesses that move inverted-window pages are left out under it. */
static bool under_valgrind(void) {
#ifdef HAVE_VALGRIND_H
    return RUNNING_ON_VALGRIND;
#else
    return getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload");
#endif
}

static void inverted_or_skip(void) {
    if (under_valgrind()) {
        print_message("[  SKIP    ] under Valgrind an access resumed after a "
                      "fault may see stale registers; inverted windows are "
                      "tested natively, under ASan and under qemu\n");
        skip();
    }
}

static const capheap_chip_t *chip_or_skip(const char *name) {
    const capheap_chip_t *chip = capheap_chip_find(name);
    if (!chip) {
        print_message("[  SKIP    ] no chip table named %s is linked in\n",
                      name);
        skip();
    }
    return chip;
}

static volatile uint32_t *word_at(uintptr_t a) {
    return (volatile uint32_t *)a;
}

static uint32_t pattern(uint32_t seed, size_t k) {
    uint32_t x = (uint32_t)k * 2654435761u ^ seed;
    return x ^ (x >> 15) ^ 0x5A5A0000u;
}

/* ---- linear windows ----------------------------------------------------- */

/* Every word written on one side reads back on the other at the same
 * offset; checked at both ends and in the middle, bytes included. */
static void check_linear(const capheap_chip_t *chip, uintptr_t d, uintptr_t i,
                         size_t len) {
    const size_t n = 64; /* words at each end */
    for (int round = 0; round < 4; round++) {
        bool from_data = round % 2 == 0;
        uintptr_t w = from_data ? d : i, r = from_data ? i : d;
        for (size_t k = 0; k < n; k++) {
            *word_at(w + 4 * k) = pattern((uint32_t)round, k);
            *word_at(w + len - 4 - 4 * k) = pattern((uint32_t)round, ~k);
        }
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(*word_at(r + 4 * k), pattern((uint32_t)round, k));
            assert_int_equal(*word_at(r + len - 4 - 4 * k),
                             pattern((uint32_t)round, ~k));
        }
    }
    /* The capability layer's own view of the window agrees. */
    volatile uint8_t *db = (volatile uint8_t *)(d + len / 2 + 1);
    *db = 0xA7;
    uintptr_t ib = capheap_caps_dram_to_iram(chip, (uintptr_t)db);
    assert_int_equal(ib, i + len / 2 + 1);
    assert_int_equal(*(volatile uint8_t *)ib, 0xA7);
}

/* ---- inverted windows --------------------------------------------------- */

/* The instruction-bus address of data word k: the lowest data word is the
 * highest instruction word. */
static uintptr_t inv_iword(uintptr_t i, size_t len, size_t k) {
    return i + len - 4 - 4 * k;
}

/* Write the @p count data words from word @p first, read them on the
 * instruction side in reverse, then the other way round: @p rounds times,
 * so that the page pair changes hands at every step. */
static size_t ping_pong_errors(uintptr_t d, uintptr_t i, size_t len,
                               size_t first, size_t count, int rounds) {
    size_t errors = 0;
    for (int round = 0; round < rounds; round++) {
        uint32_t seed = (uint32_t)round * 0x10001u + (uint32_t)first;
        for (size_t k = first; k < first + count; k++)
            *word_at(d + 4 * k) = pattern(seed, k);
        for (size_t k = first; k < first + count; k++)
            errors += *word_at(inv_iword(i, len, k)) != pattern(seed, k);
        seed = ~seed;
        for (size_t k = first; k < first + count; k++)
            *word_at(inv_iword(i, len, k)) = pattern(seed, k);
        for (size_t k = first; k < first + count; k++)
            errors += *word_at(d + 4 * k) != pattern(seed, k);
    }
    return errors;
}

static void ping_pong(uintptr_t d, uintptr_t i, size_t len, size_t first,
                      size_t count, int rounds) {
    assert_int_equal(ping_pong_errors(d, i, len, first, count, rounds), 0);
}

static void check_inverted(const capheap_chip_t *chip, uintptr_t d, uintptr_t i,
                           size_t len) {
    size_t words = len / 4, page_words = (size_t)sysconf(_SC_PAGESIZE) / 4;
    /* Both ends of the window, a page and a half at each, so that accesses
     * cross page boundaries; then single words alternating. */
    ping_pong(d, i, len, 0, page_words + page_words / 2, 6);
    ping_pong(d, i, len, words - page_words - page_words / 2,
              page_words + page_words / 2, 6);
    ping_pong(d, i, len, 0, 1, 10);
    ping_pong(d, i, len, words - 1, 1, 10);
    ping_pong(d, i, len, words / 2 - 1, 2, 10); /* the two middle pages */

    /* The whole window, one way and back. */
    for (size_t k = 0; k < words; k++)
        *word_at(d + 4 * k) = pattern(7, k);
    for (size_t k = 0; k < words; k++)
        assert_int_equal(*word_at(inv_iword(i, len, k)), pattern(7, k));
    for (size_t k = 0; k < words; k++)
        *word_at(inv_iword(i, len, k)) = pattern(8, k);
    for (size_t k = 0; k < words; k++)
        assert_int_equal(*word_at(d + 4 * k), pattern(8, k));

    /* Bytes keep their place inside the word, as the capability layer's
     * address conversion says. */
    static const size_t offs[] = {0, 1, 2, 3, 4097, 0};
    for (size_t n = 0; n < sizeof offs / sizeof offs[0]; n++) {
        uintptr_t db = d + (n == 5 ? len - 1 : offs[n]);
        uintptr_t ib = capheap_caps_dram_to_iram(chip, db);
        assert_true(ib >= i && ib < i + len);
        assert_int_equal(capheap_caps_iram_to_dram(chip, ib), db);
        *(volatile uint8_t *)db = (uint8_t)(0x30 + n);
        assert_int_equal(*(volatile uint8_t *)ib, 0x30 + n);
        *(volatile uint8_t *)ib = (uint8_t)(0x60 + n);
        assert_int_equal(*(volatile uint8_t *)db, 0x60 + n);
    }
}

/* ---- the ESP32 ---------------------------------------------------------- */

static void esp32_every_region_writable(void **state) {
    (void)state;
    const capheap_chip_t *chip = &capheap_chip_esp32;
    static const uint32_t option_sets[] = {
        0, CAPHEAP_OPT_PSRAM | CAPHEAP_OPT_RTC_HEAP | CAPHEAP_OPT_BT};
    for (size_t s = 0; s < 2; s++) {
        capheap_chip_options_t o = {option_sets[s], 0, 0, 0, 0};
        map_or_skip(chip, &o);
        assert_ptr_equal(capheap_sim_chip(chip), chip);
        size_t seen = 0;
        for (size_t r = 0; r < chip->region_count; r++) {
            const capheap_region_desc_t *d = &chip->regions[r];
            if (!selected(d, o.flags))
                continue;
            /* Reserved parts too: they are RAM on the chip. */
            ts_fill((void *)d->start, d->size, (uint32_t)r);
            assert_true(ts_verify((void *)d->start, d->size, (uint32_t)r));
            seen += d->size;
        }
        /* All 520 KiB of SRAM, then 4 MiB of PSRAM and 8 KiB of RTC fast
         * memory. */
        assert_int_equal(seen, 520 * 1024 + (s ? 0x400000 + 0x2000 : 0));
        /* Both sides of both windows, with or without a region there. */
        for (size_t k = 0; k < chip->alias_count; k++) {
            const capheap_alias_t *w = &chip->aliases[k];
            size_t len = w->dram_hi - w->dram_lo;
            if (w->kind == CAPHEAP_ALIAS_INVERTED && under_valgrind())
                continue; /* see inverted_or_skip() */
            for (uintptr_t a = w->iram_lo; a < w->iram_lo + len; a += 1024) {
                *word_at(a) = (uint32_t)a;
                assert_int_equal(*word_at(a), (uint32_t)a);
            }
            for (uintptr_t a = w->dram_lo; a < w->dram_hi; a += 1024) {
                *word_at(a) = (uint32_t)a;
                assert_int_equal(*word_at(a), (uint32_t)a);
            }
        }
        assert_int_equal(is_mapped(0x3F800000), s == 1);
    }
    /* Only the PSRAM that is fitted. */
    capheap_chip_options_t o = {CAPHEAP_OPT_PSRAM, 0x100000, 0, 0, 0};
    map_or_skip(chip, &o);
    assert_true(is_mapped(0x3F800000 + 0xFFFFC));
    assert_false(is_mapped(0x3F800000 + 0x100000));
    capheap_sim_unmap();
    assert_false(is_mapped(0x3FFB0000));
}

static void esp32_map_is_idempotent(void **state) {
    (void)state;
    inverted_or_skip();
    capheap_chip_options_t o = {CAPHEAP_OPT_RTC_HEAP, 0, 0, 0, 0};
    map_or_skip(&capheap_chip_esp32, &o);
    *word_at(0x3FFB0000) = 0xCAFEF00Du;
    *word_at(0x400BFFFC) = 0x0BADBEEFu; /* the inverted side owns a page */
    assert_int_equal(capheap_sim_map(&capheap_chip_esp32, &o), CAPHEAP_OK);
    assert_int_equal(capheap_sim_map(&capheap_chip_esp32, &o), CAPHEAP_OK);
    assert_int_equal(*word_at(0x3FFB0000), 0xCAFEF00Du);
    assert_int_equal(*word_at(0x400BFFFC), 0x0BADBEEFu);
    assert_int_equal(*word_at(0x3FFE0000), 0x0BADBEEFu);
    /* Another chip replaces it. */
    assert_int_equal(capheap_sim_map(&test_chip, NULL), CAPHEAP_OK);
    assert_false(is_mapped(0x3FFB0000));
    assert_false(is_mapped(0x400A0000));
    capheap_sim_unmap();
}

/* Taking @p taken first makes mapping @p chip fail, and leaves nothing. */
static void check_overlap(const capheap_chip_t *chip, uintptr_t taken,
                          uintptr_t other) {
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    capheap_sim_unmap();
    void *p = mmap((void *)taken, pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    assert_ptr_equal(p, (void *)taken);
    char who[700] = "";
    assert_int_equal(capheap_sim_probe(chip, NULL, who, sizeof who),
                     CAPHEAP_ERR_OVERLAP);
    assert_non_null(strstr(who, "taken by"));
    assert_int_equal(capheap_sim_map(chip, NULL), CAPHEAP_ERR_OVERLAP);
    assert_false(is_mapped(other));
    *(volatile int *)p = 1; /* ours, untouched */
    munmap(p, pg);
    assert_int_equal(capheap_sim_probe(chip, NULL, NULL, 0), CAPHEAP_OK);
    assert_int_equal(capheap_sim_map(chip, NULL), CAPHEAP_OK);
    assert_true(is_mapped(taken));
    capheap_sim_unmap();
}

static void taken_range_is_overlap(void **state) {
    (void)state;
    /* On the made-up chip (free everywhere): plain RAM, then each side. */
    check_overlap(&test_chip, T_PLAIN + 0x10000, T_INV_D);
    check_overlap(&test_chip, T_INV_I + T_INV_LEN - 0x1000, T_PLAIN);
    check_overlap(&test_chip, T_LIN_I, T_PLAIN);
}

static void esp32_taken_range_is_overlap(void **state) {
    (void)state;
    map_or_skip(&capheap_chip_esp32, NULL);
    check_overlap(&capheap_chip_esp32, 0x400BF000, 0x3FFB0000);
}

static void esp32_linear_rtc_window(void **state) {
    (void)state;
    map_or_skip(&capheap_chip_esp32, NULL); /* mapped with or without RTC */
    check_linear(&capheap_chip_esp32, 0x3FF80000, 0x400C0000, 0x2000);
    capheap_sim_unmap();
}

static void esp32c3_linear_window(void **state) {
    (void)state;
    const capheap_chip_t *chip = chip_or_skip("esp32c3");
    map_or_skip(chip, NULL);
    for (size_t k = 0; k < chip->alias_count; k++) {
        const capheap_alias_t *w = &chip->aliases[k];
        if (w->kind == CAPHEAP_ALIAS_LINEAR)
            check_linear(chip, w->dram_lo, w->iram_lo, w->dram_hi - w->dram_lo);
    }
    capheap_sim_unmap();
}

static void esp32_inverted_window(void **state) {
    (void)state;
    inverted_or_skip();
    map_or_skip(&capheap_chip_esp32, NULL);
    check_inverted(&capheap_chip_esp32, 0x3FFE0000, 0x400A0000, 0x20000);
    capheap_sim_unmap();
}

/* The case the simulation exists for: code written through the instruction
 * bus into a block the allocator manages through the data bus. */
static void esp32_exec_block_both_views(void **state) {
    (void)state;
    static capheap_caps_t ch;
    inverted_or_skip();
    map_or_skip(&capheap_chip_esp32, NULL);
    assert_int_equal(capheap_caps_init(&ch, &capheap_chip_esp32, NULL, NULL, 0),
                     CAPHEAP_OK);
    capheap_caps_enable_nonos_stack_heaps(&ch);
    /* EXEC comes from IRAM first: take that until D/IRAM serves. */
    void *held[64];
    size_t n = 0;
    uint8_t *code = NULL;
    while (n < 64) {
        void *p = capheap_caps_alloc(&ch, 8192, C(EXEC));
        assert_non_null(p);
        if ((uintptr_t)p >= 0x400A0000 && (uintptr_t)p < 0x400C0000) {
            code = p;
            break;
        }
        held[n++] = p;
    }
    assert_non_null(code);
    for (size_t k = 0; k < 8192; k++)
        code[k] = (uint8_t)(k * 7 + 1);
    for (size_t k = 0; k < 8192; k += 509) {
        uintptr_t d =
            capheap_caps_iram_to_dram(&capheap_chip_esp32, (uintptr_t)code + k);
        assert_true(d >= 0x3FFE0000 && d < 0x40000000);
        assert_int_equal(*(volatile uint8_t *)d, (uint8_t)(k * 7 + 1));
    }
    assert_true(capheap_caps_usable_size(&ch, code) >= 8192);
    ts_assert_heap_ok(ch.heap);
    capheap_caps_free(&ch, code);
    while (n)
        capheap_caps_free(&ch, held[--n]);
    ts_assert_heap_ok(ch.heap);
    capheap_sim_unmap();
}

/* ---- the made-up chip: the machinery, wherever the host runs ------------ */

static void windows_at_free_addresses(void **state) {
    (void)state;
    assert_int_equal(capheap_sim_map(&test_chip, NULL), CAPHEAP_OK);
    ts_fill((void *)T_PLAIN, 0x30000, 3);
    assert_true(ts_verify((void *)T_PLAIN, 0x30000, 3));
    check_linear(&test_chip, T_LIN_D, T_LIN_I, T_LIN_LEN);
    inverted_or_skip();
    check_inverted(&test_chip, T_INV_D, T_INV_I, T_INV_LEN);
    capheap_sim_unmap();
    assert_false(is_mapped(T_INV_I));
}

/* Copy @p n bytes with one instruction where the host has one. */
static void copy_one_instruction(void *dst, const void *src, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
#else
    memcpy(dst, src, n);
#endif
}

/* Read a word through one instruction at one address, whatever the view. */
static uint32_t (*volatile read_word)(uintptr_t a);
static uint32_t read_word_at(uintptr_t a) {
    return *word_at(a);
}

/* The data byte behind instruction byte @p o of the window. */
static uintptr_t inv_dbyte(uintptr_t d, size_t len, size_t o) {
    return d + len - 4 - (o & ~(size_t)3) + (o & 3);
}

/* One instruction that reads one view of a page pair and writes the other
 * (memcpy between the views; capheap_caps_realloc() makes such copies)
 * completes, with each byte where the word mapping puts it. Run in a child
 * with an alarm, so that a regression fails instead of hanging. */
static void one_instruction_on_both_views(void **state) {
    (void)state;
    inverted_or_skip();
    assert_int_equal(capheap_sim_map(&test_chip, NULL), CAPHEAP_OK);
    const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    const uintptr_t d = T_INV_D + pg; /* pair 1 */
    const uintptr_t i = T_INV_I + T_INV_LEN - 2 * pg;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(20);
        size_t bad = 0, half = pg / 2;
        for (int round = 0; round < 3; round++) {
            /* Low half of the data page into the instruction view's low
             * half, which is the data page's high half. */
            for (size_t o = 0; o < half; o++)
                *(volatile uint8_t *)(d + o) = (uint8_t)(o * 13 + round);
            if (round == 2)
                memcpy((void *)i, (const void *)d, half);
            else
                copy_one_instruction((void *)i, (const void *)d, half);
            for (size_t o = 0; o < half; o++)
                bad += *(volatile uint8_t *)inv_dbyte(
                           T_INV_D, T_INV_LEN, o + (T_INV_LEN - 2 * pg)) !=
                       (uint8_t)(o * 13 + round);
            /* And back: the instruction view's high half into the data
             * page's high half, which is the instruction view's low half. */
            for (size_t o = half; o < pg; o++)
                *(volatile uint8_t *)(i + o) = (uint8_t)(o * 7 + round);
            copy_one_instruction((void *)(d + half), (const void *)(i + half),
                                 half);
            for (size_t o = half; o < pg; o++)
                bad += *(volatile uint8_t *)(d + o) != (uint8_t)(o * 7 + round);
        }
        /* The same load instruction through both views in turn. */
        read_word = read_word_at;
        for (uint32_t r = 0; r < 50; r++) {
            *word_at(d + 8) = r;
            bad += read_word(i + pg - 12) != r;
            *word_at(i + pg - 12) = ~r;
            bad += read_word(d + 8) != ~r;
        }
        _exit(bad ? 1 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("killed by signal %d%s", WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (the copy never completed)"
                                             : "");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    capheap_sim_unmap();
}

typedef struct {
    size_t page; /* data page this thread plays with */
    size_t errors;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    size_t page_words = (size_t)sysconf(_SC_PAGESIZE) / 4;
    w->errors = ping_pong_errors(T_INV_D, T_INV_I, T_INV_LEN,
                                 w->page * page_words, page_words, 300);
    return NULL;
}

static void *idle(void *arg) {
    return arg;
}

static volatile char *probe_page;

static void probe_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    (void)ctx;
    mprotect((void *)probe_page, (size_t)sysconf(_SC_PAGESIZE),
             PROT_READ | PROT_WRITE);
}

/* Whether a thread that returns from a signal handler still has its own
 * thread-local storage after another thread has run. qemu-user 7.2 (i386)
 * reloads it from a descriptor table all threads share, so the thread
 * comes back with the last-created thread's TLS. Probed in a child, which
 * the bug cannot harm. */
static bool signals_keep_tls(void) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pthread_t (*volatile self)(void) = pthread_self;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = probe_handler;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, NULL);
        probe_page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        pthread_t before = self(), t;
        if (probe_page == MAP_FAILED || pthread_create(&t, NULL, idle, NULL) ||
            pthread_join(t, NULL))
            _exit(2);
        probe_page[1] = 1;
        _exit(pthread_equal(before, self()) ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Threads moving different page pairs at the same time (one pair shared by
 * two threads is not coherent: see docs/simulation.md). */
static void threads_on_separate_pages(void **state) {
    (void)state;
    inverted_or_skip();
    if (!signals_keep_tls()) {
        print_message("[  SKIP    ] here a thread returns from a signal "
                      "handler with another thread's TLS once a second "
                      "thread has run (qemu-user i386 reloads TLS from a "
                      "shared table): faults cannot be resumed safely in a "
                      "multithreaded process\n");
        skip();
    }
    assert_int_equal(capheap_sim_map(&test_chip, NULL), CAPHEAP_OK);
    enum { N = 4 };
    pthread_t t[N];
    worker_t w[N];
    for (size_t k = 0; k < N; k++) {
        w[k] = (worker_t){k * 2 + 1, 0}; /* pairs 1,3,5,7 and their twins */
        assert_int_equal(pthread_create(&t[k], NULL, worker, &w[k]), 0);
    }
    for (size_t k = 0; k < N; k++) {
        assert_int_equal(pthread_join(t[k], NULL), 0);
        assert_int_equal(w[k].errors, 0);
    }
    capheap_sim_unmap();
}

static sigjmp_buf escape;
static volatile sig_atomic_t foreign_faults;
static void *volatile foreign_addr;

static void foreign_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    foreign_faults++;
    foreign_addr = si->si_addr;
    siglongjmp(escape, 1);
}

/* Faults outside the windows go to the handler that was there before; a
 * handler replaced behind our back comes back with the next map. */
static void faults_elsewhere_are_passed_on(void **state) {
    (void)state;
    struct sigaction mine, saved;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = foreign_handler;
    mine.sa_flags = SA_SIGINFO;
    sigemptyset(&mine.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &mine, &saved), 0);
    assert_int_equal(capheap_sim_map(&test_chip, NULL), CAPHEAP_OK);

    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *guard = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(guard != MAP_FAILED);
#ifdef HAVE_VALGRIND_H
    VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(guard, pg); /* on purpose */
#endif
    foreign_faults = 0;
    if (sigsetjmp(escape, 1) == 0)
        guard[10] = 1;
    assert_int_equal(foreign_faults, 1);
    assert_ptr_equal(foreign_addr, guard + 10);
#ifdef HAVE_VALGRIND_H
    VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(guard, pg);
#endif
    if (under_valgrind()) {
        capheap_sim_unmap();
        munmap(guard, pg);
        sigaction(SIGSEGV, &saved, NULL);
        inverted_or_skip();
    }

    /* Window faults never reach it. */
    *word_at(T_INV_D) = 0x01020304u;
    assert_int_equal(*word_at(T_INV_I + T_INV_LEN - 4), 0x01020304u);
    assert_int_equal(foreign_faults, 1);

    /* Replaced (as test frameworks do per test), then mapped again. */
    assert_int_equal(sigaction(SIGSEGV, &mine, NULL), 0);
    assert_int_equal(capheap_sim_map(&test_chip, NULL), CAPHEAP_OK);
    *word_at(T_INV_D + 4) = 0x05060708u;
    assert_int_equal(*word_at(T_INV_I + T_INV_LEN - 8), 0x05060708u);
    assert_int_equal(foreign_faults, 1);

    /* A handler of one's own can settle window faults itself. */
    assert_false(capheap_sim_resolve_fault(guard));
    assert_true(capheap_sim_resolve_fault((void *)(T_INV_D + 8)));
    assert_true(capheap_sim_resolve_fault((void *)(T_INV_I + 100)));

    capheap_sim_unmap();
    struct sigaction now;
    assert_int_equal(sigaction(SIGSEGV, NULL, &now), 0);
    assert_true(now.sa_sigaction == foreign_handler); /* put back */
    munmap(guard, pg);
    assert_int_equal(sigaction(SIGSEGV, &saved, NULL), 0);
}

static void unusable_descriptions_are_rejected(void **state) {
    (void)state;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    capheap_alias_t w[1] = {
        {CAPHEAP_ALIAS_INVERTED, T_INV_D + 4, T_INV_D + T_INV_LEN, T_INV_I}};
    capheap_chip_t c = test_chip;
    c.aliases = w;
    c.alias_count = 1;
    assert_int_equal(capheap_sim_map(&c, NULL), CAPHEAP_ERR_INVALID_ARG);
    w[0] = (capheap_alias_t){CAPHEAP_ALIAS_LINEAR, T_LIN_D, T_LIN_D + T_LIN_LEN,
                             T_LIN_I + pg / 2};
    assert_int_equal(capheap_sim_map(&c, NULL), CAPHEAP_ERR_INVALID_ARG);
    /* A linear window not page-aligned but congruent is rounded out. */
    w[0] = (capheap_alias_t){CAPHEAP_ALIAS_LINEAR, T_LIN_D + 0x100,
                             T_LIN_D + 0x300, T_LIN_I + 0x100};
    assert_int_equal(capheap_sim_map(&c, NULL), CAPHEAP_OK);
    *word_at(T_LIN_D + 0x200) = 42;
    assert_int_equal(*word_at(T_LIN_I + 0x200), 42);
    /* Windows sharing pages. */
    capheap_alias_t two[2] = {
        {CAPHEAP_ALIAS_LINEAR, T_LIN_D, T_LIN_D + T_LIN_LEN, T_LIN_I},
        {CAPHEAP_ALIAS_LINEAR, T_LIN_I, T_LIN_I + T_LIN_LEN, T_INV_I}};
    c.aliases = two;
    c.alias_count = 2;
    assert_int_equal(capheap_sim_map(&c, NULL), CAPHEAP_ERR_INVALID_ARG);
    assert_false(is_mapped(T_PLAIN)); /* a failed map leaves nothing */
    assert_int_equal(capheap_sim_map(NULL, NULL), CAPHEAP_ERR_INVALID_ARG);
    assert_null(capheap_sim_chip(NULL));
}

/* ---- low memory --------------------------------------------------------- */

static bool overlaps(uintptr_t a, uintptr_t ae, uintptr_t b, uintptr_t be) {
    return a < be && b < ae;
}

static void low_memory_moves(void **state) {
    (void)state;
    const uintptr_t off = CAPHEAP_SIM_LOW_OFFSET;
    assert_ptr_equal(capheap_sim_chip(&capheap_chip_esp32),
                     &capheap_chip_esp32);
    assert_ptr_equal(capheap_sim_chip(&test_chip), &test_chip);
    assert_int_equal(capheap_sim_addr(&capheap_chip_esp32, 0x3FFB0000),
                     0x3FFB0000);

    const capheap_chip_t *c = capheap_sim_chip(&low_chip);
    assert_non_null(c);
    assert_ptr_not_equal(c, &low_chip);
    assert_ptr_equal(capheap_sim_chip(&low_chip), c); /* made once */
    assert_ptr_equal(capheap_sim_chip(c), c);         /* nothing left */
    assert_string_equal(c->name, "low");
    assert_int_equal(c->region_count, 2);
    assert_int_equal(c->regions[0].start, 0x68500000); /* sorted again */
    assert_int_equal(c->regions[1].start, off);
    assert_int_equal(c->regions[1].size, 0x10000);
    assert_int_equal(c->reserved[0].start, off);
    assert_int_equal(c->reserved[0].end, off + 0x400);
    assert_int_equal(c->reserved[1].start, 0x68500000);
    assert_int_equal(c->aliases[0].dram_lo, off + 0x8000);
    assert_int_equal(c->aliases[0].dram_hi, off + 0xC000);
    assert_int_equal(c->aliases[0].iram_lo, 0x68608000);
    assert_int_equal(c->dma_lo, off + 0x1000);
    assert_int_equal(c->dma_hi, off + 0x2000);
    assert_int_equal(c->app_iram_start, off + 0x400);
    assert_int_equal(c->app_dram_start, 0x68500100);
    assert_int_equal(c->app_dram_start_bt, 0); /* none stays none */
    assert_int_equal(capheap_sim_addr(&low_chip, 0x1234), off + 0x1234);
    assert_int_equal(capheap_sim_addr(&low_chip, 0x68500000), 0x68500000);

    /* Mapped where the copy says, alias included; the allocator runs. */
    assert_int_equal(capheap_sim_map(&low_chip, NULL), CAPHEAP_OK);
    ts_fill((void *)off, 0x10000, 9);
    assert_true(ts_verify((void *)off, 0x10000, 9));
    *word_at(off + 0x8010) = 0x600DF00Du;
    assert_int_equal(*word_at(0x68608010), 0x600DF00Du);
    static capheap_caps_t ch;
    assert_int_equal(capheap_caps_init(&ch, c, NULL, NULL, 0), CAPHEAP_OK);
    void *p = capheap_caps_alloc(&ch, 0xC000, C(8BIT));
    assert_non_null(p);
    assert_true((uintptr_t)p >= off + 0x500 && (uintptr_t)p < off + 0x10000);
    capheap_caps_free(&ch, p);
    capheap_sim_unmap();
}

/* Moved ranges of every chip linked in land on no region of any chip. */
static void moved_ranges_collide_with_nothing(void **state) {
    (void)state;
    static const char *const names[] = {"esp32", "esp32s3", "esp32c3",
                                        "stm32h743", "host"};
    const capheap_chip_t *chips[5], *sims[5];
    size_t n = 0;
    for (size_t k = 0; k < 5; k++) {
        const capheap_chip_t *chip = capheap_chip_find(names[k]);
        if (!chip)
            continue;
        chips[n] = chip;
        sims[n] = capheap_sim_chip(chip);
        assert_non_null(sims[n]);
        n++;
    }
    for (size_t a = 0; a < n; a++) {
        if (sims[a] == chips[a])
            continue;
        for (size_t r = 0; r < sims[a]->region_count; r++) {
            const capheap_region_desc_t *m = &sims[a]->regions[r];
            if (m->start < CAPHEAP_SIM_LOW_OFFSET)
                continue; /* stayed */
            for (size_t b = 0; b < n; b++) {
                for (size_t q = 0; q < sims[b]->region_count; q++) {
                    const capheap_region_desc_t *o = &sims[b]->regions[q];
                    if (o == m || (a == b && o->start == m->start))
                        continue;
                    assert_false(overlaps(m->start, m->start + m->size,
                                          o->start, o->start + o->size));
                }
            }
        }
    }
}

static void stm32h743_itcm_moves(void **state) {
    (void)state;
    const capheap_chip_t *chip = chip_or_skip("stm32h743");
    const capheap_chip_t *c = capheap_sim_chip(chip);
    assert_non_null(c);
    assert_ptr_not_equal(c, chip);
    for (size_t r = 0; r < c->region_count; r++)
        assert_true(c->regions[r].start >= CAPHEAP_SIM_LOW_LIMIT);
    uint32_t all = CAPHEAP_OPT_RTC_HEAP | CAPHEAP_OPT_PSRAM;
    capheap_chip_options_t o = {all, 0, 0, 0, 0};
    map_or_skip(chip, &o);
    for (size_t r = 0; r < c->region_count; r++) {
        const capheap_region_desc_t *d = &c->regions[r];
        if (!selected(d, all))
            continue;
        ts_fill((void *)d->start, d->size, (uint32_t)r);
        assert_true(ts_verify((void *)d->start, d->size, (uint32_t)r));
    }
    assert_true(is_mapped(CAPHEAP_SIM_LOW_OFFSET));
    capheap_sim_unmap();
}

/* ---- options from the environment --------------------------------------- */

static const char *const env_vars[] = {
    "CAPHEAP_CHIP",        "CAPHEAP_PSRAM",          "CAPHEAP_BT",
    "CAPHEAP_RTC_HEAP",    "CAPHEAP_SINGLE_CORE",    "CAPHEAP_TRACE_MEM",
    "CAPHEAP_IRAM_8BIT",   "CAPHEAP_APP_DRAM_START", "CAPHEAP_APP_DRAM_END",
    "CAPHEAP_APP_IRAM_END"};

static void clear_env(void) {
    for (size_t k = 0; k < sizeof env_vars / sizeof env_vars[0]; k++)
        unsetenv(env_vars[k]);
}

static capheap_err_t from_env(const capheap_chip_t **chip,
                              capheap_chip_options_t *o) {
    *chip = NULL;
    memset(o, 0xEE, sizeof *o);
    return capheap_sim_options_from_env(chip, o);
}

/* One bad value: rejected, and the outputs are left alone. */
static void rejects(const char *name, const char *value) {
    const capheap_chip_t *chip;
    capheap_chip_options_t o;
    clear_env();
    setenv(name, value, 1);
    assert_int_equal(from_env(&chip, &o), CAPHEAP_ERR_INVALID_ARG);
    assert_null(chip);
    assert_int_equal(o.flags, 0xEEEEEEEEu);
    unsetenv(name);
}

static void options_from_environment(void **state) {
    (void)state;
    const capheap_chip_t *chip;
    capheap_chip_options_t o;

    clear_env();
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_ptr_equal(chip, &capheap_chip_esp32);
    assert_int_equal(o.flags, 0);
    assert_int_equal(o.psram_size, 0);
    assert_int_equal(o.app_dram_end, 0);
    assert_int_equal(o.app_iram_end, 0);

    setenv("CAPHEAP_CHIP", "esp32", 1);
    setenv("CAPHEAP_PSRAM", "4M", 1);
    setenv("CAPHEAP_BT", "1", 1);
    setenv("CAPHEAP_RTC_HEAP", "1", 1);
    setenv("CAPHEAP_SINGLE_CORE", "1", 1);
    setenv("CAPHEAP_TRACE_MEM", "1", 1);
    setenv("CAPHEAP_APP_DRAM_END", "0x3FFC4000", 1);
    setenv("CAPHEAP_APP_IRAM_END", "1074315264", 1); /* 0x4008C000 */
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_ptr_equal(chip, &capheap_chip_esp32);
    assert_int_equal(o.flags,
                     CAPHEAP_OPT_PSRAM | CAPHEAP_OPT_BT | CAPHEAP_OPT_RTC_HEAP |
                         CAPHEAP_OPT_SINGLE_CORE | CAPHEAP_OPT_TRACE_MEM);
    assert_int_equal(o.psram_size, 4u << 20);
    assert_int_equal(o.app_dram_end, 0x3FFC4000);
    assert_int_equal(o.app_iram_end, 0x4008C000);
    assert_int_equal(o.app_dram_start, 0);
    setenv("CAPHEAP_APP_DRAM_START", "0x3FFC0000", 1);
    setenv("CAPHEAP_APP_DRAM_END", "0x3FFC0800", 1); /* before the default */
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_int_equal(o.app_dram_start, 0x3FFC0000);
    assert_int_equal(o.app_dram_end, 0x3FFC0800);

    clear_env();
    setenv("CAPHEAP_PSRAM", "512k", 1);
    setenv("CAPHEAP_BT", "0", 1);
    setenv("CAPHEAP_IRAM_8BIT", "1", 1);
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_int_equal(o.flags, CAPHEAP_OPT_PSRAM | CAPHEAP_OPT_IRAM_8BIT);
    assert_int_equal(o.psram_size, 512u * 1024);
    setenv("CAPHEAP_PSRAM", "0", 1); /* none */
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_int_equal(o.flags, CAPHEAP_OPT_IRAM_8BIT);
    setenv("CAPHEAP_PSRAM", "0x200000", 1);
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_int_equal(o.psram_size, 0x200000);
    setenv("CAPHEAP_PSRAM", "", 1); /* empty: unset */
    assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
    assert_int_equal(o.psram_size, 0);

    /* Chips other people's tables provide, when they are linked in. */
    static const char *const names[] = {"esp32s3", "esp32c3", "stm32h743",
                                        "host"};
    for (size_t k = 0; k < 4; k++) {
        const capheap_chip_t *want = capheap_chip_find(names[k]);
        if (!want)
            continue;
        clear_env();
        setenv("CAPHEAP_CHIP", names[k], 1);
        assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
        assert_ptr_equal(chip, capheap_sim_chip(want));
        assert_string_equal(chip->name, names[k]);
    }
    /* An end address inside moved memory moves with it. */
    const capheap_chip_t *stm = capheap_chip_find("stm32h743");
    if (stm && stm->app_iram_start && stm->app_iram_start < 0x8000) {
        clear_env();
        setenv("CAPHEAP_CHIP", "stm32h743", 1);
        setenv("CAPHEAP_APP_IRAM_END", "0x10000", 1); /* the end of ITCM */
        assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
        assert_int_equal(o.app_iram_end, CAPHEAP_SIM_LOW_OFFSET + 0x10000);
        assert_int_equal(o.app_dram_start, 0); /* none stays none */
        setenv("CAPHEAP_APP_DRAM_START", "0x2000", 1);
        assert_int_equal(from_env(&chip, &o), CAPHEAP_OK);
        assert_int_equal(o.app_dram_start, CAPHEAP_SIM_LOW_OFFSET + 0x2000);
    }

    rejects("CAPHEAP_CHIP", "esp8266");
    rejects("CAPHEAP_PSRAM", "4X");
    rejects("CAPHEAP_PSRAM", "4MB");
    rejects("CAPHEAP_PSRAM", "-1");
    rejects("CAPHEAP_PSRAM", " 4M");
    rejects("CAPHEAP_PSRAM", "M");
    rejects("CAPHEAP_PSRAM", "0x");
    rejects("CAPHEAP_PSRAM", "8M"); /* the ESP32 maps at most 4 MiB */
    rejects("CAPHEAP_PSRAM", "99999999999999999999999");
    rejects("CAPHEAP_PSRAM", "18014398509481984K");
    rejects("CAPHEAP_BT", "2");
    rejects("CAPHEAP_BT", "yes");
    rejects("CAPHEAP_RTC_HEAP", "11");
    rejects("CAPHEAP_SINGLE_CORE", "true");
    rejects("CAPHEAP_TRACE_MEM", "-1");
    rejects("CAPHEAP_APP_DRAM_END", "0x3FFC40000000000000");
    rejects("CAPHEAP_APP_DRAM_END", "0x3FFG0000");
    rejects("CAPHEAP_APP_DRAM_END", "0x1000"); /* before .data starts */
    rejects("CAPHEAP_APP_IRAM_END", "12ab");
    rejects("CAPHEAP_APP_IRAM_END", "0x40000000");
    rejects("CAPHEAP_APP_DRAM_START", "0x3FFC000Z");
    if (capheap_chip_find("host")) {
        clear_env();
        setenv("CAPHEAP_CHIP", "host", 1);
        setenv("CAPHEAP_PSRAM", "1M", 1);
        const capheap_chip_t *host = capheap_chip_find("host");
        bool has_psram = false;
        for (size_t r = 0; r < host->region_count; r++)
            has_psram |= (host->regions[r].when & CAPHEAP_OPT_PSRAM) != 0;
        assert_int_equal(from_env(&chip, &o),
                         has_psram ? CAPHEAP_OK : CAPHEAP_ERR_INVALID_ARG);
    }
    assert_int_equal(capheap_sim_options_from_env(NULL, &o),
                     CAPHEAP_ERR_INVALID_ARG);
    clear_env();
}

static int teardown(void **state) {
    (void)state;
    capheap_sim_unmap();
    clear_env();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(esp32_every_region_writable, teardown),
        cmocka_unit_test_teardown(esp32_map_is_idempotent, teardown),
        cmocka_unit_test_teardown(taken_range_is_overlap, teardown),
        cmocka_unit_test_teardown(esp32_taken_range_is_overlap, teardown),
        cmocka_unit_test_teardown(esp32_linear_rtc_window, teardown),
        cmocka_unit_test_teardown(esp32c3_linear_window, teardown),
        cmocka_unit_test_teardown(esp32_inverted_window, teardown),
        cmocka_unit_test_teardown(esp32_exec_block_both_views, teardown),
        cmocka_unit_test_teardown(windows_at_free_addresses, teardown),
        cmocka_unit_test_teardown(one_instruction_on_both_views, teardown),
        cmocka_unit_test_teardown(threads_on_separate_pages, teardown),
        cmocka_unit_test_teardown(faults_elsewhere_are_passed_on, teardown),
        cmocka_unit_test_teardown(unusable_descriptions_are_rejected, teardown),
        cmocka_unit_test_teardown(low_memory_moves, teardown),
        cmocka_unit_test_teardown(moved_ranges_collide_with_nothing, teardown),
        cmocka_unit_test_teardown(stm32h743_itcm_moves, teardown),
        cmocka_unit_test_teardown(options_from_environment, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
