/*
 * test_region.c - capheap_heap_add_region() and the region queries: argument
 * errors, size limits, overlap rules (including regions nested in live
 * blocks), slots, unaligned ranges, and migration of the control block.
 */
#include "core_test.h"

enum { GUARD = 0xC3 };

/* Everything a failed add_region could have touched. */
typedef struct {
    ct_snap_t heap, arena;
    unsigned regions;
    capheap_stats_t stats;
} region_snap_t;

static void rsnap_take(region_snap_t *s, capheap_heap_t *h, unsigned nreg,
                       unsigned ntag, const void *arena, size_t arena_size) {
    ct_snap_take(&s->heap, h, CAPHEAP_HEAP_STORAGE_SIZE(nreg, ntag));
    ct_snap_take(&s->arena, arena, arena_size);
    s->regions = capheap_heap_region_count(h);
    s->stats = ct_heap_stats(h);
}

#define rsnap_assert_same(s, h)                                                \
    do {                                                                       \
        assert_int_equal(capheap_heap_region_count(h), (s)->regions);          \
        capheap_stats_t now_ = ct_heap_stats(h);                               \
        ct_assert_stats_equal(now_, (s)->stats);                               \
        assert_true(ct_snap_same(&(s)->heap));                                 \
        assert_true(ct_snap_same(&(s)->arena));                                \
        ts_assert_heap_ok(h);                                                  \
    } while (0)

static void rsnap_drop(region_snap_t *s) {
    ct_snap_drop(&s->heap);
    ct_snap_drop(&s->arena);
}

static void region_rejects_bad_arguments(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(4, 3);
    unsigned char *arena = ct_arena(8192, 0);
    region_snap_t s;
    rsnap_take(&s, h, 4, 3, arena, 8192);

    assert_int_equal(capheap_heap_add_region(NULL, arena, 4096, 0),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_add_region(h, NULL, 4096, 0),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_add_region(h, arena, 0, 0),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 3),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 4),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, ~0u),
                     CAPHEAP_ERR_INVALID_ARG);
    /* A range that wraps around the address space; never dereferenced. */
    void *top = (void *)(UINTPTR_MAX - 1023);
    assert_int_equal(capheap_heap_add_region(h, top, 4096, 0),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_add_region(h, arena, SIZE_MAX, 0),
                     CAPHEAP_ERR_INVALID_ARG);
    rsnap_assert_same(&s, h);
    /* The tag limit is max_tags - 1, inclusive. */
    assert_int_equal(capheap_heap_add_region(h, arena, 8192, 2), CAPHEAP_OK);
    assert_int_equal(ct_region(h, 0).tag, 2);
    ts_assert_heap_ok(h);
    rsnap_drop(&s);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * The smallest region accepted, for every start offset within two alignment
 * units: below it TOO_SMALL, from it on OK. A tag's first region must hold the
 * control block; the threshold must not waste a block's worth of memory.
 */
