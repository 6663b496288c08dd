/*
 * poison_cases.h - the poisoning tests, compiled once per level:
 * test_poisoning.c (comprehensive) and test_light_poisoning.c (light). Each
 * case asserts what its level promises and, where the levels differ, what
 * the other level must not do.
 */
#ifndef CAPHEAP_TEST_POISON_CASES_H
#define CAPHEAP_TEST_POISON_CASES_H

#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/debug.h"
#include "core/free_list.h"
#include "core/poison.h"

#if !CAPHEAP_POISONING
#error "these tests need a build with CAPHEAP_POISONING"
#endif
#define COMPREHENSIVE (CAPHEAP_POISONING >= 2)

#define ARENA 65536

typedef ts_heap_t fx_t;

/* One region of tag 0 over an arena of 0x11 bytes. */
static int setup(void **state) {
    static const unsigned tag0[1] = {0};
    *state = ts_heap_new(2, 2, ARENA, tag0, 1, 0x11);
    return 0;
}

static int teardown(void **state) {
    ts_heap_delete(*state);
    return 0;
}

/* The check's verdict on the heap, with its report. */
static capheap_err_t check(fx_t *f, capheap_check_report_t *rep) {
    return capheap_heap_check(f->h, rep);
}

static size_t block_bytes(const void *p) {
    return hdr_size(*hdr_at(block_of(p)));
}

/* ---- canaries ------------------------------------------------------------ */

static void head_canary_caught_and_restorable(void **state) {
    fx_t *f = *state;
    unsigned char *p = capheap_heap_alloc(f->h, 0, 40);
    assert_non_null(p);
    ts_assert_heap_ok(f->h);
    /* Underflow by one word: the magic just before the size word. */
    word_t *magic = (word_t *)(void *)(p - 2 * sizeof(word_t));
    word_t saved = *magic;
    *magic ^= 0x40;
    capheap_check_report_t rep;
    assert_int_equal(check(f, &rep), CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_HEAD_CANARY);
    assert_ptr_equal(rep.addr, magic);
    assert_true(rep.expected == HEAD_MAGIC);
    assert_true(rep.found == (HEAD_MAGIC ^ 0x40));
    *magic = saved;
    assert_int_equal(check(f, &rep), CAPHEAP_OK);
    /* The size word is part of the head canary. */
    word_t *size = (word_t *)(void *)(p - sizeof(word_t));
    *size += 4096;
    assert_int_equal(check(f, &rep), CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_HEAD_CANARY);
    *size -= 4096;
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, p);
    assert_int_equal(ts_errors()->count, 0);
}

static void tail_canary_caught_at_every_byte(void **state) {
    fx_t *f = *state;
    for (size_t n = 1; n <= 40; n++) {
        unsigned char *p = capheap_heap_alloc(f->h, 0, n);
        assert_non_null(p);
        /* An overflow of 1..4 bytes past the request lands in the tail. */
        for (size_t k = 0; k < TAIL_BYTES; k++) {
            unsigned char saved = p[n + k];
            p[n + k] ^= 0xFF;
            capheap_check_report_t rep;
            assert_int_equal(check(f, &rep), CAPHEAP_ERR_CORRUPT);
            assert_int_equal(rep.fault, CAPHEAP_FAULT_TAIL_CANARY);
            assert_ptr_equal(rep.addr, p + n);
            assert_true(rep.expected == TAIL_MAGIC);
            assert_true(rep.found != TAIL_MAGIC);
            p[n + k] = saved;
            assert_int_equal(check(f, &rep), CAPHEAP_OK);
        }
        capheap_heap_free(f->h, p);
    }
    assert_int_equal(ts_errors()->count, 0);
}

/* free, realloc and usable_size refuse a block with a broken canary: the
 * error hook hears CORRUPT with the details, and the block stays live. */
