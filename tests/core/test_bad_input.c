/*
 * test_bad_input.c - every kind of bad pointer given to free, realloc,
 * usable_size and block_tag is reported through the error hook with the right
 * code, address and operation, and changes nothing: the heap object and every
 * byte of the arena are compared before and after each call.
 */
#include "core_test.h"

#include <stdio.h>

enum {
    ARENA = 65536,
    A_OFF = 1024,
    A_SIZE = 24576,
    B_OFF = 32768 + 3, /* unaligned start */
    B_SIZE = 20001,
    GAP_BYTE = 0x77,
    NLIVE = 8
};

typedef struct {
    capheap_heap_t *h;
    unsigned char *arena;
    unsigned char *live[NLIVE];
    size_t live_n[NLIVE];
    capheap_region_info_t a, b;
} fx_t;

static int setup(void **state) {
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->h = ct_heap_new(4, 3);
    f->arena = ct_arena(ARENA, GAP_BYTE);
    /* The regions' own bytes start as zeros, the rest of the arena not. */
    memset(f->arena + A_OFF, 0, A_SIZE);
    memset(f->arena + B_OFF, 0, B_SIZE);
    assert_int_equal(capheap_heap_add_region(f->h, f->arena + A_OFF, A_SIZE, 0),
                     CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(f->h, f->arena + B_OFF, B_SIZE, 1),
                     CAPHEAP_OK);
    f->a = ct_region(f->h, 0);
    f->b = ct_region(f->h, 1);
    for (int i = 0; i < NLIVE; i++) {
        f->live_n[i] = 100 + 300 * (size_t)i;
        f->live[i] = capheap_heap_alloc(f->h, (unsigned)(i % 2), f->live_n[i]);
        assert_non_null(f->live[i]);
        ts_fill(f->live[i], f->live_n[i], (uint32_t)i);
    }
    ts_errors_install();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ts_assert_heap_ok(f->h);
    ct_heap_delete(f->h);
    ts_arena_free(f->arena);
    free(f);
    return 0;
}

static void check_live(const fx_t *f) {
    for (int i = 0; i < NLIVE; i++) {
        if (f->live[i])
            assert_true(ts_verify(f->live[i], f->live_n[i], (uint32_t)i));
    }
}

/* Fail with the caller's line and what was tried. */
#define REJECT(f, p, code) reject_at((f), (p), (code), #p, __LINE__)

static void expect_one(void *p, capheap_err_t code, const char *op,
                       const char *alt_op, const char *what, int line) {
    const ts_errors_t *e = ts_errors();
    int op_ok = e->last_op && (strcmp(e->last_op, op) == 0 ||
                               (alt_op && strcmp(e->last_op, alt_op) == 0));
    if (e->count != 1 || e->last != code || e->last_addr != p || !op_ok)
        fail_msg("line %d, %s via %s: expected one '%s' at %p; got %d "
                 "report(s), last '%s' at %p from %s",
                 line, what, op, capheap_err_str(code), p, e->count,
                 capheap_err_str(e->last), e->last_addr,
                 e->last_op ? e->last_op : "(none)");
}

/* The pointer is refused by each of the four functions, and nothing at all
 * changes. */
static void reject_at(fx_t *f, void *p, capheap_err_t code, const char *what,
                      int line) {
    capheap_heap_t *h = f->h;
    ct_snap_t hs, as;
    ct_snap_take(&hs, h, CAPHEAP_HEAP_STORAGE_SIZE(4, 3));
    ct_snap_take(&as, f->arena, ARENA);
    capheap_stats_t s0 = ct_heap_stats(h);

    ts_errors_reset();
    capheap_heap_free(h, p);
    expect_one(p, code, "free", NULL, what, line);

    ts_errors_reset();
    if (capheap_heap_realloc(h, p, 64) != NULL)
        fail_msg("line %d, %s: realloc returned a block", line, what);
    expect_one(p, code, "realloc", NULL, what, line);

    /* realloc(p, 0) frees through free(): either name is accepted. */
    ts_errors_reset();
    if (capheap_heap_realloc(h, p, 0) != NULL)
        fail_msg("line %d, %s: realloc(0) returned a block", line, what);
    expect_one(p, code, "realloc", "free", what, line);

    ts_errors_reset();
    if (capheap_heap_usable_size(h, p) != 0)
        fail_msg("line %d, %s: usable_size not 0", line, what);
    expect_one(p, code, "usable_size", NULL, what, line);

    ts_errors_reset();
    if (capheap_heap_block_tag(h, p) != -1)
        fail_msg("line %d, %s: block_tag not -1", line, what);
    expect_one(p, code, "block_tag", NULL, what, line);
    ts_errors_reset();

    /* live_size refuses it too, silently. */
    if (capheap_heap_live_size(h, p) != 0 || ts_errors()->count != 0)
        fail_msg("line %d, %s: live_size accepted it or reported", line, what);

    if (!ct_snap_same(&hs))
        fail_msg("line %d, %s: heap object changed", line, what);
    if (!ct_snap_same(&as))
        fail_msg("line %d, %s: arena changed", line, what);
    capheap_stats_t s1 = ct_heap_stats(h);
    ct_assert_stats_equal(s1, s0);
    ts_assert_heap_ok(h);
    check_live(f);
    ct_snap_drop(&hs);
    ct_snap_drop(&as);
}