static void region_size_threshold(void **state) {
    (void)state;
    enum { ARENA = 16384 };
    unsigned char *arena = ct_arena(ARENA, 0);
    capheap_heap_t *h = ct_heap_new(2, 2);
    size_t hsize = CAPHEAP_HEAP_STORAGE_SIZE(2, 2);
    for (size_t off = 0; off < 2 * ALIGN; off++) {
        /* First region of a tag. */
        unsigned char *base = arena + 1024 + off;
        size_t first_ok = 0;
        for (size_t n = 1; n < 4096 && !first_ok; n++) {
            assert_ptr_equal(capheap_heap_init(h, hsize, 2, 2), h);
            capheap_err_t e = capheap_heap_add_region(h, base, n, 0);
            if (e == CAPHEAP_OK)
                first_ok = n;
            else
                assert_int_equal(e, CAPHEAP_ERR_TOO_SMALL);
        }
        assert_true(first_ok > 0);
        assert_ptr_equal(capheap_heap_init(h, hsize, 2, 2), h);
        assert_int_equal(capheap_heap_add_region(h, base, first_ok, 0),
                         CAPHEAP_OK);
        /* Exactly one smallest block besides the control block. */
        capheap_stats_t s = ct_tag_stats(h, 0);
        assert_int_equal(s.free_blocks, 1);
        assert_int_equal(s.total_blocks, 1);
        assert_int_equal(s.free_bytes, MIN_BLOCK - HDR_BYTES);
        assert_int_equal(s.largest_free_block, MIN_BLOCK - HDR_BYTES);
        assert_int_equal(s.total_bytes, first_ok);
        unsigned char *p = capheap_heap_alloc(h, 0, s.largest_free_block);
        assert_non_null(p);
        assert_true(p >= base && p + s.largest_free_block <= base + first_ok);
        assert_null(capheap_heap_alloc(h, 0, 1));
        ts_assert_heap_ok(h);
        /* Larger sizes keep working. */
        for (size_t n = first_ok; n < first_ok + 4 * ALIGN; n++) {
            assert_ptr_equal(capheap_heap_init(h, hsize, 2, 2), h);
            assert_int_equal(capheap_heap_add_region(h, base, n, 0),
                             CAPHEAP_OK);
        }

        /* A later, smaller region of a tag needs no control block: one
         * smallest block, the end marker and the alignment slack suffice. */
        size_t later_ok = 0;
        unsigned char *base2 = arena + 8192 + off;
        for (size_t n = 1; n < 4096 && !later_ok; n++) {
            assert_ptr_equal(capheap_heap_init(h, hsize, 2, 2), h);
            assert_int_equal(capheap_heap_add_region(h, arena, 1024, 0),
                             CAPHEAP_OK);
            capheap_err_t e = capheap_heap_add_region(h, base2, n, 0);
            if (e == CAPHEAP_OK)
                later_ok = n;
            else
                assert_int_equal(e, CAPHEAP_ERR_TOO_SMALL);
        }
        assert_true(later_ok > 0);
        assert_true(later_ok <= MIN_BLOCK + 2 * ALIGN + WORD_BYTES);
        capheap_region_info_t r = ct_region(h, 1);
        assert_true((unsigned char *)r.start >= base2);
        assert_true((unsigned char *)r.end <= base2 + later_ok);
        assert_true((size_t)((char *)r.end - (char *)r.start) >=
                    MIN_BLOCK + WORD_BYTES);
        ts_assert_heap_ok(h);
        for (size_t n = later_ok; n < later_ok + 4 * ALIGN; n++) {
            assert_ptr_equal(capheap_heap_init(h, hsize, 2, 2), h);
            assert_int_equal(capheap_heap_add_region(h, arena, 1024, 0),
                             CAPHEAP_OK);
            assert_int_equal(capheap_heap_add_region(h, base2, n, 0),
                             CAPHEAP_OK);
        }
    }
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * A region may span 2^(pointer bits - CAPHEAP_REGION_BITS) bytes and no more.
 * The ranges are never dereferenced: the accepted size is shown by the
 * overlap with the heap object being the error, the rejected one lies
 * beyond the heap object.
 */
static void region_too_large(void **state) {
    (void)state;
    static _Alignas(64) unsigned char st[CAPHEAP_HEAP_STORAGE_SIZE(2, 2)];
    capheap_heap_t *h = capheap_heap_init(st, sizeof st, 2, 2);
    assert_non_null(h);
    size_t limit = (size_t)1 << (8 * sizeof(void *) - CAPHEAP_REGION_BITS);
    uintptr_t a = (uintptr_t)st;
    assert_true(a < UINTPTR_MAX - limit - 1024); /* the ranges fit */
    ct_snap_t s;
    ct_snap_take(&s, st, sizeof st);
    assert_int_equal(capheap_heap_add_region(h, st, limit, 0),
                     CAPHEAP_ERR_OVERLAP);
    assert_int_equal(capheap_heap_add_region(h, st, limit - 1, 1),
                     CAPHEAP_ERR_OVERLAP);
    /* An address past the heap object; only compared, never used. */
    void *after = (void *)(a + sizeof st + 64);
    assert_int_equal(capheap_heap_add_region(h, after, limit + 2 * ALIGN, 0),
                     CAPHEAP_ERR_TOO_LARGE);
    assert_int_equal(capheap_heap_add_region(h, after, 2 * limit, 1),
                     CAPHEAP_ERR_TOO_LARGE);
    assert_int_equal(capheap_heap_add_region(
                         h, after, UINTPTR_MAX - (a + sizeof st + 64), 0),
                     CAPHEAP_ERR_TOO_LARGE);
    assert_true(ct_snap_same(&s));
    assert_int_equal(capheap_heap_region_count(h), 0);
    ct_snap_drop(&s);
}

static void region_overlap(void **state) {
    (void)state;
    enum { ARENA = 65536, R0 = 4096, R0_SIZE = 16384 };
    capheap_heap_t *h = ct_heap_new(6, 3);
    size_t hsize = CAPHEAP_HEAP_STORAGE_SIZE(6, 3);
    unsigned char *arena = ct_arena(ARENA, 0);
    unsigned char *r0 = arena + R0;
    assert_int_equal(capheap_heap_add_region(h, r0, R0_SIZE, 0), CAPHEAP_OK);
    unsigned char *live = capheap_heap_alloc(h, 0, 2000);
    assert_non_null(live);
    size_t live_n = capheap_heap_usable_size(h, live);
    unsigned char *other = capheap_heap_alloc(h, 0, 100);
    assert_non_null(other);
    ct_find_control_t ctl = ct_control(h, 0);
    assert_non_null(ctl.ptr);
    unsigned char *cp = ctl.ptr;
    capheap_block_info_t blocks[8];
    size_t nb = ct_blocks(h, blocks, 8);
    unsigned char *fr = blocks[ct_find_free(blocks, nb, 0, 4096)].ptr;
    unsigned char *lo = live < other ? live : other;
    unsigned char *hi = live < other ? other : live;
    unsigned char *hb = (unsigned char *)h;

    struct {
        unsigned char *start;
        size_t size;
    } bad[] = {
        {r0, R0_SIZE},                /* the same range */
        {r0 - 64, 128},               /* across its start */
        {r0 + R0_SIZE - 64, 128},     /* across its end */
        {r0 - 64, R0_SIZE + 128},     /* around it */
        {fr, 512},                    /* inside a free block */
        {cp, ctl.size},               /* inside the control */
        {live - HDR_BYTES, live_n},   /* over a block header */
        {live, live_n + 1},           /* one byte past a block */
        {live + 64, live_n},          /* from a live block on */
        {hb, 4096},                   /* on the heap object */
        {hb + hsize - 8, 4096},       /* its last word */
        {hb - 64, hsize + 128},       /* around it */
        {lo, (size_t)(hi - lo) + 16}, /* two live blocks */
    };
    region_snap_t s;
    rsnap_take(&s, h, 6, 3, arena, ARENA);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (unsigned tag = 0; tag < 2; tag++) {
            assert_int_equal(
                capheap_heap_add_region(h, bad[i].start, bad[i].size, tag),
                CAPHEAP_ERR_OVERLAP);
            rsnap_assert_same(&s, h);
        }
    }
    rsnap_drop(&s);

    /* Touching is not overlapping: right after and right before r0. */
    assert_int_equal(capheap_heap_add_region(h, r0 + R0_SIZE, 4096, 0),
                     CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, r0 - 2048, 2048, 1),
                     CAPHEAP_OK);
    /* ... and now those overlap. */
    assert_int_equal(capheap_heap_add_region(h, r0 + R0_SIZE + 4000, 4096, 0),
                     CAPHEAP_ERR_OVERLAP);
    assert_int_equal(capheap_heap_add_region(h, r0 - 4096, 2048 + 64, 1),
                     CAPHEAP_ERR_OVERLAP);
    /* A live block's exact payload is a valid range (a nested region). */
    assert_int_equal(capheap_heap_add_region(h, live, live_n, 2), CAPHEAP_OK);
    ts_assert_heap_ok(h);
    /* All three neighbours serve allocations. */
    for (unsigned tag = 0; tag < 3; tag++) {
        void *p = capheap_heap_alloc(h, tag, 200);
        assert_non_null(p);
        assert_int_equal(capheap_heap_block_tag(h, p), (int)tag);
        assert_true(ct_inside_tag(h, p, 200, tag));
    }
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

