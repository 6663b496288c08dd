/*
 * test_alloc.c - allocation, aligned allocation, realloc and the per-block
 * queries (usable_size, containing_block, block_tag), exhaustion, and the
 * separation of tags.
 *
 * Expectations are stated so that they hold whatever end of a free block the
 * heap carves from: the walker tells which blocks are neighbours.
 */
#include "core_test.h"

enum { ARENA = 65536 };

typedef struct {
    capheap_heap_t *h;
    unsigned char *arena;
    size_t arena_size;
} fx_t;

static int setup(void **state) {
    fx_t *f = malloc(sizeof *f);
    assert_non_null(f);
    f->h = ct_heap_new(4, 3);
    f->arena_size = ARENA;
    f->arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(f->h, f->arena, ARENA, 0),
                     CAPHEAP_OK);
    ts_errors_install();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ct_assert_no_error(); /* no test here expects a hook call it did not
                             reset */
    ts_assert_heap_ok(f->h);
    ct_heap_delete(f->h);
    ts_arena_free(f->arena);
    free(f);
    return 0;
}

static void alloc_edge_sizes(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    ct_snap_t a;
    ct_snap_take(&a, f->arena, f->arena_size);

    assert_null(capheap_heap_alloc(h, 0, 0));
    for (size_t k = 0; k <= 2 * ALIGN + HDR_BYTES; k++)
        assert_null(capheap_heap_alloc(h, 0, SIZE_MAX - k));
    assert_null(capheap_heap_alloc(h, 0, SIZE_MAX / 2));
    assert_null(capheap_heap_alloc(h, 0, MAX_BLOCK));
    assert_null(capheap_heap_alloc(h, 0, MAX_BLOCK - HDR_BYTES));
    assert_null(capheap_heap_alloc(h, 0, MAX_BLOCK - HDR_BYTES + 1));
    assert_null(capheap_heap_alloc(h, 0, ARENA));
    assert_null(capheap_heap_alloc(h, 1, 1)); /* tag without a region */
    assert_null(capheap_heap_alloc(h, 3, 1)); /* tag out of range */
    assert_null(capheap_heap_alloc(h, ~0u, 1));
    capheap_stats_t s = ct_tag_stats(h, 0);
    ct_assert_stats_equal(s, s0);
    assert_true(ct_snap_same(&a));
    ct_snap_drop(&a);

    /* One free block: its reported size is exactly what can be had. */
    assert_int_equal(s0.free_blocks, 1);
    size_t L = s0.largest_free_block;
    assert_int_equal(L, s0.free_bytes);
    assert_null(capheap_heap_alloc(h, 0, L + 1));
    unsigned char *p = capheap_heap_alloc(h, 0, L);
    assert_non_null(p);
    assert_int_equal(capheap_heap_usable_size(h, p), L);
    ts_fill(p, L, 7);
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, 0);
    assert_int_equal(s.free_blocks, 0);
    assert_int_equal(s.largest_free_block, 0);
    assert_int_equal(s.allocated_bytes, L);
    assert_null(capheap_heap_alloc(h, 0, 1));
    ts_assert_heap_ok(h);
    assert_true(ts_verify(p, L, 7));
    capheap_heap_free(h, p);

    /* Just below: fits, and keeps no more than a too-small remainder. */
    p = capheap_heap_alloc(h, 0, L - 1);
    assert_non_null(p);
    assert_int_equal(capheap_heap_usable_size(h, p), L);
    capheap_heap_free(h, p);
    p = capheap_heap_alloc(h, 0, L - MIN_BLOCK);
    assert_non_null(p);
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.free_bytes, MIN_BLOCK - HDR_BYTES);
    capheap_heap_free(h, p);

    /* The smallest request gets the smallest block. */
    p = capheap_heap_alloc(h, 0, 1);
    assert_non_null(p);
    assert_int_equal(capheap_heap_usable_size(h, p), MIN_BLOCK - HDR_BYTES);
    capheap_heap_free(h, p);
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.allocated_blocks, 0);
}

/* Usable sizes: at least the request, aligned, writable to the last byte,
 * and no more than the rounding of the block layout. */
static void alloc_usable_sizes(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    /* Cut from one large free block: exactly the layout's rounding. */
    for (size_t n = 1; n <= 5000; n++) {
        unsigned char *p = capheap_heap_alloc(h, 0, n);
        assert_non_null(p);
        assert_int_equal(capheap_heap_usable_size(h, p),
                         ct_block_size(n) - HDR_BYTES);
        capheap_heap_free(h, p);
    }
    /* Among holes: a remainder too small to be a block may stay with it. */
    unsigned char *prev = NULL;
    size_t prev_n = 0;
    for (size_t n = 1; n <= 3000; n += (n < 300 ? 1 : 37)) {
        unsigned char *p = capheap_heap_alloc(h, 0, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % CAPHEAP_ALIGNMENT, 0);
        size_t u = capheap_heap_usable_size(h, p);
        assert_true(u >= n);
        assert_true(u >= ct_block_size(n) - HDR_BYTES);
        assert_true(u < ct_block_size(n) - HDR_BYTES + MIN_BLOCK);
        assert_true(ct_inside_tag(h, p, u, 0));
        assert_int_equal(capheap_heap_block_tag(h, p), 0);
        ts_fill(p, u, (uint32_t)n);
        if (prev) { /* the neighbour allocated before is intact */
            assert_true(ts_verify(prev, prev_n, (uint32_t)(prev_n)));
            capheap_heap_free(h, prev);
        }
        prev = p;
        prev_n = u;
        ts_fill(prev, prev_n, (uint32_t)prev_n);
    }
    capheap_heap_free(h, prev);
    capheap_stats_t s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.free_blocks, 1);
}

