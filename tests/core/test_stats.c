/*
 * test_stats.c - statistics (exact field by field), the minimum-free window
 * (reset and restore), and the walker (coverage, order, tiling, early stop).
 */
#include "core_test.h"

/* Free bytes of a fresh region: everything between the control block (if
 * any) and the end marker, less one header. */
static size_t fresh_free(capheap_heap_t *h, unsigned region) {
    capheap_region_info_t r = ct_region(h, region);
    capheap_block_info_t bl[4];
    size_t n = ct_blocks(h, bl, 4);
    size_t ctl = 0;
    for (size_t i = 0; i < n; i++) {
        if (bl[i].region == region && bl[i].control)
            ctl = bl[i].size + HDR_BYTES;
    }
    return (size_t)((char *)r.end - (char *)r.start) - WORD_BYTES - ctl -
           HDR_BYTES;
}

static void stats_exact(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(3, 3);
    unsigned char *arena = ct_arena(16384, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 16384, 1), CAPHEAP_OK);

    capheap_stats_t s = ct_tag_stats(h, 1);
    size_t F0 = fresh_free(h, 0);
    assert_int_equal(s.total_bytes, 16384);
    assert_int_equal(s.free_bytes, F0);
    assert_int_equal(s.largest_free_block, F0);
    assert_int_equal(s.minimum_free_bytes, F0);
    assert_int_equal(s.allocated_bytes, 0);
    assert_int_equal(s.allocated_blocks, 0);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.total_blocks, 1);
    capheap_stats_t all = ct_heap_stats(h);
    ct_assert_stats_equal(all, s);

    /* Three blocks: b sits between a and c whatever the carving order. */
    void *a = capheap_heap_alloc(h, 1, 100);
    void *b = capheap_heap_alloc(h, 1, 200);
    void *c = capheap_heap_alloc(h, 1, 300);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    size_t ua = capheap_heap_usable_size(h, a);
    size_t ub = capheap_heap_usable_size(h, b);
    size_t uc = capheap_heap_usable_size(h, c);
    size_t F1 = F0 - (ua + ub + uc) - 3 * HDR_BYTES;
    s = ct_tag_stats(h, 1);
    assert_int_equal(s.allocated_blocks, 3);
    assert_int_equal(s.allocated_bytes, ua + ub + uc);
    assert_int_equal(s.free_bytes, F1);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.total_blocks, 4);
    assert_int_equal(s.largest_free_block, F1);
    assert_int_equal(s.minimum_free_bytes, F1);
    assert_int_equal(s.total_bytes, 16384);

    capheap_heap_free(h, b);
    s = ct_tag_stats(h, 1);
    assert_int_equal(s.allocated_blocks, 2);
    assert_int_equal(s.allocated_bytes, ua + uc);
    assert_int_equal(s.free_bytes, F1 + ub);
    assert_int_equal(s.free_blocks, 2);
    assert_int_equal(s.total_blocks, 4);
    assert_int_equal(s.minimum_free_bytes, F1); /* freeing never lowers it */

    /* Freeing a merges it with b's block (a header comes back); the
     * conservation of block bytes below is exact whatever else merged. */
    capheap_heap_free(h, a);
    s = ct_tag_stats(h, 1);
    size_t F2 = s.free_bytes;
    ct_tally_t t = ct_tally(h, 1);
    assert_int_equal(t.free_bytes, F2);
    assert_int_equal(s.free_blocks, t.free);
    assert_int_equal(s.allocated_blocks, 1);
    assert_int_equal(s.allocated_bytes, uc);
    assert_true(F2 >= F1 + ub + ua);
    assert_int_equal(F2 + uc + HDR_BYTES * s.total_blocks,
                     F0 + HDR_BYTES); /* the block bytes are constant */

    /* A monitoring window. */
    assert_int_equal(capheap_heap_reset_min_free(h, 1), F1);
    s = ct_tag_stats(h, 1);
    assert_int_equal(s.minimum_free_bytes, F2);
    void *d = capheap_heap_alloc(h, 1, 1000);
    assert_non_null(d);
    size_t F3 = ct_tag_stats(h, 1).free_bytes;
    assert_int_equal(ct_tag_stats(h, 1).minimum_free_bytes, F3);
    capheap_heap_free(h, d);
    assert_int_equal(ct_tag_stats(h, 1).minimum_free_bytes, F3);
    /* End it: the older, lower minimum comes back ... */
    capheap_heap_restore_min_free(h, 1, F1);
    assert_int_equal(ct_tag_stats(h, 1).minimum_free_bytes, F1 < F3 ? F1 : F3);
    /* ... and a higher value never raises it. */
    capheap_heap_restore_min_free(h, 1, F0);
    assert_int_equal(ct_tag_stats(h, 1).minimum_free_bytes, F1 < F3 ? F1 : F3);
    /* Nested windows. */
    size_t outer = capheap_heap_reset_min_free(h, 1);
    size_t inner = capheap_heap_reset_min_free(h, 1);
    assert_int_equal(inner, ct_tag_stats(h, 1).free_bytes);
    capheap_heap_restore_min_free(h, 1, inner);
    capheap_heap_restore_min_free(h, 1, outer);
    assert_int_equal(ct_tag_stats(h, 1).minimum_free_bytes, outer);

    /* A second tag: the heap's stats are sums, maximum, sum of minima. */
    unsigned char *arena2 = ct_arena(40000, 0);
    assert_int_equal(capheap_heap_add_region(h, arena2, 40000, 2), CAPHEAP_OK);
    void *e = capheap_heap_alloc(h, 2, 5000);
    assert_non_null(e);
    capheap_stats_t s1 = ct_tag_stats(h, 1), s2 = ct_tag_stats(h, 2);
    capheap_stats_t z = ct_tag_stats(h, 0), zero;
    memset(&zero, 0, sizeof zero);
    ct_assert_stats_equal(z, zero);
    all = ct_heap_stats(h);
    assert_int_equal(all.total_bytes, s1.total_bytes + s2.total_bytes);
    assert_int_equal(all.free_bytes, s1.free_bytes + s2.free_bytes);
    assert_int_equal(all.allocated_bytes,
                     s1.allocated_bytes + s2.allocated_bytes);
    assert_int_equal(all.largest_free_block,
                     s1.largest_free_block > s2.largest_free_block
                         ? s1.largest_free_block
                         : s2.largest_free_block);
    assert_int_equal(all.minimum_free_bytes,
                     s1.minimum_free_bytes + s2.minimum_free_bytes);
    assert_int_equal(all.allocated_blocks,
                     s1.allocated_blocks + s2.allocated_blocks);
    assert_int_equal(all.free_blocks, s1.free_blocks + s2.free_blocks);
    assert_int_equal(all.total_blocks, s1.total_blocks + s2.total_blocks);
    assert_int_equal(s2.allocated_bytes, capheap_heap_usable_size(h, e));
    assert_int_equal(capheap_heap_largest_free(h, 2), s2.largest_free_block);
    assert_int_equal(capheap_heap_largest_free(h, 1), s1.largest_free_block);
    assert_int_equal(capheap_heap_largest_free(h, 0), 0);
    assert_int_equal(capheap_heap_free_bytes(h, 1), s1.free_bytes);
    assert_int_equal(capheap_heap_free_bytes(h, 2), s2.free_bytes);
    assert_int_equal(capheap_heap_free_bytes(h, 0), 0); /* no region */

    /* Bad arguments change nothing. */
    capheap_stats_t junk;
    assert_int_equal(capheap_heap_tag_stats(NULL, 1, &junk),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_tag_stats(h, 1, NULL),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_tag_stats(h, 3, &junk),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_largest_free(h, 3), 0);
    assert_int_equal(capheap_heap_free_bytes(h, 3), 0);
    assert_int_equal(capheap_heap_free_bytes(NULL, 1), 0);
    assert_int_equal(capheap_heap_largest_free(NULL, 1), 0);
    assert_int_equal(capheap_heap_reset_min_free(h, 3), 0);
    assert_int_equal(capheap_heap_reset_min_free(NULL, 1), 0);
    capheap_heap_restore_min_free(h, 3, 0);
    capheap_heap_restore_min_free(NULL, 1, 0);
    capheap_stats_t again = ct_heap_stats(h);
    ct_assert_stats_equal(again, all);
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
    ts_arena_free(arena2);
}