typedef struct {
    unsigned region_hits[8];
    unsigned controls;
} nest_walk_t;

static bool nest_walk_fn(const capheap_block_info_t *b, void *user) {
    nest_walk_t *w = user;
    if (b->region < 8)
        w->region_hits[b->region]++;
    w->controls += b->control;
    return true;
}

/* A region may lie inside the payload of a live block (a buffer turned into
 * a heap), even two levels deep; not inside a free block. */
static void region_nested_in_live_block(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(4, 3);
    unsigned char *arena = ct_arena(32768, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 32768, 0), CAPHEAP_OK);
    unsigned char *before = capheap_heap_alloc(h, 0, 64);
    unsigned char *outer = capheap_heap_alloc(h, 0, 8000);
    unsigned char *after = capheap_heap_alloc(h, 0, 64);
    assert_non_null(before);
    assert_non_null(outer);
    assert_non_null(after);
    ts_fill(before, 64, 1);
    ts_fill(after, 64, 2);
    size_t outer_n = capheap_heap_usable_size(h, outer);

    assert_int_equal(capheap_heap_add_region(h, outer, outer_n, 1), CAPHEAP_OK);
    capheap_region_info_t in = ct_region(h, 1);
    assert_true((unsigned char *)in.start >= outer);
    assert_true((unsigned char *)in.end <= outer + outer_n);
    assert_int_equal(in.tag, 1);

    unsigned char *p = capheap_heap_alloc(h, 1, 3000);
    unsigned char *q = capheap_heap_alloc(h, 1, 500);
    assert_non_null(p);
    assert_non_null(q);
    assert_true(p >= outer && p + 3000 <= outer + outer_n);
    assert_true(q >= outer && q + 500 <= outer + outer_n);
    ts_fill(p, 3000, 3);
    ts_fill(q, 500, 4);
    assert_int_equal(capheap_heap_block_tag(h, p), 1);
    assert_int_equal(capheap_heap_block_tag(h, outer), 0);
    /* The innermost live block answers; the outer one outside the inner
     * region's blocks. (With a debug prefix the inner region's first
     * header can start at outer itself: then that byte is the inner
     * region's, and no live block's.) */
    assert_ptr_equal(capheap_heap_containing_block(h, p + 1234), p);
    assert_ptr_equal(capheap_heap_containing_block(h, q + 499), q);
    assert_ptr_equal(capheap_heap_containing_block(h, outer),
                     outer < (unsigned char *)in.start ? outer : NULL);
    assert_ptr_equal(capheap_heap_containing_block(h, outer + outer_n - 1),
                     outer + outer_n - 1 >= (unsigned char *)in.end ? outer
                                                                    : NULL);

    /* A region inside the inner live block p: the third level. */
    assert_int_equal(capheap_heap_add_region(h, p, 3000, 2), CAPHEAP_OK);
    unsigned char *r = capheap_heap_alloc(h, 2, 100);
    assert_non_null(r);
    assert_true(r >= p && r + 100 <= p + 3000);
    assert_ptr_equal(capheap_heap_containing_block(h, r + 50), r);
    assert_int_equal(capheap_heap_block_tag(h, r), 2);
    ts_assert_heap_ok(h);

    /* Not inside a free block of the inner region, not across q's header,
     * not overlapping the region already in p. */
    assert_int_equal(capheap_heap_add_region(h, q + 1024, 1024, 2),
                     CAPHEAP_ERR_OVERLAP);
    assert_int_equal(capheap_heap_add_region(h, q - HDR_BYTES, 400, 2),
                     CAPHEAP_ERR_OVERLAP);
    assert_int_equal(capheap_heap_add_region(h, outer, outer_n, 2),
                     CAPHEAP_ERR_OVERLAP);

    nest_walk_t w;
    memset(&w, 0, sizeof w);
    assert_true(capheap_heap_walk(h, nest_walk_fn, &w));
    assert_int_equal(w.controls, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_true(w.region_hits[i] >= 2);

    capheap_heap_free(h, r);
    capheap_heap_free(h, q);
    ts_assert_heap_ok(h);
    assert_true(ts_verify(before, 64, 1));
    assert_true(ts_verify(after, 64, 2));
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* A nested region can be the larger region that takes over a tag's control
 * block: the old control block (in an ordinary region) becomes free memory. */
static void region_nested_takes_control_block(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(4, 2);
    unsigned char *arena = ct_arena(65536, 0);
    unsigned char *small = ct_arena(2048, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 65536, 0), CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, small, 2048, 1), CAPHEAP_OK);
    void *s1 = capheap_heap_alloc(h, 1, 300);
    assert_non_null(s1);
    ts_fill(s1, 300, 77);
    unsigned char *outer = capheap_heap_alloc(h, 0, 40000);
    assert_non_null(outer);
    capheap_stats_t before = ct_tag_stats(h, 1);
    assert_int_equal(ct_control(h, 1).region, 1);
    assert_int_equal(capheap_heap_add_region(h, outer, 40000, 1), CAPHEAP_OK);
    ts_assert_heap_ok(h);
    ct_find_control_t c = ct_control(h, 1);
    assert_int_equal(c.region, 2);
    assert_true((unsigned char *)c.ptr > outer &&
                (unsigned char *)c.ptr < outer + 40000);
    capheap_stats_t after = ct_tag_stats(h, 1);
    assert_int_equal(after.allocated_blocks, before.allocated_blocks);
    assert_int_equal(after.total_bytes, before.total_bytes + 40000);
    ct_tally_t t = ct_tally(h, 1);
    assert_int_equal(t.control, 1);
    assert_int_equal(t.free_bytes, after.free_bytes);
    assert_int_equal(t.free, after.free_blocks);
    /* Tag 1 now serves large blocks from inside tag 0's block. */
    unsigned char *big = capheap_heap_alloc(h, 1, 20000);
    assert_non_null(big);
    assert_true(big > outer && big + 20000 <= outer + 40000);
    assert_ptr_equal(capheap_heap_containing_block(h, big + 100), big);
    assert_int_equal(capheap_heap_block_tag(h, big), 1);
    assert_true(ts_verify(s1, 300, 77));
    capheap_heap_free(h, big);
    capheap_heap_free(h, s1);
    ts_assert_heap_ok(h);
    after = ct_tag_stats(h, 1);
    assert_int_equal(after.allocated_blocks, 0);
    assert_int_equal(after.free_blocks, 2);
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
    ts_arena_free(small);
}