/* Whatever the fragmentation, an allocation of the reported largest free
 * block succeeds, one byte more fails, and the report is in the class of the
 * real largest. */
static void alloc_largest_free_is_guaranteed(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    enum { MAXB = 256 };
    void *b[MAXB];
    size_t nb = 0;
    ts_rng_t r;
    ts_rng_seed(&r, 42);
    for (int it = 0; it < 3000; it++) {
        if (nb < MAXB && (nb == 0 || ts_rng_range(&r, 0, 99) < 55)) {
            void *p =
                capheap_heap_alloc(h, 0, (size_t)ts_rng_range(&r, 1, 1500));
            if (p)
                b[nb++] = p;
        } else {
            size_t i = (size_t)ts_rng_range(&r, 0, nb - 1);
            capheap_heap_free(h, b[i]);
            b[i] = b[--nb];
        }
        size_t L = capheap_heap_largest_free(h, 0);
        capheap_stats_t s = ct_tag_stats(h, 0);
        assert_int_equal(s.largest_free_block, L);
        ct_tally_t t = ct_tally(h, 0);
        assert_true(L <= t.largest_free);
        if (t.largest_free)
            assert_int_equal(bin_of(L + HDR_BYTES),
                             bin_of(t.largest_free + HDR_BYTES));
        else
            assert_int_equal(L, 0);
        /* The largest size guaranteed: one byte more cannot be had. */
        assert_null(capheap_heap_alloc(h, 0, L + 1));
        if (L) {
            void *p = capheap_heap_alloc(h, 0, L);
            assert_non_null(p);
            assert_true(capheap_heap_usable_size(h, p) >= L);
            capheap_heap_free(h, p);
        }
    }
    while (nb)
        capheap_heap_free(h, b[--nb]);
    ts_assert_heap_ok(h);
}

/* For every power-of-two alignment the reported size can be had, and one
 * byte more cannot; for alignments the heap gives anyway it is the largest
 * free block. */
static void largest_free_aligned_is_guaranteed(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    enum { MAXB = 128 };
    void *b[MAXB];
    size_t nb = 0;
    ts_rng_t r;
    ts_rng_seed(&r, 5);
    for (int it = 0; it < 400; it++) {
        if (nb < MAXB && (nb == 0 || ts_rng_range(&r, 0, 99) < 60)) {
            void *p =
                capheap_heap_alloc(h, 0, (size_t)ts_rng_range(&r, 1, 3000));
            if (p)
                b[nb++] = p;
        } else {
            size_t i = (size_t)ts_rng_range(&r, 0, nb - 1);
            capheap_heap_free(h, b[i]);
            b[i] = b[--nb];
        }
        size_t L = capheap_heap_largest_free(h, 0);
        for (size_t a = 1; a <= 8192; a *= 2) {
            size_t La = capheap_heap_largest_free_aligned(h, 0, a);
            if (a <= CAPHEAP_ALIGNMENT)
                assert_int_equal(La, L);
            assert_true(La <= L);
            /* The largest: one byte more never fits (so nothing does when
             * it is 0). */
            assert_null(capheap_heap_aligned_alloc(h, 0, a, La + 1));
            if (La) {
                unsigned char *p = capheap_heap_aligned_alloc(h, 0, a, La);
                assert_non_null(p);
                assert_int_equal((uintptr_t)p % a, 0);
                assert_true(capheap_heap_usable_size(h, p) >= La);
                capheap_heap_free(h, p);
            }
        }
    }
    assert_int_equal(capheap_heap_largest_free_aligned(h, 1, 64), 0);
    assert_int_equal(capheap_heap_largest_free_aligned(h, 3, 64), 0);
    assert_int_equal(capheap_heap_largest_free_aligned(h, 3, 1), 0);
    while (nb)
        capheap_heap_free(h, b[--nb]);
}

/* alloc_from serves from the first tag in the list that has room; tags
 * without a region or out of range are passed over. */