static void damaged_block_is_reported_and_kept(void **state) {
    fx_t *f = *state;
    unsigned char *p = capheap_heap_alloc(f->h, 0, 24);
    assert_non_null(p);
    p[24] = 0; /* one byte of overflow */

    static const char *const ops[] = {"free", "realloc", "usable_size"};
    for (int i = 0; i < 3; i++) {
        ts_errors_reset();
        if (i == 0)
            capheap_heap_free(f->h, p);
        else if (i == 1)
            assert_null(capheap_heap_realloc(f->h, p, 100));
        else
            assert_int_equal(capheap_heap_usable_size(f->h, p), 0);
        assert_int_equal(ts_errors()->count, 1);
        assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
        assert_ptr_equal(ts_errors()->last_addr, p);
        assert_string_equal(ts_errors()->last_op, ops[i]);
        const capheap_check_report_t *d = capheap_error_detail();
        assert_non_null(d);
        assert_int_equal(d->fault, CAPHEAP_FAULT_TAIL_CANARY);
        assert_ptr_equal(d->addr, p + 24);
        char line[160];
        capheap_describe_fault(line, sizeof line, d);
        char want[100];
        snprintf(want, sizeof want, "bad tail canary at %p, expected 0x%x",
                 (void *)(p + 24), TAIL_MAGIC);
        assert_non_null(strstr(line, want));
        assert_non_null(strstr(line, ", found 0x"));
    }
    /* Nothing was freed: the block is still live and whole once repaired. */
    put_tail((char *)p + 24);
    ts_assert_heap_ok(f->h);
    assert_int_equal(capheap_heap_usable_size(f->h, p), 24);
    ts_errors_reset();
    capheap_heap_free(f->h, p);
    assert_int_equal(ts_errors()->count, 0);
    ts_assert_heap_ok(f->h);
}

/* A live block's own slack is not free memory: writes there, beyond the tail,
 * are not the business of the canaries, but the requested size is. */
static void usable_size_is_the_request(void **state) {
    fx_t *f = *state;
    for (size_t n = 1; n < 200; n += 7) {
        void *p = capheap_heap_alloc(f->h, 0, n);
        assert_non_null(p);
        assert_int_equal(capheap_heap_usable_size(f->h, p), n);
        assert_int_equal(capheap_heap_live_size(f->h, p), n);
        assert_true(block_bytes(p) >= HDR_BYTES + n + TAIL_BYTES);
        capheap_heap_free(f->h, p);
    }
    void *a = capheap_heap_aligned_alloc(f->h, 0, 256, 33);
    assert_non_null(a);
    assert_int_equal((uintptr_t)a % 256, 0);
    assert_int_equal(capheap_heap_usable_size(f->h, a), 33);
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, a);
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- fills ----------------------------------------------------------------
 */

static void allocation_and_free_fills(void **state) {
    fx_t *f = *state;
    unsigned char *p = capheap_heap_alloc(f->h, 0, 100);
    unsigned char *guard = capheap_heap_alloc(f->h, 0, 16);
    assert_non_null(p);
    assert_non_null(guard);
    size_t ce = 0;
    for (size_t i = 0; i < 100; i++)
        ce += p[i] == ALLOC_FILL;
    assert_int_equal(ce, COMPREHENSIVE ? 100 : ce);
    if (!COMPREHENSIVE)
        assert_true(ce < 100); /* the arena's 0x11 shows through */
    memset(p, 0x33, 100);
    capheap_heap_free(f->h, p);
    /* After free the body (past the list links, before the footer) holds
     * FREE_FILL only in comprehensive mode. */
    size_t fe = 0;
    for (size_t i = 2 * sizeof(void *); i < 96; i++)
        fe += p[i] == FREE_FILL;
    if (COMPREHENSIVE)
        assert_int_equal(fe, 96 - 2 * sizeof(void *));
    else
        assert_int_equal(fe, 0);
    capheap_heap_free(f->h, guard);
    ts_assert_heap_ok(f->h);
}

/* Flipping any byte of a freed block is caught by the check only in
 * comprehensive mode. */