static void region_slots(void **state) {
    (void)state;
    ts_errors_install();
    /* Two slots: the third region is refused and nothing changes. */
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *arena = ct_arena(16384, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0), CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, arena + 4096, 4096, 1),
                     CAPHEAP_OK);
    region_snap_t s;
    rsnap_take(&s, h, 2, 2, arena, 16384);
    assert_int_equal(capheap_heap_add_region(h, arena + 8192, 4096, 0),
                     CAPHEAP_ERR_NO_SLOT);
    rsnap_assert_same(&s, h);
    rsnap_drop(&s);
    ct_heap_delete(h);

    /* Every slot in use: the highest region index works like the first. */
    enum { EACH = 512 };
    unsigned n = CAPHEAP_MAX_REGIONS;
    unsigned char *big = ct_arena((size_t)EACH * (n + 1), 0);
    h = ct_heap_new(n, 2);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(
            capheap_heap_add_region(h, big + (size_t)i * EACH, EACH, i % 2),
            CAPHEAP_OK);
    }
    assert_int_equal(capheap_heap_region_count(h), n);
    assert_int_equal(
        capheap_heap_add_region(h, big + (size_t)n * EACH, EACH, 0),
        CAPHEAP_ERR_NO_SLOT);
    capheap_stats_t s0 = ct_tag_stats(h, 0), s1 = ct_tag_stats(h, 1);
    /* Fill both tags with small blocks; count the blocks per region. */
    enum { MAXP = 8192 };
    void **ptrs = malloc(MAXP * sizeof *ptrs);
    assert_non_null(ptrs);
    size_t np = 0;
    for (unsigned tag = 0; tag < 2; tag++) {
        void *p;
        while ((p = capheap_heap_alloc(h, tag, 40)) != NULL) {
            assert_true(np < MAXP);
            assert_int_equal(capheap_heap_block_tag(h, p), (int)tag);
            ts_fill(p, 40, (uint32_t)np);
            ptrs[np++] = p;
        }
    }
    unsigned last_hits = 0;
    capheap_region_info_t last = ct_region(h, n - 1);
    assert_int_equal(last.tag, (n - 1) % 2);
    for (size_t i = 0; i < np; i++) {
        unsigned char *p = ptrs[i];
        if (p >= (unsigned char *)last.start && p < (unsigned char *)last.end)
            last_hits++;
    }
    assert_true(last_hits > 0);
    ts_assert_heap_ok(h);
    for (size_t i = 0; i < np; i++) {
        assert_true(ts_verify(ptrs[i], 40, (uint32_t)i));
        capheap_heap_free(h, ptrs[i]);
    }
    capheap_stats_t e0 = ct_tag_stats(h, 0), e1 = ct_tag_stats(h, 1);
    assert_int_equal(e0.free_bytes, s0.free_bytes);
    assert_int_equal(e1.free_bytes, s1.free_bytes);
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    free(ptrs);
    ct_heap_delete(h);
    ts_arena_free(big);
    ts_arena_free(arena);
}