/* The minimum follows every way free bytes can fall: alloc, aligned alloc,
 * realloc growing in place and moving. */
static void stats_minimum_tracks_every_decrease(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(32768, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 32768, 0), CAPHEAP_OK);
    void *keep = capheap_heap_alloc(h, 0, 64); /* never freed */
    assert_non_null(keep);
    ts_rng_t r;
    ts_rng_seed(&r, 3);
    void *v[16] = {0};
    for (int it = 0; it < 4000; it++) {
        size_t min_before = ct_tag_stats(h, 0).minimum_free_bytes;
        size_t free_before = ct_tag_stats(h, 0).free_bytes;
        int i = (int)ts_rng_range(&r, 0, 15);
        int op = (int)ts_rng_range(&r, 0, 3);
        size_t n = (size_t)ts_rng_range(&r, 1, 2000);
        int moved = 0;
        if (!v[i]) {
            v[i] = op == 0 ? capheap_heap_aligned_alloc(h, 0, 256, n)
                           : capheap_heap_alloc(h, 0, n);
        } else if (op == 0) {
            capheap_heap_free(h, v[i]);
            v[i] = NULL;
        } else {
            void *q = capheap_heap_realloc(h, v[i], n);
            if (q) {
                moved = q != v[i];
                v[i] = q;
            }
        }
        capheap_stats_t s = ct_tag_stats(h, 0);
        size_t low = s.free_bytes < min_before ? s.free_bytes : min_before;
        if (moved) /* both blocks existed for a moment: maybe lower still */
            assert_true(s.minimum_free_bytes <= low);
        else if (s.free_bytes <= free_before) /* fell or stayed: follows */
            assert_int_equal(s.minimum_free_bytes, low);
        else /* rose: unchanged */
            assert_int_equal(s.minimum_free_bytes, min_before);
        assert_true(s.minimum_free_bytes <= s.free_bytes);
        if (it % 500 == 0) {
            /* A fresh window starts at the current value. */
            capheap_heap_reset_min_free(h, 0);
            assert_int_equal(ct_tag_stats(h, 0).minimum_free_bytes,
                             s.free_bytes);
        }
    }
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- walker ------------------------------------------------------------ */