static void flipped_byte_of_free_block(void **state) {
    fx_t *f = *state;
    unsigned char *p = capheap_heap_alloc(f->h, 0, 64);
    void *guard = capheap_heap_alloc(f->h, 0, 16);
    assert_non_null(p);
    capheap_heap_free(f->h, p);
    char *blk = block_of(p);
    size_t size = hdr_size(*hdr_at(blk));
    /* Every byte of the body, one at a time. */
    unsigned char *from = (unsigned char *)free_body(blk);
    unsigned char *to = (unsigned char *)blk + size - sizeof(word_t);
    assert_true(to > from);
    for (unsigned char *c = from; c < to; c++) {
        unsigned char saved = *c;
        *c ^= 0x01;
        capheap_check_report_t rep;
        capheap_err_t err = check(f, &rep);
        if (COMPREHENSIVE) {
            assert_int_equal(err, CAPHEAP_ERR_CORRUPT);
            assert_int_equal(rep.fault, CAPHEAP_FAULT_FREE_FILL);
            assert_ptr_equal(rep.addr, c);
            assert_int_equal(rep.expected, FREE_FILL);
            assert_int_equal(rep.found, FREE_FILL ^ 0x01);
        } else {
            assert_int_equal(err, CAPHEAP_OK);
        }
        *c = saved;
    }
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, guard);
    assert_int_equal(ts_errors()->count, 0);
}

/* A write after free is found when the block is handed out again
 * (comprehensive): the hook hears of it, and the allocation still succeeds
 * with a clean block. */
static void write_after_free_found_at_allocation(void **state) {
    fx_t *f = *state;
    /* Use up the arena's one free block so that the next allocation of the
     * same size reuses p's block. */
    unsigned char *p = capheap_heap_alloc(f->h, 0, 200);
    void *rest =
        capheap_heap_alloc(f->h, 0, capheap_heap_largest_free(f->h, 0));
    assert_non_null(p);
    assert_non_null(rest);
    capheap_heap_free(f->h, p);
    p[150] = 0x77; /* use after free */
    unsigned char *q = capheap_heap_alloc(f->h, 0, 200);
    assert_ptr_equal(q, p);
    if (COMPREHENSIVE) {
        assert_int_equal(ts_errors()->count, 1);
        assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
        assert_string_equal(ts_errors()->last_op, "alloc");
        const capheap_check_report_t *d = capheap_error_detail();
        assert_int_equal(d->fault, CAPHEAP_FAULT_FREE_FILL);
        assert_ptr_equal(d->addr, p + 150);
        assert_int_equal(d->found, 0x77);
        assert_int_equal(q[150], ALLOC_FILL);
    } else {
        assert_int_equal(ts_errors()->count, 0);
    }
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, q);
    capheap_heap_free(f->h, rest);
}

/* Comprehensive realloc always moves; light may stay in place. Either way
 * the content up to the smaller size survives and the canaries follow. */
static void realloc_moves_and_keeps_content(void **state) {
    fx_t *f = *state;
    unsigned char *p = capheap_heap_alloc(f->h, 0, 300);
    assert_non_null(p);
    for (int i = 0; i < 300; i++)
        p[i] = (unsigned char)i;
    unsigned char *q = capheap_heap_realloc(f->h, p, 100); /* shrink */
    assert_non_null(q);
    if (COMPREHENSIVE)
        assert_ptr_not_equal(q, p);
    else
        assert_ptr_equal(q, p);
    for (int i = 0; i < 100; i++)
        assert_int_equal(q[i], (unsigned char)i);
    assert_int_equal(capheap_heap_usable_size(f->h, q), 100);
    ts_assert_heap_ok(f->h);
    unsigned char *r = capheap_heap_realloc(f->h, q, 1000); /* grow */
    assert_non_null(r);
    if (COMPREHENSIVE)
        assert_ptr_not_equal(r, q);
    for (int i = 0; i < 100; i++)
        assert_int_equal(r[i], (unsigned char)i);
    assert_int_equal(capheap_heap_usable_size(f->h, r), 1000);
    r[1000] ^= 1; /* the tail moved to the new end */
    capheap_check_report_t rep;
    assert_int_equal(check(f, &rep), CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_TAIL_CANARY);
    r[1000] ^= 1;
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, r);
    assert_int_equal(ts_errors()->count, 0);
}

/* A second free is always reported and harmless. When the block merged
 * into a free predecessor, comprehensive mode has filled its old header, so
 * the report is NOT_BLOCK rather than DOUBLE_FREE (docs/debugging.md). */