typedef struct {
    uintptr_t next; /* where the next block must start */
    unsigned region;
    size_t blocks;
    int bad;
} tile_t;

static bool tile_fn(const capheap_block_info_t *b, void *user) {
    tile_t *t = user;
    if (b->region != t->region)
        return true;
    if ((uintptr_t)b->ptr - HDR_BYTES != t->next)
        t->bad = 1;
    t->next = (uintptr_t)b->ptr + b->size;
    t->blocks++;
    return true;
}

/* Starts at every offset in two alignment units, odd sizes: the region is
 * rounded inwards, its blocks tile it, and nothing outside the range given is
 * ever written, even with every byte of it allocated and filled. */
static void region_unaligned_starts_and_odd_sizes(void **state) {
    (void)state;
    ts_errors_install();
    enum { ARENA = 16384 };
    static const size_t sizes[] = {777, 1001, 3001, 4095, 6143};
    unsigned char *arena = ct_arena(ARENA, GUARD);
    capheap_heap_t *h = ct_heap_new(1, 1);
    size_t hsize = CAPHEAP_HEAP_STORAGE_SIZE(1, 1);
    void *ptrs[512];
    for (size_t off = 1; off < 2 * ALIGN; off++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            unsigned char *base = arena + 1024 + off;
            memset(arena, GUARD, ARENA);
            assert_ptr_equal(capheap_heap_init(h, hsize, 1, 1), h);
            assert_int_equal(capheap_heap_add_region(h, base, n, 0),
                             CAPHEAP_OK);
            capheap_region_info_t r = ct_region(h, 0);
            unsigned char *rs = r.start, *re = r.end;
            assert_ptr_equal(r.registered_start, base);
            assert_ptr_equal(r.registered_end, base + n);
            assert_true(rs >= base && rs < base + ALIGN);
            assert_int_equal(((uintptr_t)rs + HDR_BYTES) % ALIGN, 0);
            assert_true(re <= base + n && re + ALIGN > base + n);
            assert_true(capheap_heap_contains(h, rs));
            assert_true(capheap_heap_contains(h, re - 1));
            assert_false(capheap_heap_contains(h, re));
            assert_false(capheap_heap_contains(h, rs - 1));
            capheap_stats_t s0 = ct_tag_stats(h, 0);
            assert_int_equal(s0.total_bytes, n);

            tile_t t = {(uintptr_t)rs, 0, 0, 0};
            assert_true(capheap_heap_walk(h, tile_fn, &t));
            assert_false(t.bad);
            assert_int_equal(t.next + WORD_BYTES, (uintptr_t)re);

            /* Take every byte: mixed sizes until one fails, then what the
             * heap reports as the largest free block, until none is left. */
            static const size_t cycle[] = {1, 50, 200, 13, 700};
            size_t np = 0;
            for (size_t k = 0;; k++) {
                size_t want = cycle[k % 5];
                unsigned char *p = capheap_heap_alloc(h, 0, want);
                if (!p) {
                    want = capheap_heap_largest_free(h, 0);
                    if (!want)
                        break;
                    p = capheap_heap_alloc(h, 0, want);
                }
                assert_non_null(p);
                assert_true(np < 512);
                ptrs[np++] = p;
                size_t u = capheap_heap_usable_size(h, p);
                assert_true(u >= want);
                assert_true(p >= rs && p + u <= re);
                ts_fill(p, u, (uint32_t)(np * 31 + off));
            }
            assert_null(capheap_heap_alloc(h, 0, 1));
            capheap_stats_t full = ct_tag_stats(h, 0);
            assert_int_equal(full.free_bytes, 0);
            assert_int_equal(full.free_blocks, 0);
            for (size_t i = 0; i < 1024 + off; i++)
                assert_int_equal(arena[i], GUARD);
            for (size_t i = 1024 + off + n; i < ARENA; i++)
                assert_int_equal(arena[i], GUARD);
            t = (tile_t){(uintptr_t)rs, 0, 0, 0};
            assert_true(capheap_heap_walk(h, tile_fn, &t));
            assert_false(t.bad);
            assert_int_equal(t.next + WORD_BYTES, (uintptr_t)re);
            ts_assert_heap_ok(h);
            for (size_t i = 0; i < np; i++) {
                size_t u = capheap_heap_usable_size(h, ptrs[i]);
                assert_true(
                    ts_verify(ptrs[i], u, (uint32_t)((i + 1) * 31 + off)));
                capheap_heap_free(h, ptrs[i]);
            }
            capheap_stats_t s1 = ct_tag_stats(h, 0);
            assert_int_equal(s1.free_bytes, s0.free_bytes);
            assert_int_equal(s1.free_blocks, 1);
            ts_assert_heap_ok(h);
        }
    }
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * A tag's control block is sized from its largest region. A later, larger
 * region takes it over; the old one becomes free memory of the tag, and every
 * counter carries over.
 */
