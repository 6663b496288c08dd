/*
 * test_edges.c - exact boundaries of the core that the broader tests pass
 * over (each found by a mutant of tools/mutation/mutants.txt surviving):
 * realloc grows in place into an exact fit, a misaligned pointer or a header
 * naming a region the heap does not have is refused even when the rest of
 * the forged header is consistent, and a request finds a free block of the
 * next size class however many too-small blocks its own class lists first.
 */
#include "core/poison.h"
#include "core_test.h"

enum { ARENA = 65536 };

/* Size to ask for so that the block is exactly @p block bytes. */
static size_t request_for(size_t block) {
    return block - HDR_BYTES - TAIL_BYTES;
}

static size_t block_bytes(capheap_heap_t *h, const void *p) {
    return ROUND_UP(capheap_heap_usable_size(h, p) + HDR_BYTES + TAIL_BYTES,
                    ALIGN);
}

/* ---- realloc: exact fit in place ---------------------------------------- */

static void realloc_grows_into_exact_fit(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    ts_errors_install();
    /* Each allocation is carved below the previous one: hi, mid, lo in
     * descending address order, physically adjacent. */
    unsigned char *hi = capheap_heap_alloc(h, 0, 200);
    unsigned char *mid = capheap_heap_alloc(h, 0, 300);
    unsigned char *lo = capheap_heap_alloc(h, 0, 100);
    assert_non_null(lo);
    assert_ptr_equal(lo + block_bytes(h, lo), mid);
    assert_ptr_equal(mid + block_bytes(h, mid), hi);
    size_t midblk = block_bytes(h, mid);
    size_t both = block_bytes(h, lo) + midblk;
    ts_fill(lo, 100, 7);
    capheap_heap_free(h, mid);
    capheap_stats_t before = ct_tag_stats(h, 0);

    /* Exactly the two blocks: grown in place, nothing left between. */
    size_t n = request_for(both);
    assert_ptr_equal(capheap_heap_realloc(h, lo, n), lo);
    assert_true(ts_verify(lo, 100, 7));
    assert_int_equal(capheap_heap_usable_size(h, lo), n);
    assert_ptr_equal(lo + block_bytes(h, lo), hi);
    capheap_stats_t after = ct_tag_stats(h, 0);
    assert_int_equal(after.free_blocks, before.free_blocks - 1);
    assert_int_equal(after.free_bytes,
                     before.free_bytes - (midblk - HDR_BYTES));
    assert_int_equal(ts_errors()->count, 0);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- forged headers the checks must refuse ------------------------------- */

/* Write a consistent-looking live block header at @p blk, of @p size bytes
 * naming region @p r, and a header after it naming the same region with
 * PREV_FREE clear: everything find_live() compares, except what the test
 * is about. Written with memcpy: @p blk may be misaligned. */
static void forge(unsigned char *blk, size_t size, unsigned r) {
    word_t hdr = ((word_t)r << REGION_SHIFT) | (word_t)size;
    word_t next = ((word_t)r << REGION_SHIFT) | (word_t)MIN_BLOCK;
    memcpy(blk, &hdr, sizeof hdr);
    memcpy(blk + size, &next, sizeof next);
}

/* Free @p ptr and expect it refused as no block, with no byte of
 * [lo, lo + n) changed. */
static void expect_refused(capheap_heap_t *h, void *ptr,
                           const unsigned char *lo, size_t n) {
    unsigned char *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, lo, n);
    ts_errors_reset();
    capheap_heap_free(h, ptr);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_NOT_BLOCK);
    assert_ptr_equal(ts_errors()->last_addr, ptr);
    assert_memory_equal(copy, lo, n);
    free(copy);
}