typedef struct {
    capheap_block_info_t v[512];
    size_t n;
    size_t stop_at; /* return false on this call (1-based), 0 never */
} rec_t;

static bool rec_fn(const capheap_block_info_t *b, void *user) {
    rec_t *r = user;
    if (r->n < 512)
        r->v[r->n] = *b;
    r->n++;
    return r->n != r->stop_at;
}

static void walker_visits_every_block(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(4, 2);
    unsigned char *arena = ct_arena(3 * 16384, 0);
    static const unsigned tags[] = {0, 1, 0};
    static const size_t offs[] = {5, 16384 + 3, 32768};
    static const size_t sizes[] = {16000, 14001, 16384};
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(
            capheap_heap_add_region(h, arena + offs[i], sizes[i], tags[i]),
            CAPHEAP_OK);
    }
    enum { NV = 120 };
    void *mine[NV];
    int live[NV];
    ts_rng_t r;
    ts_rng_seed(&r, 11);
    for (int i = 0; i < NV; i++) {
        unsigned tag = (unsigned)(i % 3 == 1);
        size_t n = (size_t)ts_rng_range(&r, 1, 400);
        mine[i] = i % 7 == 0 ? capheap_heap_aligned_alloc(h, tag, 128, n)
                             : capheap_heap_alloc(h, tag, n);
        assert_non_null(mine[i]);
        live[i] = 1;
    }
    for (int i = 0; i < NV; i += 3) {
        capheap_heap_free(h, mine[i]);
        live[i] = 0;
    }

    static rec_t rec;
    memset(&rec, 0, sizeof rec);
    assert_true(capheap_heap_walk(h, rec_fn, &rec));
    assert_true(rec.n <= 512);
    size_t N = rec.n;

    /* Regions in order; blocks tile each region in address order. */
    size_t k = 0;
    size_t used[2] = {0, 0}, frees[2] = {0, 0}, ctls[2] = {0, 0};
    size_t used_b[2] = {0, 0}, free_b[2] = {0, 0};
    for (unsigned reg = 0; reg < 3; reg++) {
        capheap_region_info_t ri = ct_region(h, reg);
        uintptr_t at = (uintptr_t)ri.start;
        assert_true(k < N);
        while (k < N && rec.v[k].region == reg) {
            const capheap_block_info_t *b = &rec.v[k];
            assert_int_equal(b->tag, tags[reg]);
            assert_int_equal((uintptr_t)b->ptr - HDR_BYTES, at);
            assert_int_equal((uintptr_t)b->ptr % ALIGN, 0);
            assert_true(b->size >= MIN_BLOCK - HDR_BYTES);
            assert_true(b->used || !b->control);
            at = (uintptr_t)b->ptr + b->size;
            unsigned t = b->tag;
            if (b->control)
                ctls[t]++;
            else if (b->used)
                used[t]++, used_b[t] += b->size;
            else
                frees[t]++, free_b[t] += b->size;
            k++;
        }
        assert_int_equal(at + WORD_BYTES, (uintptr_t)ri.end);
    }
    assert_int_equal(k, N);
    for (unsigned t = 0; t < 2; t++) {
        capheap_stats_t s = ct_tag_stats(h, t);
        assert_int_equal(ctls[t], 1);
        assert_int_equal(used[t], s.allocated_blocks);
        assert_int_equal(frees[t], s.free_blocks);
        assert_int_equal(used_b[t], s.allocated_bytes);
        assert_int_equal(free_b[t], s.free_bytes);
    }
    /* Each of the test's blocks appears once, live iff not freed, with its
     * usable size. */
    for (int i = 0; i < NV; i++) {
        int seen = 0;
        for (size_t j = 0; j < N; j++) {
            if (rec.v[j].ptr != mine[i])
                continue;
            seen++;
            if (live[i]) {
                assert_true(rec.v[j].used);
                assert_false(rec.v[j].control);
                assert_int_equal(rec.v[j].size,
                                 capheap_heap_usable_size(h, mine[i]));
            } else {
                assert_false(rec.v[j].used);
            }
        }
        assert_true(live[i] ? seen == 1 : seen <= 1);
    }

    /* Stopping early: exactly as many calls as asked for. */
    for (size_t stop = 1; stop <= N; stop++) {
        memset(&rec, 0, sizeof rec);
        rec.stop_at = stop;
        assert_false(capheap_heap_walk(h, rec_fn, &rec));
        assert_int_equal(rec.n, stop);
    }
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stats_exact),
        cmocka_unit_test(stats_minimum_tracks_every_decrease),
        cmocka_unit_test(walker_visits_every_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