static void region_migrates_control_block(void **state) {
    (void)state;
    ts_errors_install();
    for (int with_blocks = 0; with_blocks < 2; with_blocks++) {
        capheap_heap_t *h = ct_heap_new(4, 2);
        unsigned char *small = ct_arena(2048, 0);
        unsigned char *large = ct_arena(65536, 0);
        unsigned char *mid = ct_arena(4096, 0);
        assert_int_equal(capheap_heap_add_region(h, small, 2048, 0),
                         CAPHEAP_OK);
        /* with_blocks: fill the region, then free every other block but
         * keep the one after the control block live, whatever the placement
         * policy. Without: the control block is followed by free memory. */
        enum { MAXP = 64, N = 100 };
        void *p[MAXP];
        size_t len[MAXP];
        size_t np = 0;
        ct_find_control_t c0 = ct_control(h, 0);
        assert_non_null(c0.ptr);
        unsigned char *after_ctl = (unsigned char *)c0.ptr + c0.size +
                                   HDR_BYTES; /* payload of the next block */
        if (with_blocks) {
            for (;;) {
                len[np] = N;
                p[np] = capheap_heap_alloc(h, 0, N);
                if (!p[np]) {
                    len[np] = capheap_heap_largest_free(h, 0);
                    if (!len[np])
                        break;
                    p[np] = capheap_heap_alloc(h, 0, len[np]);
                }
                assert_non_null(p[np]);
                ts_fill(p[np], len[np], (uint32_t)np);
                np++;
                assert_true(np < MAXP);
            }
            assert_true(np >= 8);
            for (size_t i = 0; i < np; i += 2) {
                if (p[i] != after_ctl) {
                    capheap_heap_free(h, p[i]);
                    p[i] = NULL;
                }
            }
        }
        capheap_block_info_t bl[MAXP + 4];
        size_t nbl = ct_blocks(h, bl, MAXP + 4);
        assert_true(nbl >= 2);
        assert_true(bl[0].control);
        assert_ptr_equal(bl[1].ptr, after_ctl);
        assert_int_equal(bl[1].used, with_blocks);
        assert_int_equal(c0.region, 0);
        capheap_stats_t before = ct_tag_stats(h, 0);
        assert_null(capheap_heap_alloc(h, 0, 4000));

        assert_int_equal(capheap_heap_add_region(h, large, 65536, 0),
                         CAPHEAP_OK);
        ts_assert_heap_ok(h);
        ct_find_control_t c1 = ct_control(h, 0);
        assert_int_equal(c1.region, 1);
        assert_true((unsigned char *)c1.ptr > large &&
                    (unsigned char *)c1.ptr < large + 65536);
        assert_true(c1.size > c0.size);
        capheap_stats_t after = ct_tag_stats(h, 0);
        ct_tally_t t = ct_tally(h, 0);
        assert_int_equal(t.control, 1);
        /* The new region's free block and the old control block (merged
         * with the free block after it when there is one). */
        size_t expect_free;
        capheap_region_info_t r1 = ct_region(h, 1);
        size_t new_free = (size_t)((char *)r1.end - (char *)c1.ptr) - c1.size -
                          WORD_BYTES - HDR_BYTES;
        if (with_blocks) {
            expect_free = before.free_bytes + c0.size + new_free;
            assert_int_equal(after.free_blocks, before.free_blocks + 2);
        } else {
            expect_free = before.free_bytes + c0.size + HDR_BYTES + new_free;
            assert_int_equal(after.free_blocks, before.free_blocks + 1);
        }
        assert_int_equal(after.free_bytes, expect_free);
        assert_int_equal(t.free_bytes, expect_free);
        assert_int_equal(after.total_bytes, before.total_bytes + 65536);
        assert_int_equal(after.allocated_blocks, before.allocated_blocks);
        assert_int_equal(after.allocated_bytes, before.allocated_bytes);
        assert_int_equal(after.minimum_free_bytes,
                         before.minimum_free_bytes +
                             (after.free_bytes - before.free_bytes));
        assert_int_equal(after.largest_free_block, new_free);
        /* Large requests now fit, and the old blocks are intact. */
        void *big = capheap_heap_alloc(h, 0, 30000);
        assert_non_null(big);
        assert_true(ct_inside_tag(h, big, 30000, 0));
        for (size_t i = 0; i < np; i++) {
            if (p[i]) {
                assert_true(ts_verify(p[i], len[i], (uint32_t)i));
                capheap_heap_free(h, p[i]);
            }
        }
        capheap_heap_free(h, big);
        ts_assert_heap_ok(h);
        /* The old region is now one free block from its first byte. */
        capheap_region_info_t r0 = ct_region(h, 0);
        tile_t tl = {(uintptr_t)r0.start, 0, 0, 0};
        assert_true(capheap_heap_walk(h, tile_fn, &tl));
        assert_false(tl.bad);
        assert_int_equal(tl.blocks, 1);

        /* A smaller region later does not move the control block. */
        assert_int_equal(capheap_heap_add_region(h, mid, 4096, 0), CAPHEAP_OK);
        assert_int_equal(ct_control(h, 0).region, 1);
        assert_ptr_equal(ct_control(h, 0).ptr, c1.ptr);
        capheap_stats_t end = ct_tag_stats(h, 0);
        assert_int_equal(end.free_blocks, 3);
        assert_int_equal(end.allocated_blocks, 0);
        ts_assert_heap_ok(h);
        ct_heap_delete(h);
        ts_arena_free(small);
        ts_arena_free(large);
        ts_arena_free(mid);
    }
    ct_assert_no_error();
}