static void misaligned_pointer_with_forged_header(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    ts_errors_install();
    unsigned char *p = capheap_heap_alloc(h, 0, 4096);
    assert_non_null(p);
    /* A pointer 4 bytes off the alignment, inside the live block, behind a
     * header that names the right region and a consistent successor. */
    unsigned char *ptr = p + 512 + 4;
    forge(ptr - HDR_BYTES, 4 * MIN_BLOCK, 0);
    expect_refused(h, ptr, arena, ARENA);
    capheap_heap_free(h, p);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

static void region_index_beyond_the_regions(void **state) {
    (void)state;
    /* Three regions of three tags: the heap object's region slots are
     * followed by its tag pointers, which read as a fourth region record
     * {tag 0's control, tag 1's control, tag 2's control}. A header naming
     * region 3 inside tag 0's region lies within that "record". */
    capheap_heap_t *h = ct_heap_new(3, 3);
    unsigned char *arena = ct_arena(3 * ARENA, 0);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(
            capheap_heap_add_region(h, arena + i * ARENA, ARENA, i),
            CAPHEAP_OK);
    ts_errors_install();
    unsigned char *p = capheap_heap_alloc(h, 0, 4096);
    assert_non_null(p);
    assert_true(p > arena && p < arena + ARENA);
    unsigned char *ptr = p + 512;
    forge(ptr - HDR_BYTES, 4 * MIN_BLOCK, 3);
    expect_refused(h, ptr, arena, 3 * ARENA);
    capheap_heap_free(h, p);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- size classes -------------------------------------------------------- */

/*
 * heap.h: each power of two is cut into 2^CAPHEAP_SL_LOG2 classes (two by
 * default), a request examines at most CAPHEAP_BIN_SEARCH blocks of its own
 * class, then takes any block of a larger class. So a request of 70 units
 * (class [64, 96) units) must get a free block of 100 units (class
 * [96, 128)) even when more than CAPHEAP_BIN_SEARCH blocks of 65 units are
 * listed before it. With one class per power of two all of them would share
 * [64, 128) and the request would fail.
 */
static void next_class_found_past_small_blocks(void **state) {
    (void)state;
    assert_int_equal(CAPHEAP_SL_LOG2, 1); /* the documented default */
    enum { SMALL = CAPHEAP_BIN_SEARCH + 1 };
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    ts_errors_install();
    void *small[SMALL], *big, *sep[SMALL + 2];
    for (int i = 0; i < SMALL; i++) {
        sep[i] = capheap_heap_alloc(h, 0, 1);
        small[i] = capheap_heap_alloc(h, 0, request_for(65 * ALIGN));
        assert_non_null(small[i]);
    }
    sep[SMALL] = capheap_heap_alloc(h, 0, 1);
    big = capheap_heap_alloc(h, 0, request_for(100 * ALIGN));
    sep[SMALL + 1] = capheap_heap_alloc(h, 0, 1);
    assert_non_null(sep[SMALL + 1]);
    /* Use up the rest, so that no larger free block remains. */
    void *rest[64];
    int nrest = 0;
    size_t n;
    while (nrest < 64 && (n = capheap_heap_largest_free(h, 0)) != 0)
        assert_non_null(rest[nrest++] = capheap_heap_alloc(h, 0, n));
    assert_int_equal(capheap_heap_largest_free(h, 0), 0);
    /* The big block first, so that every small one is listed before it. */
    capheap_heap_free(h, big);
    for (int i = 0; i < SMALL; i++)
        capheap_heap_free(h, small[i]);
    void *p = capheap_heap_alloc(h, 0, request_for(70 * ALIGN));
    /* Carved from the tail of the big block. */
    assert_ptr_equal(p, (char *)big + 30 * ALIGN);
    assert_int_equal(ts_errors()->count, 0);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- the integrity check ------------------------------------------------- */

/* Expect the full check to report fault @p f at @p addr. */
static void expect_fault(capheap_heap_t *h, capheap_fault_t f,
                         const void *addr) {
    capheap_check_report_t rep;
    assert_int_equal(capheap_heap_check(h, &rep), CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, f);
    assert_ptr_equal(rep.addr, addr);
}

/* I3: two free neighbours, every other invariant kept (PREV_FREE bits,
 * footers, lists, counters), so only the adjacency rule can see it. */
static void adjacent_free_blocks_reported(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    ts_errors_install();
    /* Carved from the top: [control][free rest][lo][hi][end]. */
    unsigned char *hi = capheap_heap_alloc(h, 0, 200);
    unsigned char *lo = capheap_heap_alloc(h, 0, 200);
    assert_non_null(hi);
    assert_non_null(lo);
    ts_assert_heap_ok(h);
    tagctl_t *t = heap_tags(h)[0];
    char *blk = block_of(lo);
    word_t hdr = *hdr_at(blk);
    size_t size = hdr_size(hdr);
    assert_true(hdr & F_PREV_FREE); /* the rest below it is free */
    /* Free it by hand, without the merge. */
    *hdr_at(blk) = hdr | F_FREE;
    set_footer(blk, size);
    *hdr_at(blk + size) |= F_PREV_FREE;
    list_push(t, (node_t *)(void *)blk, bin_of(size));
    t->free_bytes += size - HDR_BYTES;
    t->free_count++;
    t->used_count--;
    expect_fault(h, CAPHEAP_FAULT_ADJACENT_FREE, blk);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* A region record whose control pointer is not its tag's: reported as a
 * bad region record, at the region, before anything trusts it. */
static void region_record_with_foreign_control(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *arena = ct_arena(2 * ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, arena + ARENA, ARENA, 1),
                     CAPHEAP_OK);
    ts_errors_install();
    ts_assert_heap_ok(h);
    /* A control of the right id that is not the tag's own. */
    static tagctl_t fake;
    memset(&fake, 0, sizeof fake);
    fake.id = 1;
    tagctl_t *saved = h->regions[1].ctl;
    h->regions[1].ctl = &fake;
    expect_fault(h, CAPHEAP_FAULT_REGION, h->regions[1].first);
    /* An id beyond the heap's tags. */
    fake.id = 7;
    expect_fault(h, CAPHEAP_FAULT_REGION, h->regions[1].first);
    h->regions[1].ctl = saved;
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* A free block on exactly one list, but that of another size class (its
 * own list otherwise intact): only the class check can see it. */
static void free_block_on_the_wrong_list_reported(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    ts_errors_install();
    void *keep = capheap_heap_alloc(h, 0, 300);
    void *p = capheap_heap_alloc(h, 0, 300);
    void *sep = capheap_heap_alloc(h, 0, 300);
    assert_non_null(keep);
    assert_non_null(sep);
    capheap_heap_free(h, p); /* a free block between two live ones */
    ts_assert_heap_ok(h);
    tagctl_t *t = heap_tags(h)[0];
    node_t *n = (node_t *)(void *)block_of(p);
    size_t b = bin_of(hdr_size(n->hdr));
    assert_true(b + 1 < t->nbins);
    list_unlink(t, n);
    list_push(t, n, b + 1);
    expect_fault(h, CAPHEAP_FAULT_LIST, n);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- regions --------------------------------------------------------- */

/* A region's end marker is a word of its own: a new region may start right
 * after it, not on it. */
static void region_may_not_start_on_an_end_marker(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(3, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA / 2, 0),
                     CAPHEAP_OK);
    ts_errors_install();
    capheap_region_info_t r = ct_region(h, 0);
    unsigned char *end = r.end; /* just after the end marker's word */
    assert_true(end - WORD_BYTES >= arena && end < arena + ARENA / 2 + 64);
    assert_int_equal(capheap_heap_add_region(h, end - WORD_BYTES, ARENA / 4, 0),
                     CAPHEAP_ERR_OVERLAP);
    assert_int_equal(capheap_heap_region_count(h), 1);
    assert_int_equal(capheap_heap_add_region(h, end, ARENA / 4, 0), CAPHEAP_OK);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* The walker visits blocks with the integrity check's per-block rules: it
 * stops, returning false, at the first block whose header is damaged (here
 * its region bits, the upper half of the word on a 64-bit heap), without
 * visiting it or anything after it, and reports it: CAPHEAP_ERR_CORRUPT
 * from "walk", naming the damaged header, with the fault and the word
 * found in capheap_error_detail(). */
typedef struct {
    const void *stop;
    int before, at_or_after;
} walk_seen_t;

static bool walk_seen_fn(const capheap_block_info_t *b, void *user) {
    walk_seen_t *w = user;
    if ((const char *)b->ptr < (const char *)w->stop)
        w->before++;
    else
        w->at_or_after++;
    return true;
}

static void walker_stops_at_a_damaged_header(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA, 0), CAPHEAP_OK);
    void *a = capheap_heap_alloc(h, 0, 64);
    void *b = capheap_heap_alloc(h, 0, 64);
    void *c = capheap_heap_alloc(h, 0, 64);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    walk_seen_t w = {b, 0, 0};
    assert_true(capheap_heap_walk(h, walk_seen_fn, &w));
    int before = w.before;
    assert_true(before >= 1 && w.at_or_after >= 2); /* ctl, a | b, c, rest */

    word_t *hp = hdr_at(block_of(b));
    word_t saved = *hp;
    *hp ^= (word_t)1 << REGION_SHIFT; /* another region's index */
    w = (walk_seen_t){b, 0, 0};
    ts_errors_install();
    assert_false(capheap_heap_walk(h, walk_seen_fn, &w));
    assert_int_equal(w.before, before); /* everything before b, nothing more */
    assert_int_equal(w.at_or_after, 0);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
    assert_string_equal(ts_errors()->last_op, "walk");
    assert_ptr_equal(ts_errors()->last_addr, hp);
    const capheap_check_report_t *d = capheap_error_detail();
    assert_non_null(d);
    assert_int_equal(d->fault, CAPHEAP_FAULT_BLOCK);
    assert_ptr_equal(d->addr, hp);
    assert_int_equal(d->found, *hp);
    *hp = saved;
    ts_errors_reset();
    assert_true(capheap_heap_walk(h, walk_seen_fn, &w));
    ct_assert_no_error();
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* A damaged block cuts only its own region's walk short: the walker goes
 * on with the next region (blocks never span regions), and the report
 * names the first damaged block. */
typedef struct {
    size_t per_region[2];
    const void *mark;   /* a block of region 1 */
    size_t before_mark; /* region 1's blocks below it */
} walk_regions_t;

static bool walk_regions_fn(const capheap_block_info_t *b, void *user) {
    walk_regions_t *w = user;
    w->per_region[b->region]++;
    if (b->region == 1 && (const char *)b->ptr < (const char *)w->mark)
        w->before_mark++;
    return true;
}

static void walker_goes_on_with_the_next_region(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, ARENA / 2, 0),
                     CAPHEAP_OK);
    assert_int_equal(
        capheap_heap_add_region(h, arena + ARENA / 2, ARENA / 2, 1),
        CAPHEAP_OK);
    /* Region 1: its tag's control block, p[0], p[1], p[2], the free rest,
     * in some order. */
    void *p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = capheap_heap_alloc(h, 1, 64);
        assert_non_null(p[i]);
    }
    assert_non_null(capheap_heap_alloc(h, 0, 64));
    walk_regions_t all = {{0, 0}, p[1], 0};
    assert_true(capheap_heap_walk(h, walk_regions_fn, &all));
    assert_int_equal(all.per_region[1], 5);
    assert_true(all.before_mark >= 1 && all.before_mark < 5);

    /* Damage the first block of region 0 (its control block: the size now
     * runs past the region's end) and p[1]'s header (all of it). */
    word_t *h0 = hdr_at(block_of(ct_control(h, 0).ptr));
    word_t *h1 = hdr_at(block_of(p[1]));
    word_t s0 = *h0, s1 = *h1;
    *h0 = (s0 & ~SIZE_MASK) | SIZE_MASK;
    *h1 = 0;
    ts_errors_install();
    walk_regions_t w = {{0, 0}, p[1], 0};
    assert_false(capheap_heap_walk(h, walk_regions_fn, &w));
    assert_int_equal(w.per_region[0], 0);
    assert_int_equal(w.per_region[1], all.before_mark); /* up to p[1] */
    assert_int_equal(w.before_mark, all.before_mark);
    /* One report: the first damaged block. */
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
    assert_ptr_equal(ts_errors()->last_addr, h0);
    assert_int_equal(capheap_error_detail()->fault, CAPHEAP_FAULT_BLOCK);
    assert_ptr_equal(capheap_error_detail()->addr, h0);
    *h0 = s0;
    *h1 = s1;
    ts_errors_reset();
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(realloc_grows_into_exact_fit),
        cmocka_unit_test(misaligned_pointer_with_forged_header),
        cmocka_unit_test(region_index_beyond_the_regions),
        cmocka_unit_test(next_class_found_past_small_blocks),
        cmocka_unit_test(adjacent_free_blocks_reported),
        cmocka_unit_test(region_record_with_foreign_control),
        cmocka_unit_test(free_block_on_the_wrong_list_reported),
        cmocka_unit_test(region_may_not_start_on_an_end_marker),
        cmocka_unit_test(walker_stops_at_a_damaged_header),
        cmocka_unit_test(walker_goes_on_with_the_next_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