static int host_static;

static void foreign_pointers(void **state) {
    fx_t *f = *state;
    int local = 0;
    void *host = malloc(64);
    assert_non_null(host);
    unsigned char *ae = f->a.end, *bs = f->b.start, *be = f->b.end;

    REJECT(f, &local, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, &host_static, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, host, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, (void *)f->h, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, (void *)f, CAPHEAP_ERR_FOREIGN_POINTER);
    /* Inside the arena but outside both regions: below, between (aligned
     * and not, right after the first region), above. */
    REJECT(f, f->arena + 16, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, f->arena + A_OFF - 16, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, ae, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, ae + ALIGN, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, ae + 1000, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, ae + 1001, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, bs - 16 - (uintptr_t)bs % 16, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, be, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, be + 64, CAPHEAP_ERR_FOREIGN_POINTER);
    REJECT(f, f->arena + ARENA - 16, CAPHEAP_ERR_FOREIGN_POINTER);
    /* A block of another heap. */
    capheap_heap_t *h2 = ct_heap_new(1, 1);
    unsigned char *other = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h2, other, 4096, 0), CAPHEAP_OK);
    void *p2 = capheap_heap_alloc(h2, 0, 100);
    assert_non_null(p2);
    REJECT(f, p2, CAPHEAP_ERR_FOREIGN_POINTER);
    capheap_heap_free(h2, p2);
    ct_assert_no_error();
    ct_heap_delete(h2);
    ts_arena_free(other);
    free(host);
}

static void misaligned_and_interior_pointers(void **state) {
    fx_t *f = *state;
    for (int i = 0; i < NLIVE; i++) {
        unsigned char *p = f->live[i];
        /* Every misaligned address in the first alignment unit, and the
         * block's header. */
        for (size_t o = 1; o < ALIGN; o++)
            REJECT(f, p + o, CAPHEAP_ERR_NOT_BLOCK);
        REJECT(f, p - HDR_BYTES, CAPHEAP_ERR_NOT_BLOCK);
        REJECT(f, p + f->live_n[i] - 1, CAPHEAP_ERR_NOT_BLOCK);
        /* Aligned interior pointers: the word before each is pattern data,
         * not a consistent header. */
        for (size_t o = ALIGN; o < f->live_n[i];
             o += (i < 2 ? ALIGN : 7 * ALIGN))
            REJECT(f, p + o, CAPHEAP_ERR_NOT_BLOCK);
    }
    /* The first header of each region, its first payload (the control
     * block), and untouched memory of a free block. */
    REJECT(f, f->a.start, CAPHEAP_ERR_NOT_BLOCK);
    REJECT(f, f->b.start, CAPHEAP_ERR_NOT_BLOCK);
    for (unsigned t = 0; t < 2; t++) {
        ct_find_control_t c = ct_control(f->h, t);
        assert_non_null(c.ptr);
        REJECT(f, c.ptr, CAPHEAP_ERR_NOT_BLOCK);
        /* Its counters must not pass for headers (test_regress.c). */
        for (size_t o = ALIGN; o < c.size; o += ALIGN)
            REJECT(f, (unsigned char *)c.ptr + o, CAPHEAP_ERR_NOT_BLOCK);
    }
    capheap_block_info_t bl[32];
    size_t n = ct_blocks(f->h, bl, 32);
    size_t fi = ct_find_free(bl, n, 0, 4096);
    REJECT(f, (unsigned char *)bl[fi].ptr + 1024, CAPHEAP_ERR_NOT_BLOCK);
    /* The region's last word (its end marker). */
    REJECT(f, (unsigned char *)f->a.end - WORD_BYTES, CAPHEAP_ERR_NOT_BLOCK);
}

/* Words forged inside a live block that look partly like a header: each
 * inconsistency named in heap.h is caught. */