static void region_info_and_contains(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(3, 3);
    unsigned char *arena = ct_arena(20000, 0);
    assert_int_equal(capheap_heap_add_region(h, arena + 3, 5000, 2),
                     CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, arena + 10001, 9000, 0),
                     CAPHEAP_OK);
    assert_int_equal(capheap_heap_region_count(h), 2);
    capheap_region_info_t r;
    assert_int_equal(capheap_heap_region_info(h, 2, &r),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_region_info(h, 1, NULL),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_region_info(NULL, 0, &r),
                     CAPHEAP_ERR_INVALID_ARG);
    capheap_region_info_t a = ct_region(h, 0), b = ct_region(h, 1);
    assert_int_equal(a.tag, 2);
    assert_int_equal(b.tag, 0);
    assert_true((unsigned char *)a.start >= arena + 3);
    assert_true((unsigned char *)a.end <= arena + 5003);
    assert_true((unsigned char *)b.start >= arena + 10001);
    assert_true((unsigned char *)b.end <= arena + 19001);
    for (int i = 0; i < 2; i++) {
        unsigned char *s = i ? b.start : a.start, *e = i ? b.end : a.end;
        assert_true(capheap_heap_contains(h, s));
        assert_true(capheap_heap_contains(h, s + 100));
        assert_true(capheap_heap_contains(h, e - 1));
        assert_false(capheap_heap_contains(h, s - 1));
        assert_false(capheap_heap_contains(h, e));
    }
    assert_false(capheap_heap_contains(h, arena + 7000));
    assert_false(capheap_heap_contains(h, NULL));
    assert_false(capheap_heap_contains(h, h));
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* Region @p i of the test below: its start offset and size, odd ones. */
static size_t given_offset(unsigned i) {
    return (i * 5u) % (2 * ALIGN);
}