static void alloc_from_prefers_tags_in_order(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(4, 4);
    unsigned char *arena = ct_arena(3 * 16384, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0), CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, arena + 16384, 16384, 1),
                     CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, arena + 32768, 8192, 3),
                     CAPHEAP_OK);
    capheap_stats_t s0 = ct_heap_stats(h);
    static const uint8_t t01[] = {0, 1}, t2[] = {2}, t20[] = {2, 0},
                         t91[] = {9, 1}, t331[] = {3, 3, 1}, t02[] = {0, 2};
    /* Nothing to do. */
    assert_null(capheap_heap_alloc_from(h, t01, 0, 16));
    assert_null(capheap_heap_alloc_from(h, t01, 2, 0));
    assert_null(capheap_heap_alloc_from(h, t01, 2, SIZE_MAX));
    assert_null(capheap_heap_alloc_from(h, t2, 1, 16));
    capheap_stats_t s = ct_heap_stats(h);
    ct_assert_stats_equal(s, s0);

    void *p = capheap_heap_alloc_from(h, t20, 2, 100);
    assert_non_null(p);
    assert_int_equal(capheap_heap_block_tag(h, p), 0);
    capheap_heap_free(h, p);
    p = capheap_heap_alloc_from(h, t91, 2, 100);
    assert_non_null(p);
    assert_int_equal(capheap_heap_block_tag(h, p), 1);
    capheap_heap_free(h, p);
    p = capheap_heap_alloc_from(h, t331, 3, 100);
    assert_non_null(p);
    assert_int_equal(capheap_heap_block_tag(h, p), 3);
    assert_true(ct_inside_tag(h, p, 100, 3));
    capheap_heap_free(h, p);

    /* Tag 0 first while it has room, untouched tag 1; then tag 1. */
    enum { N = 500, MAXP = 64 };
    void *v[MAXP];
    size_t n = 0;
    int spilled = 0;
    for (;;) {
        size_t L0 = capheap_heap_largest_free(h, 0);
        size_t L1 = capheap_heap_largest_free(h, 1);
        capheap_stats_t b0 = ct_tag_stats(h, 0), b1 = ct_tag_stats(h, 1);
        p = capheap_heap_alloc_from(h, t01, 2, N);
        capheap_stats_t a0 = ct_tag_stats(h, 0), a1 = ct_tag_stats(h, 1);
        if (N <= L0) {
            assert_non_null(p);
            assert_int_equal(capheap_heap_block_tag(h, p), 0);
            ct_assert_stats_equal(a1, b1);
            assert_int_equal(spilled, 0);
        } else if (N <= L1) {
            assert_non_null(p);
            assert_int_equal(capheap_heap_block_tag(h, p), 1);
            ct_assert_stats_equal(a0, b0);
            spilled++;
        } else {
            assert_null(p);
            ct_assert_stats_equal(a0, b0);
            ct_assert_stats_equal(a1, b1);
            break;
        }
        assert_true(n < MAXP);
        v[n++] = p;
    }
    assert_true(spilled > 0);
    /* Both full for this size: a list with the same tags gives nothing. */
    assert_null(capheap_heap_alloc_from(h, t02, 2, N));
    while (n)
        capheap_heap_free(h, v[--n]);
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
}

static int is_pow2(size_t a) {
    return a && !(a & (a - 1));
}

/* With an offset, the address that many bytes into the payload is the
 * aligned one; counters exact, head and tail gaps merged back; an offset no
 * payload can meet (not a multiple of A) is refused with nothing changed. */
static void aligned_alloc_with_offset(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    const size_t A = CAPHEAP_ALIGNMENT;
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    unsigned char *keep = capheap_heap_alloc(h, 0, 40); /* a live neighbour */
    assert_non_null(keep);
    uint32_t seed = 7;
    for (size_t a = 1; a <= 2048; a *= 2) {
        for (size_t off = 0; off <= 2 * a + A; off += A) {
            capheap_stats_t before = ct_tag_stats(h, 0);
            size_t n = off + 33;
            unsigned char *p =
                capheap_heap_aligned_alloc_offset(h, 0, a, off, n);
            assert_non_null(p);
            assert_int_equal(((uintptr_t)p + off) % a, 0);
            size_t u = capheap_heap_usable_size(h, p);
            assert_true(u >= n);
            assert_true(ct_inside_tag(h, p, u, 0));
            ts_fill(p, u, seed);
            capheap_stats_t after = ct_tag_stats(h, 0);
            assert_int_equal(after.allocated_blocks,
                             before.allocated_blocks + 1);
            assert_int_equal(after.allocated_bytes, before.allocated_bytes + u);
            ts_assert_heap_ok(h);
            assert_true(ts_verify(p, u, seed++));
            capheap_heap_free(h, p);
            /* The head and tail gaps merged back (the low-water mark alone
             * keeps the allocation's trace). */
            capheap_stats_t back = ct_tag_stats(h, 0);
            assert_int_equal(back.free_bytes, before.free_bytes);
            assert_int_equal(back.free_blocks, before.free_blocks);
            assert_int_equal(back.allocated_bytes, before.allocated_bytes);
        }
    }
    capheap_stats_t before = ct_tag_stats(h, 0);
    assert_null(capheap_heap_aligned_alloc_offset(h, 0, 64, A / 2, 100));
    assert_null(capheap_heap_aligned_alloc_offset(h, 0, 8, A + 4, 100));
    assert_null(capheap_heap_aligned_alloc_offset(h, 0, 24, 0, 100));
    assert_null(capheap_heap_aligned_alloc_offset(h, 0, 0, 0, 100));
    assert_null(capheap_heap_aligned_alloc_offset(h, 0, 64, A, 0));
    assert_null(capheap_heap_aligned_alloc_offset(h, 1, 64, A, 16));
    capheap_stats_t unchanged = ct_tag_stats(h, 0);
    ct_assert_stats_equal(unchanged, before);
    capheap_heap_free(h, keep);
    capheap_stats_t s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.free_blocks, 1);
}

/* full_size: the usable bytes plus the words capheap keeps in the block,
 * the block being a multiple of A with one header word; 0 for anything that
 * is not a live block, without a hook call. */
static void full_size_of_blocks(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    const size_t A = CAPHEAP_ALIGNMENT, W = sizeof(uintptr_t);
    for (size_t n = 1; n < 300; n += 7) {
        unsigned char *p = capheap_heap_alloc(h, 0, n);
        assert_non_null(p);
        size_t u = capheap_heap_usable_size(h, p);
        size_t full = capheap_heap_full_size(h, p);
        assert_int_equal((full + W) % A, 0);
        assert_true(full >= u + CAPHEAP_BLOCK_PREFIX_BYTES);
        assert_true(full < u + CAPHEAP_BLOCK_PREFIX_BYTES + 4 + A);
        if (!CAPHEAP_POISONING)
            assert_int_equal(full, u + CAPHEAP_BLOCK_PREFIX_BYTES);
        assert_int_equal(capheap_heap_full_size(h, p + A), 0);
        capheap_heap_free(h, p);
        assert_int_equal(capheap_heap_full_size(h, p), 0);
    }
    assert_int_equal(capheap_heap_full_size(h, NULL), 0);
    assert_int_equal(capheap_heap_full_size(h, &f), 0);
    assert_int_equal(ts_errors()->count, 0);
}