static void forged_headers(void **state) {
    fx_t *f = *state;
    unsigned char *p = f->live[6]; /* region 0, 1900 bytes */
    assert_int_equal(capheap_heap_block_tag(f->h, p), 0);
    unsigned char *q = p + 40 * ALIGN; /* the forged block's payload */
    word_t *hdr = (word_t *)(void *)(q - HDR_BYTES);
    const word_t r0 = (word_t)0 << REGION_SHIFT;
    const word_t r1 = (word_t)1 << REGION_SHIFT;
    const size_t S = 4 * ALIGN > MIN_BLOCK ? 4 * ALIGN : MIN_BLOCK;
    word_t *next = (word_t *)(void *)(q - HDR_BYTES + S); /* successor hdr */
    word_t *foot = (word_t *)(void *)(q - HDR_BYTES) - 1; /* before it */
    struct {
        word_t hdr, next, foot;
        capheap_err_t code;
        const char *what;
    } cases[] = {
        {r0 | 0, 0, 0, CAPHEAP_ERR_NOT_BLOCK, "size 0"},
        {r0 | (MIN_BLOCK - ALIGN), 0, 0, CAPHEAP_ERR_NOT_BLOCK,
         "size below the smallest block"},
        {r0 | (A_SIZE * 2), r0, 0, CAPHEAP_ERR_NOT_BLOCK,
         "size beyond the region"},
        {r1 | S, r1, 0, CAPHEAP_ERR_NOT_BLOCK, "region 1, but lies in 0"},
        {((word_t)3 << REGION_SHIFT) | S, 0, 0, CAPHEAP_ERR_NOT_BLOCK,
         "region index not in use"},
        {r0 | S, r1, 0, CAPHEAP_ERR_NOT_BLOCK,
         "successor names another region"},
        {r0 | S, r0 | F_PREV_FREE | S, 0, CAPHEAP_ERR_NOT_BLOCK,
         "successor says its predecessor is free"},
        {r0 | S | F_CONTROL, r0, 0, CAPHEAP_ERR_NOT_BLOCK, "a control block"},
        {r0 | S | F_PREV_FREE, r0, 0, CAPHEAP_ERR_NOT_BLOCK,
         "free predecessor with footer 0"},
        {r0 | S | F_PREV_FREE, r0, 4 * ALIGN, CAPHEAP_ERR_NOT_BLOCK,
         "free predecessor whose header is not free"},
        {r0 | S | F_PREV_FREE, r0, (word_t)A_SIZE * 2, CAPHEAP_ERR_NOT_BLOCK,
         "footer larger than the region"},
        {r0 | S | F_FREE, r0 | F_PREV_FREE, 0, CAPHEAP_ERR_DOUBLE_FREE,
         "a consistent free header reads as a double free"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_fill(p, f->live_n[6], 6);
        *hdr = cases[i].hdr;
        *next = cases[i].next;
        *foot = cases[i].foot;
        /* (A footer of 4 units points at pattern data: not a free header.) */
        f->live[6] = NULL; /* its pattern is broken on purpose */
        reject_at(f, q, cases[i].code, cases[i].what, __LINE__);
        f->live[6] = p;
    }
    ts_fill(p, f->live_n[6], 6);
    check_live(f);
}

/* Three physically consecutive live blocks lo < mid < hi of tag 0. */
static void three_in_a_row(capheap_heap_t *h, unsigned char **lo,
                           unsigned char **mid, unsigned char **hi) {
    unsigned char *v[3];
    for (int i = 0; i < 3; i++) {
        v[i] = capheap_heap_alloc(h, 0, 200);
        assert_non_null(v[i]);
        ts_fill(v[i], 200, 50 + (uint32_t)i);
    }
    /* Sort by address; they were carved from one free block, so they are
     * neighbours. */
    for (int i = 0; i < 3; i++) {
        for (int j = i + 1; j < 3; j++) {
            if (v[j] < v[i]) {
                unsigned char *t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
        }
    }
    assert_ptr_equal(ct_next_block(h, v[0]).ptr, v[1]);
    assert_ptr_equal(ct_next_block(h, v[1]).ptr, v[2]);
    *lo = v[0];
    *mid = v[1];
    *hi = v[2];
}

static void double_frees(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    /* Immediately. */
    unsigned char *p = capheap_heap_alloc(h, 1, 300);
    assert_non_null(p);
    capheap_heap_free(h, p);
    ct_assert_no_error();
    REJECT(f, p, CAPHEAP_ERR_DOUBLE_FREE);

    /* Merged into the free block before it. */
    unsigned char *lo, *mid, *hi;
    three_in_a_row(h, &lo, &mid, &hi);
    capheap_heap_free(h, lo);
    capheap_heap_free(h, mid);
    ct_assert_no_error();
    REJECT(f, mid, CAPHEAP_ERR_DOUBLE_FREE);
    REJECT(f, lo, CAPHEAP_ERR_DOUBLE_FREE);
    capheap_heap_free(h, hi);
    ct_assert_no_error();
    REJECT(f, hi, CAPHEAP_ERR_DOUBLE_FREE);

    /* Absorbing the free block after it. */
    three_in_a_row(h, &lo, &mid, &hi);
    capheap_heap_free(h, hi);
    capheap_heap_free(h, mid);
    ct_assert_no_error();
    REJECT(f, mid, CAPHEAP_ERR_DOUBLE_FREE);
    REJECT(f, hi, CAPHEAP_ERR_DOUBLE_FREE);
    capheap_heap_free(h, lo);
    ct_assert_no_error();
    REJECT(f, lo, CAPHEAP_ERR_DOUBLE_FREE);

    /* Both sides at once. */
    three_in_a_row(h, &lo, &mid, &hi);
    capheap_heap_free(h, lo);
    capheap_heap_free(h, hi);
    capheap_heap_free(h, mid);
    ct_assert_no_error();
    REJECT(f, lo, CAPHEAP_ERR_DOUBLE_FREE);
    REJECT(f, mid, CAPHEAP_ERR_DOUBLE_FREE);
    REJECT(f, hi, CAPHEAP_ERR_DOUBLE_FREE);

    /* A block freed by realloc(p, 0) and one left behind by a move. */
    p = capheap_heap_alloc(h, 1, 100);
    assert_null(capheap_heap_realloc(h, p, 0));
    REJECT(f, p, CAPHEAP_ERR_DOUBLE_FREE);
    three_in_a_row(h, &lo, &mid, &hi);
    unsigned char *moved = capheap_heap_realloc(h, mid, 5000);
    assert_non_null(moved);
    assert_ptr_not_equal(moved, mid);
    REJECT(f, mid, CAPHEAP_ERR_DOUBLE_FREE);
    capheap_heap_free(h, lo);
    capheap_heap_free(h, hi);
    capheap_heap_free(h, moved);

    /* A free block that was never handed out. */
    capheap_block_info_t bl[32];
    size_t n = ct_blocks(h, bl, 32);
    for (size_t i = 0; i < n; i++) {
        if (!bl[i].used)
            REJECT(f, bl[i].ptr, CAPHEAP_ERR_DOUBLE_FREE);
    }
    ct_assert_no_error();
}

/* live_size answers for live blocks exactly like usable_size. */
static void live_size_of_live_blocks(void **state) {
    fx_t *f = *state;
    for (int i = 0; i < NLIVE; i++) {
        size_t u = capheap_heap_usable_size(f->h, f->live[i]);
        assert_true(u >= f->live_n[i]);
        assert_int_equal(capheap_heap_live_size(f->h, f->live[i]), u);
    }
    assert_int_equal(capheap_heap_live_size(f->h, NULL), 0);
    assert_int_equal(ts_errors()->count, 0);
}

/* The hook receives exactly what capheap_report_error() is given. */
static void report_error_reaches_the_hook(void **state) {
    (void)state;
    static const char op[] = "layer_op";
    int x;
    ts_errors_reset();
    capheap_report_error(CAPHEAP_ERR_NOT_BLOCK, &x, op);
    ct_assert_one_error(CAPHEAP_ERR_NOT_BLOCK, &x, "layer_op");
    assert_ptr_equal(ts_errors()->last_op, op);
    capheap_report_error(CAPHEAP_ERR_CORRUPT, NULL, "other");
    assert_int_equal(ts_errors()->count, 2);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
    assert_null(ts_errors()->last_addr);
    ts_errors_reset();
}

static void block_tag_of_null(void **state) {
    fx_t *f = *state;
    /* NULL: free ignores it; realloc and usable_size return NULL / 0. */
    capheap_heap_free(f->h, NULL);
    assert_null(capheap_heap_realloc(f->h, NULL, 10));
    assert_int_equal(capheap_heap_usable_size(f->h, NULL), 0);
    assert_int_equal(ts_errors()->count, 0);
    /* block_tag: "-1 (after the error hook) if ptr is not a live block". */
    assert_int_equal(capheap_heap_block_tag(f->h, NULL), -1);
    assert_int_equal(ts_errors()->count, 1);
    assert_null(ts_errors()->last_addr);
    assert_string_equal(ts_errors()->last_op, "block_tag");
    ts_errors_reset();
    check_live(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(foreign_pointers, setup, teardown),
        cmocka_unit_test_setup_teardown(misaligned_and_interior_pointers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(forged_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(double_frees, setup, teardown),
        cmocka_unit_test_setup_teardown(block_tag_of_null, setup, teardown),
        cmocka_unit_test_setup_teardown(live_size_of_live_blocks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(report_error_reaches_the_hook, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