static size_t given_size(unsigned i) {
    return 400 + (i * 37u) % 700 + (i % 3 == 0 ? 0 : i % ALIGN);
}

/* The range given to add_region comes back exactly, for starts at every
 * offset in two alignment units and odd sizes, in every region slot of
 * heaps with odd and even slot counts: the two bytes each slot keeps for it
 * (beside the tags' pointers) stay right while later regions are added,
 * control blocks move and tags fill. */
static void region_info_keeps_the_range_given(void **state) {
    (void)state;
    ts_errors_install();
    enum { EACH = 1408 };
    const unsigned counts[] = {1, 2, 3, 5, CAPHEAP_MAX_REGIONS};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        for (unsigned tags = 1; tags <= 3; tags += 2) {
            unsigned n = counts[c];
            unsigned char *arena = ct_arena((size_t)EACH * n, 0);
            capheap_heap_t *h = ct_heap_new(n, tags);
            for (unsigned i = 0; i < n; i++) {
                /* Larger and larger regions: a tag's later region takes
                 * over its control block. */
                unsigned char *base =
                    arena + (size_t)EACH * i + given_offset(i);
                size_t size = given_size(i) + i;
                assert_int_equal(
                    capheap_heap_add_region(h, base, size, i % tags),
                    CAPHEAP_OK);
                for (unsigned k = 0; k <= i; k++) {
                    capheap_region_info_t r = ct_region(h, k);
                    unsigned char *gs =
                        arena + (size_t)EACH * k + given_offset(k);
                    unsigned char *ge = gs + given_size(k) + k;
                    assert_ptr_equal(r.registered_start, gs);
                    assert_ptr_equal(r.registered_end, ge);
                    /* The blocks lie inside, less than ALIGN from each
                     * end. */
                    unsigned char *us = r.start, *ue = r.end;
                    assert_true(us >= gs && us < gs + ALIGN);
                    assert_true(ue <= ge && ue + ALIGN > ge);
                    assert_int_equal(r.tag, k % tags);
                }
            }
            for (unsigned t = 0; t < tags && t < n; t++)
                assert_non_null(capheap_heap_alloc(h, t, 16));
            assert_true(ct_heap_guard_ok(h, n, tags));
            ts_assert_heap_ok(h);
            ct_assert_no_error();
            ct_heap_delete(h);
            ts_arena_free(arena);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(region_rejects_bad_arguments),
        cmocka_unit_test(region_size_threshold),
        cmocka_unit_test(region_too_large),
        cmocka_unit_test(region_overlap),
        cmocka_unit_test(region_nested_in_live_block),
        cmocka_unit_test(region_nested_takes_control_block),
        cmocka_unit_test(region_slots),
        cmocka_unit_test(region_unaligned_starts_and_odd_sizes),
        cmocka_unit_test(region_migrates_control_block),
        cmocka_unit_test(region_info_and_contains),
        cmocka_unit_test(region_info_keeps_the_range_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