/* Every alignment from 0 to 4096: powers of two give aligned, writable
 * blocks; everything else NULL with nothing changed. */
static void aligned_alloc_every_alignment(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    static const size_t sizes[] = {1, 24, 100, 777};
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    unsigned char *keep = NULL; /* one block kept live: fragmentation */
    size_t keep_n = 0;
    uint32_t seed = 1;
    for (size_t a = 0; a <= 4096; a++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            capheap_stats_t before = ct_tag_stats(h, 0);
            unsigned char *p = capheap_heap_aligned_alloc(h, 0, a, n);
            if (!is_pow2(a)) {
                assert_null(p);
                capheap_stats_t after = ct_tag_stats(h, 0);
                ct_assert_stats_equal(after, before);
                continue;
            }
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % a, 0);
            assert_int_equal((uintptr_t)p % CAPHEAP_ALIGNMENT, 0);
            size_t u = capheap_heap_usable_size(h, p);
            assert_true(u >= n);
            assert_true(ct_inside_tag(h, p, u, 0));
            assert_ptr_equal(capheap_heap_containing_block(h, p + u - 1), p);
            ts_fill(p, u, seed);
            capheap_stats_t after = ct_tag_stats(h, 0);
            assert_int_equal(after.allocated_blocks,
                             before.allocated_blocks + 1);
            assert_int_equal(after.allocated_bytes, before.allocated_bytes + u);
            if (keep) {
                assert_true(ts_verify(keep, keep_n, seed - 1));
                capheap_heap_free(h, keep);
            }
            keep = p;
            keep_n = u;
            seed++;
        }
        if (a % 64 == 0 || a < 64)
            ts_assert_heap_ok(h);
    }
    capheap_heap_free(h, keep);
    capheap_stats_t s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.free_blocks, 1);

    /* Many aligned blocks at once do not overlap and stay aligned. */
    unsigned char *v[40];
    for (int i = 0; i < 40; i++) {
        size_t al = (size_t)1 << (i % 10 + 3);
        v[i] = capheap_heap_aligned_alloc(h, 0, al, 50 + 13 * (size_t)i);
        assert_non_null(v[i]);
        assert_int_equal((uintptr_t)v[i] % al, 0);
        ts_fill(v[i], 50 + 13 * (size_t)i, (uint32_t)i + 1000);
    }
    ts_assert_heap_ok(h);
    for (int i = 0; i < 40; i++) {
        assert_true(ts_verify(v[i], 50 + 13 * (size_t)i, (uint32_t)i + 1000));
        capheap_heap_free(h, v[i]);
    }
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);

    /* Requests that cannot be met. */
    assert_null(capheap_heap_aligned_alloc(h, 0, 64, 0));
    assert_null(capheap_heap_aligned_alloc(h, 0, 64, SIZE_MAX));
    assert_null(capheap_heap_aligned_alloc(h, 0, 8, SIZE_MAX - 8));
    assert_null(capheap_heap_aligned_alloc(h, 0, SIZE_MAX / 2 + 1, 16));
    assert_null(capheap_heap_aligned_alloc(h, 0, (size_t)1 << 20, 16));
    assert_null(capheap_heap_aligned_alloc(h, 0, SIZE_MAX, 16));
    assert_null(capheap_heap_aligned_alloc(h, 1, 64, 16));
    assert_null(capheap_heap_aligned_alloc(h, 3, 64, 16));
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.allocated_blocks, 0);
}

static void shuffle(void **v, size_t n, ts_rng_t *r) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ts_rng_range(r, 0, i - 1);
        void *t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* Allocate until NULL; every byte is then in use; freeing everything
 * returns exactly the initial free bytes. */
static void region_exhausted_exactly(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    size_t maxp = ARENA / MIN_BLOCK + 1;
    void **v = malloc(maxp * sizeof *v);
    assert_non_null(v);
    ts_rng_t r;
    ts_rng_seed(&r, 7);

    /* Smallest blocks: the free block is cut into exactly size / MIN. */
    size_t n = 0;
    void *p;
    while ((p = capheap_heap_alloc(h, 0, 1)) != NULL) {
        assert_true(n < maxp);
        v[n++] = p;
    }
    assert_int_equal(n, (s0.free_bytes + HDR_BYTES) / MIN_BLOCK);
    capheap_stats_t s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, 0);
    assert_int_equal(s.free_blocks, 0);
    assert_int_equal(s.largest_free_block, 0);
    assert_int_equal(s.allocated_blocks, n);
    assert_int_equal(s.minimum_free_bytes, 0);
    assert_null(capheap_heap_aligned_alloc(h, 0, 1, 1));
    assert_null(capheap_heap_aligned_alloc(h, 0, 256, 1));
    ts_assert_heap_ok(h);
    shuffle(v, n, &r);
    for (size_t i = 0; i < n; i++)
        capheap_heap_free(h, v[i]);
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.largest_free_block, s0.largest_free_block);

    /* Mixed sizes: a refusal is always larger than the largest free block;
     * then the rest is taken by what the heap reports. */
    for (int round = 0; round < 4; round++) {
        n = 0;
        int refusals = 0;
        for (;;) {
            size_t want = (size_t)ts_rng_range(&r, 1, 3000);
            size_t L = capheap_heap_largest_free(h, 0);
            p = capheap_heap_alloc(h, 0, want);
            if (!p) {
                assert_true(want > L);
                refusals++;
                if (L == 0)
                    break;
                if (refusals > 20) {
                    p = capheap_heap_alloc(h, 0, L);
                    assert_non_null(p);
                }
            }
            if (p) {
                assert_true(n < maxp);
                v[n++] = p;
            }
        }
        s = ct_tag_stats(h, 0);
        assert_int_equal(s.free_bytes, 0);
        assert_int_equal(s.free_blocks, 0);
        ts_assert_heap_ok(h);
        shuffle(v, n, &r);
        for (size_t i = 0; i < n; i++)
            capheap_heap_free(h, v[i]);
        s = ct_tag_stats(h, 0);
        assert_int_equal(s.free_bytes, s0.free_bytes);
        assert_int_equal(s.free_blocks, 1);
        assert_int_equal(s.allocated_bytes, 0);
    }
    free(v);
}

