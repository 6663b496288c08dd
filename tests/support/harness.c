#define _POSIX_C_SOURCE 200809L
/*
 * harness.c - shared helpers for capheap's cmocka tests.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ts_errors_t errors;

static void record(capheap_err_t err, const void *addr, const char *op,
                   void *user) {
    (void)user;
    errors.count++;
    errors.last = err;
    errors.last_addr = addr;
    errors.last_op = op;
}

void ts_errors_install(void) {
    ts_errors_reset();
    capheap_set_error_hook(record, NULL);
}

void ts_errors_reset(void) {
    errors.count = 0;
    errors.last = CAPHEAP_OK;
    errors.last_addr = NULL;
    errors.last_op = NULL;
}

const ts_errors_t *ts_errors(void) {
    return &errors;
}

void ts_assert_heap_ok_at(capheap_heap_t *heap, const char *file, int line) {
    capheap_check_report_t rep;
    if (capheap_heap_check(heap, &rep) != CAPHEAP_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s:%d: heap check: %s at %p", file, line,
                 capheap_fault_str(rep.fault), rep.addr);
        fail_msg("%s", msg);
    }
}

void *ts_arena(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 4096, size ? size : 1) != 0)
        fail_msg("out of host memory");
    return p;
}

void ts_arena_free(void *arena) {
    free(arena);
}

static uint8_t pattern_byte(size_t i, uint32_t seed) {
    uint32_t x = (uint32_t)i * 2654435761u ^ seed;
    return (uint8_t)(x ^ (x >> 13));
}

void ts_fill(void *p, size_t n, uint32_t seed) {
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = pattern_byte(i, seed);
}

int ts_verify(const void *p, size_t n, uint32_t seed) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != pattern_byte(i, seed))
            return 0;
    }
    return 1;
}

double ts_scale(void) {
    const char *s = getenv("CAPHEAP_TEST_SCALE");
    if (!s || !*s)
        return 1.0;
    if (strcmp(s, "valgrind") == 0)
        return 1.0 / 20;
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0))
        fail_msg("CAPHEAP_TEST_SCALE='%s': use valgrind or a number", s);
    return v;
}

void ts_rng_seed(ts_rng_t *r, uint64_t seed) {
    r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint64_t ts_rng_next(ts_rng_t *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

uint64_t ts_rng_range(ts_rng_t *r, uint64_t lo, uint64_t hi) {
    return lo + ts_rng_next(r) % (hi - lo + 1);
}

ts_heap_t *ts_heap_new(unsigned max_regions, unsigned max_tags,
                       size_t arena_size, const unsigned *tags, unsigned arenas,
                       int fill) {
    ts_heap_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    assert_true(arenas <= TS_HEAP_ARENAS);
    size_t need = CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags);
    t->storage = malloc(need);
    t->h = capheap_heap_init(t->storage, need, max_regions, max_tags);
    assert_non_null(t->h);
    for (t->arenas = 0; t->arenas < arenas; t->arenas++) {
        unsigned char *a = ts_arena(arena_size);
        memset(a, fill, arena_size);
        t->arena[t->arenas] = a;
        assert_int_equal(
            capheap_heap_add_region(t->h, a, arena_size, tags[t->arenas]),
            CAPHEAP_OK);
    }
    ts_errors_install();
    return t;
}

void ts_heap_delete(ts_heap_t *t) {
    for (unsigned i = 0; i < t->arenas; i++)
        ts_arena_free(t->arena[i]);
    free(t->storage);
    free(t);
}

uint32_t ts_chip_caps_at(const capheap_chip_t *chip, uintptr_t a) {
    for (unsigned i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *r = &chip->regions[i];
        if (a >= r->start && a - r->start < r->size) {
            const uint32_t *c = chip->types[r->type].caps;
            return c[0] | c[1] | c[2];
        }
    }
    return 0;
}