static void double_free_after_merge(void **state) {
    fx_t *f = *state;
    void *a = capheap_heap_alloc(f->h, 0, 64);
    void *b = capheap_heap_alloc(f->h, 0, 64);
    void *c = capheap_heap_alloc(f->h, 0, 64);
    assert_non_null(c);
    /* Blocks are carved from the top: c < b < a in memory. */
    assert_true((char *)c < (char *)b && (char *)b < (char *)a);
    capheap_heap_free(f->h, c); /* b's predecessor is now free */
    capheap_heap_free(f->h, b); /* merges into c's block */
    assert_int_equal(ts_errors()->count, 0);
    capheap_heap_free(f->h, b);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, COMPREHENSIVE
                                            ? CAPHEAP_ERR_NOT_BLOCK
                                            : CAPHEAP_ERR_DOUBLE_FREE);
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, a);
    ts_assert_heap_ok(f->h);
}

/* A randomized workload keeps every canary and fill intact: the check
 * passes throughout and no report is made. */
static void random_workload_stays_clean(void **state) {
    fx_t *f = *state;
    enum { SLOTS = 64 };
    unsigned char *ptr[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    ts_rng_t rng;
    ts_rng_seed(&rng, 0xC0FFEE);
    size_t steps = (size_t)(20000 * ts_scale());
    for (size_t i = 0; i < steps; i++) {
        size_t k = (size_t)ts_rng_range(&rng, 0, SLOTS - 1);
        size_t n = (size_t)ts_rng_range(&rng, 1, 700);
        if (!ptr[k]) {
            unsigned al = (unsigned)ts_rng_range(&rng, 0, 3);
            ptr[k] = al ? capheap_heap_aligned_alloc(f->h, 0, 32u << al, n)
                        : capheap_heap_alloc(f->h, 0, n);
            len[k] = ptr[k] ? n : 0;
            if (ptr[k])
                ts_fill(ptr[k], n, (uint32_t)k);
        } else if (ts_rng_range(&rng, 0, 2) == 0) {
            unsigned char *q = capheap_heap_realloc(f->h, ptr[k], n);
            if (q) {
                size_t keep = len[k] < n ? len[k] : n;
                assert_true(ts_verify(q, keep, (uint32_t)k));
                ts_fill(q, n, (uint32_t)k);
                ptr[k] = q;
                len[k] = n;
            }
        } else {
            assert_true(ts_verify(ptr[k], len[k], (uint32_t)k));
            capheap_heap_free(f->h, ptr[k]);
            ptr[k] = NULL;
        }
        if (i % 512 == 0)
            ts_assert_heap_ok(f->h);
    }
    for (size_t k = 0; k < SLOTS; k++)
        capheap_heap_free(f->h, ptr[k]);
    ts_assert_heap_ok(f->h);
    assert_int_equal(ts_errors()->count, 0);
}

#define POISON_TESTS                                                           \
    cmocka_unit_test_setup_teardown(head_canary_caught_and_restorable, setup,  \
                                    teardown),                                 \
        cmocka_unit_test_setup_teardown(tail_canary_caught_at_every_byte,      \
                                        setup, teardown),                      \
        cmocka_unit_test_setup_teardown(damaged_block_is_reported_and_kept,    \
                                        setup, teardown),                      \
        cmocka_unit_test_setup_teardown(usable_size_is_the_request, setup,     \
                                        teardown),                             \
        cmocka_unit_test_setup_teardown(allocation_and_free_fills, setup,      \
                                        teardown),                             \
        cmocka_unit_test_setup_teardown(flipped_byte_of_free_block, setup,     \
                                        teardown),                             \
        cmocka_unit_test_setup_teardown(write_after_free_found_at_allocation,  \
                                        setup, teardown),                      \
        cmocka_unit_test_setup_teardown(realloc_moves_and_keeps_content,       \
                                        setup, teardown),                      \
        cmocka_unit_test_setup_teardown(double_free_after_merge, setup,        \
                                        teardown),                             \
        cmocka_unit_test_setup_teardown(random_workload_stays_clean, setup,    \
                                        teardown)

#endif