/* ---- realloc ----------------------------------------------------------- */

enum { NB = 12, BN = 1000 };

/* NB blocks of BN bytes, filled with seed = index. */
static void make_blocks(capheap_heap_t *h, unsigned char **b) {
    for (int i = 0; i < NB; i++) {
        b[i] = capheap_heap_alloc(h, 0, BN);
        assert_non_null(b[i]);
        ts_fill(b[i], capheap_heap_usable_size(h, b[i]), (uint32_t)i);
    }
}

/* Index of a block whose physical successor is also one of ours. */
static int with_live_next(capheap_heap_t *h, unsigned char **b, int skip) {
    for (int i = 0; i < NB; i++) {
        if (i == skip || !b[i])
            continue;
        capheap_block_info_t nx = ct_next_block(h, b[i]);
        for (int j = 0; j < NB; j++) {
            if (j != skip && b[j] && nx.ptr == b[j])
                return i;
        }
    }
    fail_msg("no block with a live successor");
    return -1;
}

static int index_of(unsigned char **b, const void *p) {
    for (int i = 0; i < NB; i++) {
        if (b[i] == p)
            return i;
    }
    fail_msg("not one of the test's blocks");
    return -1;
}

static void realloc_null_and_zero(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    assert_null(capheap_heap_realloc(h, NULL, 100));
    assert_null(capheap_heap_realloc(h, NULL, 0));
    capheap_stats_t s = ct_tag_stats(h, 0);
    ct_assert_stats_equal(s, s0);
    ct_assert_no_error();

    void *p = capheap_heap_alloc(h, 0, 100);
    assert_non_null(p);
    assert_null(capheap_heap_realloc(h, p, 0)); /* frees */
    s = ct_tag_stats(h, 0);
    assert_int_equal(s.allocated_blocks, 0);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    ct_assert_no_error();
    capheap_heap_free(h, p); /* so it really was freed */
    ct_assert_one_error(CAPHEAP_ERR_DOUBLE_FREE, p, "free");
    ts_errors_reset();
}

static void realloc_shrinks_in_place(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    unsigned char *b[NB];
    make_blocks(h, b);

    /* Live successor: the tail becomes a free block of its own. */
    int i = with_live_next(h, b, -1);
    unsigned char *p = b[i];
    size_t u0 = capheap_heap_usable_size(h, p);
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    assert_ptr_equal(capheap_heap_realloc(h, p, 100), p);
    size_t u1 = capheap_heap_usable_size(h, p);
    assert_int_equal(u1, ct_block_size(100) - HDR_BYTES);
    assert_true(ts_verify(p, u1, (uint32_t)i));
    capheap_stats_t s1 = ct_tag_stats(h, 0);
    assert_int_equal(s1.allocated_blocks, s0.allocated_blocks);
    assert_int_equal(s1.allocated_bytes, s0.allocated_bytes - (u0 - u1));
    assert_int_equal(s1.free_blocks, s0.free_blocks + 1);
    assert_int_equal(s1.free_bytes, s0.free_bytes + (u0 - u1) - HDR_BYTES);
    capheap_block_info_t nx = ct_next_block(h, p);
    assert_false(nx.used);
    assert_ptr_equal(nx.ptr, p + u1 + HDR_BYTES);
    assert_int_equal(nx.size, u0 - u1 - HDR_BYTES);
    ts_assert_heap_ok(h);

    /* Free successor now: a shrink by any amount joins it. */
    assert_ptr_equal(capheap_heap_realloc(h, p, u1 - ALIGN), p);
    assert_int_equal(capheap_heap_usable_size(h, p), u1 - ALIGN);
    capheap_stats_t s2 = ct_tag_stats(h, 0);
    assert_int_equal(s2.free_blocks, s1.free_blocks);
    assert_int_equal(s2.free_bytes, s1.free_bytes + ALIGN);
    assert_true(ts_verify(p, u1 - ALIGN, (uint32_t)i));
    ts_assert_heap_ok(h);

    /* Live successor, remainder of one alignment unit: split only if that
     * can stand as a block. */
    int j = with_live_next(h, b, i);
    unsigned char *q = b[j];
    size_t uq = capheap_heap_usable_size(h, q);
    ct_snap_t a;
    ct_snap_take(&a, f->arena, f->arena_size);
    capheap_stats_t s3 = ct_tag_stats(h, 0);
    assert_ptr_equal(capheap_heap_realloc(h, q, uq - ALIGN), q);
    capheap_stats_t s4 = ct_tag_stats(h, 0);
    if (ALIGN < MIN_BLOCK) {
        assert_int_equal(capheap_heap_usable_size(h, q), uq);
        ct_assert_stats_equal(s4, s3);
        assert_true(ct_snap_same(&a));
    } else {
        assert_int_equal(capheap_heap_usable_size(h, q), uq - ALIGN);
        assert_int_equal(s4.free_blocks, s3.free_blocks + 1);
    }
    ct_snap_drop(&a);
    /* Same size or within the usable size: same pointer, no change. */
    size_t uq2 = capheap_heap_usable_size(h, q);
    capheap_stats_t s5 = ct_tag_stats(h, 0);
    assert_ptr_equal(capheap_heap_realloc(h, q, uq2), q);
    assert_ptr_equal(capheap_heap_realloc(h, q, uq2 - 1), q);
    capheap_stats_t s6 = ct_tag_stats(h, 0);
    ct_assert_stats_equal(s6, s5);
    assert_true(ts_verify(q, uq2, (uint32_t)j));

    for (int k = 0; k < NB; k++) {
        if (k != i && k != j)
            assert_true(ts_verify(b[k], BN, (uint32_t)k));
        capheap_heap_free(h, b[k]);
    }
}

static void realloc_grows_in_place(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    unsigned char *b[NB];
    make_blocks(h, b);
    int i = with_live_next(h, b, -1);
    unsigned char *p = b[i];
    int x = index_of(b, ct_next_block(h, p).ptr);
    capheap_heap_free(h, b[x]);
    b[x] = NULL;
    capheap_block_info_t nx = ct_next_block(h, p);
    assert_false(nx.used);
    size_t up = capheap_heap_usable_size(h, p);

    /* Part of the free successor. */
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    size_t m0 = s0.minimum_free_bytes;
    assert_ptr_equal(capheap_heap_realloc(h, p, up + 50), p);
    size_t u1 = capheap_heap_usable_size(h, p);
    assert_int_equal(u1, ct_block_size(up + 50) - HDR_BYTES);
    assert_true(ts_verify(p, up, (uint32_t)i));
    capheap_stats_t s1 = ct_tag_stats(h, 0);
    assert_int_equal(s1.free_blocks, s0.free_blocks);
    assert_int_equal(s1.free_bytes, s0.free_bytes - (u1 - up));
    assert_int_equal(s1.allocated_bytes, s0.allocated_bytes + (u1 - up));
    ts_assert_heap_ok(h);
    ts_fill(p, u1, 500);

    /* Leaving a remainder too small for a block: it is taken too. */
    nx = ct_next_block(h, p);
    assert_false(nx.used);
    size_t whole = u1 + HDR_BYTES + nx.size;
    assert_ptr_equal(capheap_heap_realloc(h, p, whole - ALIGN), p);
    capheap_stats_t s2 = ct_tag_stats(h, 0);
    if (ALIGN < MIN_BLOCK) {
        assert_int_equal(capheap_heap_usable_size(h, p), whole);
        assert_int_equal(s2.free_blocks, s1.free_blocks - 1);
        assert_int_equal(s2.free_bytes, s1.free_bytes - nx.size);
    } else {
        assert_int_equal(capheap_heap_usable_size(h, p), whole - ALIGN);
        assert_int_equal(s2.free_blocks, s1.free_blocks);
        /* and the exact rest is what the next step takes */
        nx = ct_next_block(h, p);
        whole = capheap_heap_usable_size(h, p) + HDR_BYTES + nx.size;
        assert_ptr_equal(capheap_heap_realloc(h, p, whole), p);
        assert_int_equal(capheap_heap_usable_size(h, p), whole);
        s2 = ct_tag_stats(h, 0);
        assert_int_equal(s2.free_blocks, s1.free_blocks - 1);
    }
    assert_true(ts_verify(p, u1, 500));
    /* Growing lowers the free bytes: the minimum follows. */
    assert_int_equal(s2.minimum_free_bytes,
                     m0 < s2.free_bytes ? m0 : s2.free_bytes);
    ts_assert_heap_ok(h);
    for (int k = 0; k < NB; k++) {
        if (b[k] && k != i)
            assert_true(ts_verify(b[k], BN, (uint32_t)k));
        capheap_heap_free(h, b[k]);
    }
}

static void realloc_moves_when_it_cannot_grow(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    unsigned char *b[NB];
    make_blocks(h, b);
    int i = with_live_next(h, b, -1);
    unsigned char *p = b[i];
    size_t up = capheap_heap_usable_size(h, p);
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    unsigned char *q = capheap_heap_realloc(h, p, 4 * BN);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    size_t uq = capheap_heap_usable_size(h, q);
    assert_true(uq >= 4 * BN);
    assert_true(ts_verify(q, up, (uint32_t)i));
    assert_true(ct_inside_tag(h, q, uq, 0));
    capheap_stats_t s1 = ct_tag_stats(h, 0);
    assert_int_equal(s1.allocated_blocks, s0.allocated_blocks);
    assert_int_equal(s1.allocated_bytes, s0.allocated_bytes - up + uq);
    ts_assert_heap_ok(h);
    /* The old block was freed. */
    assert_int_equal(capheap_heap_usable_size(h, p), 0);
    ct_assert_one_error(CAPHEAP_ERR_DOUBLE_FREE, p, "usable_size");
    ts_errors_reset();
    b[i] = q;
    for (int k = 0; k < NB; k++) {
        if (k != i)
            assert_true(ts_verify(b[k], BN, (uint32_t)k));
        capheap_heap_free(h, b[k]);
    }
}

/* When no block fits, realloc returns NULL and changes nothing at all. */
static void realloc_failure_keeps_block(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    size_t maxp = ARENA / MIN_BLOCK + 1;
    unsigned char **v = malloc(maxp * sizeof *v);
    assert_non_null(v);
    size_t n = 0;
    for (;;) { /* fill the tag completely */
        unsigned char *p = capheap_heap_alloc(h, 0, 300);
        if (!p) {
            size_t L = capheap_heap_largest_free(h, 0);
            if (!L)
                break;
            p = capheap_heap_alloc(h, 0, L);
        }
        assert_non_null(p);
        ts_fill(p, capheap_heap_usable_size(h, p), (uint32_t)n);
        v[n++] = p;
    }
    unsigned char *p = v[n / 2];
    size_t up = capheap_heap_usable_size(h, p);
    capheap_stats_t s0 = ct_tag_stats(h, 0);
    ct_snap_t a;
    ct_snap_take(&a, f->arena, f->arena_size);
    const size_t sizes[] = {
        up + 1,       up + 1000, up + ARENA,           SIZE_MAX,
        SIZE_MAX - 1, MAX_BLOCK, MAX_BLOCK - HDR_BYTES};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        assert_null(capheap_heap_realloc(h, p, sizes[k]));
        capheap_stats_t s = ct_tag_stats(h, 0);
        ct_assert_stats_equal(s, s0);
        assert_true(ct_snap_same(&a));
        assert_int_equal(capheap_heap_usable_size(h, p), up);
        ct_assert_no_error();
    }
    ct_snap_drop(&a);
    /* Space in another tag does not help. */
    unsigned char *other = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, other, ARENA, 1), CAPHEAP_OK);
    assert_null(capheap_heap_realloc(h, p, up + 1000));
    assert_true(ts_verify(p, up, (uint32_t)(n / 2)));
    for (size_t k = 0; k < n; k++) {
        assert_true(
            ts_verify(v[k], capheap_heap_usable_size(h, v[k]), (uint32_t)k));
        capheap_heap_free(h, v[k]);
    }
    /* Now it fits (the tag is empty) and keeps the tag. */
    p = capheap_heap_alloc(h, 0, 100);
    assert_non_null(p);
    ts_fill(p, 100, 9);
    unsigned char *q = capheap_heap_realloc(h, p, 20000);
    assert_non_null(q);
    assert_int_equal(capheap_heap_block_tag(h, q), 0);
    assert_true(ct_inside_tag(h, q, 20000, 0));
    assert_true(ts_verify(q, 100, 9));
    capheap_heap_free(h, q);
    ts_assert_heap_ok(h);
    /* The heap object outlives `other` only in this test: re-init so the
     * teardown does not look at freed memory. */
    free(v);
    capheap_heap_init(h, CAPHEAP_HEAP_STORAGE_SIZE(4, 3), 4, 3);
    ts_arena_free(other);
}

/* An aligned block keeps its address when it shrinks or grows in place. */
static void realloc_aligned_block(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    unsigned char *p = capheap_heap_aligned_alloc(h, 0, 1024, 2000);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 1024, 0);
    ts_fill(p, 2000, 3);
    assert_ptr_equal(capheap_heap_realloc(h, p, 500), p);
    assert_true(ts_verify(p, 500, 3));
    capheap_block_info_t nx = ct_next_block(h, p); /* the tail just freed */
    assert_non_null(nx.ptr);
    assert_false(nx.used);
    assert_ptr_equal(capheap_heap_realloc(h, p, 1500), p);
    assert_int_equal((uintptr_t)p % 1024, 0);
    assert_true(ts_verify(p, 500, 3));
    capheap_heap_free(h, p);
}

/* ---- per-block queries ------------------------------------------------- */

static void containing_block_and_block_tag(void **state) {
    fx_t *f = *state;
    capheap_heap_t *h = f->h;
    unsigned char *other = ct_arena(8192, 0);
    assert_int_equal(capheap_heap_add_region(h, other, 8192, 2), CAPHEAP_OK);
    unsigned char *v[9];
    for (int i = 0; i < 9; i++) {
        unsigned tag = i % 3 == 2 ? 2 : 0;
        v[i] = capheap_heap_alloc(h, tag, 1 + 97 * (size_t)i);
        assert_non_null(v[i]);
        assert_int_equal(capheap_heap_block_tag(h, v[i]), (int)tag);
    }
    capheap_heap_free(h, v[4]);
    for (int i = 0; i < 9; i++) {
        if (i == 4)
            continue;
        unsigned char *p = v[i];
        size_t u = capheap_heap_usable_size(h, p);
        assert_ptr_equal(capheap_heap_containing_block(h, p), p);
        assert_ptr_equal(capheap_heap_containing_block(h, p + u / 2), p);
        assert_ptr_equal(capheap_heap_containing_block(h, p + u - 1), p);
        /* The header belongs to no payload. */
        assert_null(capheap_heap_containing_block(h, p - 1));
        assert_null(capheap_heap_containing_block(h, p - HDR_BYTES));
        assert_true(capheap_heap_contains(h, p));
    }
    capheap_block_info_t bl[32];
    size_t n = ct_blocks(h, bl, 32);
    int frees = 0, controls = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char *p = bl[k].ptr;
        if (bl[k].used && !bl[k].control)
            continue;
        frees += !bl[k].used;
        controls += bl[k].control;
        assert_null(capheap_heap_containing_block(h, p));
        assert_null(capheap_heap_containing_block(h, p + bl[k].size / 2));
        assert_null(capheap_heap_containing_block(h, p + bl[k].size - 1));
    }
    assert_true(frees >= 2);
    assert_int_equal(controls, 2);
    for (unsigned r = 0; r < 2; r++) {
        capheap_region_info_t ri = ct_region(h, r);
        unsigned char *e = ri.end;
        assert_null(capheap_heap_containing_block(h, e - 1)); /* end marker */
        assert_null(capheap_heap_containing_block(h, e));
        assert_null(capheap_heap_containing_block(h, (char *)ri.start - 1));
    }
    int local;
    assert_null(capheap_heap_containing_block(h, &local));
    assert_null(capheap_heap_containing_block(h, NULL));
    assert_null(capheap_heap_containing_block(h, h));
    ct_assert_no_error();
    for (int i = 0; i < 9; i++) {
        if (i != 4)
            capheap_heap_free(h, v[i]);
    }
    ts_assert_heap_ok(h);
    capheap_heap_init(h, CAPHEAP_HEAP_STORAGE_SIZE(4, 3), 4, 3);
    ts_arena_free(other);
}

/* Each tag is served from its own regions only; one tag running out does
 * not touch another. */
static void tags_kept_apart(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(6, 3);
    unsigned char *arena = ct_arena(6 * 8192, 0);
    static const unsigned tags[] = {0, 1, 0, 2, 1, 0};
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(
            capheap_heap_add_region(h, arena + i * 8192, 8192, tags[i]),
            CAPHEAP_OK);
    }
    capheap_stats_t init[3];
    for (unsigned t = 0; t < 3; t++)
        init[t] = ct_tag_stats(h, t);
    enum { MAXP = 2048 };
    unsigned char **v = malloc(MAXP * sizeof *v);
    assert_non_null(v);
    size_t n = 0;
    ts_rng_t r;
    ts_rng_seed(&r, 99);

    /* Tag 1 holds a few blocks, then tag 0 is exhausted. */
    for (int i = 0; i < 5; i++) {
        v[n] = capheap_heap_alloc(h, 1, 300);
        assert_non_null(v[n]);
        ts_fill(v[n], 300, 1000 + (uint32_t)i);
        n++;
    }
    capheap_stats_t t1 = ct_tag_stats(h, 1), t2 = ct_tag_stats(h, 2);
    size_t n0 = n;
    for (;;) {
        size_t want = (size_t)ts_rng_range(&r, 1, 700);
        unsigned char *p = capheap_heap_alloc(h, 0, want);
        if (!p) {
            if (capheap_heap_largest_free(h, 0) == 0)
                break;
            continue;
        }
        assert_true(n < MAXP);
        assert_true(ct_inside_tag(h, p, capheap_heap_usable_size(h, p), 0));
        assert_int_equal(capheap_heap_block_tag(h, p), 0);
        v[n++] = p;
    }
    capheap_stats_t e1 = ct_tag_stats(h, 1), e2 = ct_tag_stats(h, 2);
    ct_assert_stats_equal(e1, t1);
    ct_assert_stats_equal(e2, t2);
    assert_int_equal(ct_tag_stats(h, 0).free_bytes, 0);
    /* The other tags still serve, from their own regions. */
    for (unsigned t = 1; t < 3; t++) {
        unsigned char *p = capheap_heap_alloc(h, t, 2000);
        assert_non_null(p);
        assert_true(ct_inside_tag(h, p, 2000, t));
        capheap_heap_free(h, p);
    }
    /* Free tag 0 again: tag 1's blocks are intact, its stats untouched. */
    for (size_t i = n0; i < n; i++)
        capheap_heap_free(h, v[i]);
    e1 = ct_tag_stats(h, 1);
    assert_int_equal(e1.allocated_blocks, 5);
    assert_int_equal(e1.allocated_bytes, t1.allocated_bytes);
    assert_int_equal(ct_tag_stats(h, 0).free_bytes, init[0].free_bytes);
    for (size_t i = 0; i < n0; i++) {
        assert_true(ts_verify(v[i], 300, 1000 + (uint32_t)i));
        capheap_heap_free(h, v[i]);
    }
    /* The heap's statistics are the sums over the tags. */
    capheap_stats_t all = ct_heap_stats(h), sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned t = 0; t < 3; t++) {
        capheap_stats_t s = ct_tag_stats(h, t);
        assert_int_equal(s.total_bytes, init[t].total_bytes);
        assert_int_equal(s.free_bytes, init[t].free_bytes);
        assert_int_equal(s.free_blocks, init[t].free_blocks);
        /* The same layout again: the same largest free block, whatever
         * order the lists are in now (test_regress.c). */
        assert_int_equal(s.largest_free_block, init[t].largest_free_block);
        assert_int_equal(s.allocated_blocks, 0);
        assert_int_equal(s.allocated_bytes, 0);
        assert_true(s.minimum_free_bytes < s.free_bytes || t == 2);
        sum.total_bytes += s.total_bytes;
        sum.free_bytes += s.free_bytes;
        sum.free_blocks += s.free_blocks;
    }
    assert_int_equal(all.total_bytes, sum.total_bytes);
    assert_int_equal(all.total_bytes, 6 * 8192);
    assert_int_equal(all.free_bytes, sum.free_bytes);
    assert_int_equal(all.free_blocks, 6);
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    free(v);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(alloc_edge_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(alloc_usable_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(alloc_largest_free_is_guaranteed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(aligned_alloc_every_alignment, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(aligned_alloc_with_offset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(full_size_of_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(largest_free_aligned_is_guaranteed,
                                        setup, teardown),
        cmocka_unit_test(alloc_from_prefers_tags_in_order),
        cmocka_unit_test_setup_teardown(region_exhausted_exactly, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(realloc_null_and_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(realloc_shrinks_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(realloc_grows_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(realloc_moves_when_it_cannot_grow,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(realloc_failure_keeps_block, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(realloc_aligned_block, setup, teardown),
        cmocka_unit_test_setup_teardown(containing_block_and_block_tag, setup,
                                        teardown),
        cmocka_unit_test(tags_kept_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
