/*
 * test_regress.c - regression tests for core defects found by this suite.
 *
 * Each test is the minimal reproduction written when the defect was found,
 * with file, function, input, expected and actual behaviour at the time.
 * Bugs 1 and 2 were fixed in fa141be ("Core: nothing inside a control block
 * is a block; largest free block looks at every block an allocation would"),
 * bug 3 in 229d384, bug 4 in ed86843.
 */
#define _DEFAULT_SOURCE /* mmap and MAP_ANONYMOUS, sysconf */
#include "core_test.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * BUG 1 (fixed in fa141be) - src/core/heap.c, find_live() (used by free,
 * realloc, usable_size, block_tag): a pointer into the payload of a tag's
 * CONTROL block is taken for a live block when the word before it is one of the
 * control block's counters that happens to read as a header. On 64-bit, right
 * after add_region() of one 4096-byte region, ptr = control payload + 32 (the
 * word before is tagctl_t.free_bytes: region bits 0, a size that fits, no flag
 * bits, the successor word zero) is accepted:
 *   expected: usable_size(ptr) == 0 and block_tag(ptr) == -1, each after one
 *             CAPHEAP_ERR_NOT_BLOCK report; free(ptr) reports NOT_BLOCK and
 *             changes nothing.
 *   actual (before the fix): usable_size(ptr) == 3832, block_tag(ptr) == 0, no
 * report; free(ptr) "frees" a block overlapping the control block and the free
 * block: capheap_heap_check() then reports "free counters disagree with the
 * blocks" and free_blocks is garbage. heap.h's documented limit covers user
 * data that happens to form a header; here the heap's own bookkeeping does, in
 * the most common configuration (the control block in region 0). An O(1) fix:
 * in find_live(), reject a block that starts inside block_of(reg->ctl) .. +
 * that block's size.
 */
static void interior_pointer_into_control_block(void **state) {
    (void)state;
    ts_errors_install();
    char accepted[256] = "";
    size_t nacc = 0;
    /* A few states of a one-region heap; every aligned interior pointer of
     * the control block's payload must be refused. */
    for (int k = 0; k < 6; k++) {
        capheap_heap_t *h = ct_heap_new(1, 1);
        unsigned char *arena = ct_arena(4096, 0);
        assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0),
                         CAPHEAP_OK);
        void *v[8];
        for (int i = 0; i < k; i++)
            v[i] = capheap_heap_alloc(h, 0, 100);
        for (int i = 0; i < k; i += 2)
            capheap_heap_free(h, v[i]);
        ct_find_control_t c = ct_control(h, 0);
        assert_non_null(c.ptr);
        for (size_t o = ALIGN; o < c.size; o += ALIGN) {
            unsigned char *p = (unsigned char *)c.ptr + o;
            ts_errors_reset();
            size_t u = capheap_heap_usable_size(h, p);
            int tag = capheap_heap_block_tag(h, p);
            if (u != 0 || tag != -1 || ts_errors()->count != 2 ||
                ts_errors()->last != CAPHEAP_ERR_NOT_BLOCK) {
                if (nacc++ < 4) {
                    size_t len = strlen(accepted);
                    snprintf(accepted + len, sizeof accepted - len,
                             " [state %d: ctl+%zu usable_size %zu tag %d]", k,
                             o, u, tag);
                }
            }
        }
        ts_errors_reset();
        ct_heap_delete(h);
        ts_arena_free(arena);
    }
    if (nacc)
        fail_msg("%zu interior pointers into the control block were taken "
                 "for live blocks:%s",
                 nacc, accepted);

    /* And the damage a free of one does (64-bit layout: ctl + 32). */
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0), CAPHEAP_OK);
    ct_find_control_t c = ct_control(h, 0);
    unsigned char *p = (unsigned char *)c.ptr + offsetof(tagctl_t, free_bytes) +
                       sizeof(size_t);
    ts_errors_reset();
    capheap_heap_free(h, p);
    ct_assert_one_error(CAPHEAP_ERR_NOT_BLOCK, p, "free");
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * BUG 2 (fixed in fa141be) - src/core/stats.c, capheap_tag_largest()
 * (largest_free_block of capheap_heap_tag_stats / capheap_heap_stats,
 * capheap_heap_largest_free): heap.h defines it as the "largest size an
 * allocation is guaranteed to get right now", but it reports the usable size of
 * the HEAD of the highest non-empty class, while an allocation examines up to
 * CAPHEAP_BIN_SEARCH blocks of its class. With two free blocks of 8000 and 6200
 * usable bytes in one class, the smaller one freed last (so at the head):
 *   expected: largest_free_block >= 8000 (alloc(8000) does succeed);
 *   actual (before the fix): largest_free_block == 6200 (6204 on i386).
 * With CAPHEAP_SL_LOG2 1 a class spans 50 %, so the report can be a third
 * too low, and it depends on the order of earlier frees: a heap back in the
 * same layout reports a different value. A fix within O(1): report the
 * largest of the first CAPHEAP_BIN_SEARCH blocks of the highest class.
 */
static void largest_free_block_not_under_reported(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(32768, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 32768, 0), CAPHEAP_OK);
    void *x = capheap_heap_alloc(h, 0, 8000);
    void *s1 = capheap_heap_alloc(h, 0, 16);
    void *y = capheap_heap_alloc(h, 0, 6200);
    void *s2 = capheap_heap_alloc(h, 0, 16);
    assert_true(x && s1 && y && s2);
    assert_int_equal(bin_of(ct_block_size(8000)), bin_of(ct_block_size(6200)));
    size_t L;
    while ((L = capheap_heap_largest_free(h, 0)) != 0) /* fill the rest */
        assert_non_null(capheap_heap_alloc(h, 0, L));
    capheap_heap_free(h, x);
    capheap_heap_free(h, y); /* the smaller block heads the class list */
    L = capheap_heap_largest_free(h, 0);
    void *p = capheap_heap_alloc(h, 0, L + ALIGN); /* more than reported */
    if (p)
        fail_msg("largest_free_block is %zu, yet alloc(%zu) succeeded "
                 "(usable %zu)",
                 L, L + ALIGN, capheap_heap_usable_size(h, p));
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * BUG 3 (fixed in 229d384) - src/core/stats.c,
 * capheap_heap_largest_free_aligned():
 * for an alignment above CAPHEAP_ALIGNMENT it returns
 * (largest_free - extra) rounded DOWN to a multiple of CAPHEAP_ALIGNMENT,
 * extra = MIN_BLOCK + alignment - CAPHEAP_ALIGNMENT. Usable sizes are
 * CAPHEAP_ALIGNMENT multiples minus the header, so the rounding loses
 * CAPHEAP_ALIGNMENT - header bytes. One 64 KiB region, after alloc(1000),
 * alloc(3000), alloc(500) and freeing the 3000-byte block, alignment 32:
 *   expected: the largest size guaranteed, 60648 (aligned_alloc(32, 60648)
 *             succeeds; 60649 fails);
 *   actual (before the fix): 60640 (8 bytes less; 12 on i386), for every
 *             alignment > 16.
 *             On i386 it can even report 0 while aligned_alloc(a, 12)
 *             succeeds.
 * Fix: return n - extra without the rounding (n - extra + header is a block
 * size, a multiple of CAPHEAP_ALIGNMENT).
 */
static void largest_free_aligned_is_the_largest(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(65536, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 65536, 0), CAPHEAP_OK);
    void *a = capheap_heap_alloc(h, 0, 1000);
    void *b = capheap_heap_alloc(h, 0, 3000);
    void *c = capheap_heap_alloc(h, 0, 500);
    assert_true(a && b && c);
    capheap_heap_free(h, b);
    for (size_t al = 2 * ALIGN; al <= 4096; al *= 2) {
        size_t La = capheap_heap_largest_free_aligned(h, 0, al);
        void *p = capheap_heap_aligned_alloc(h, 0, al, La);
        assert_non_null(p);
        capheap_heap_free(h, p);
        p = capheap_heap_aligned_alloc(h, 0, al, La + 1);
        if (p)
            fail_msg("alignment %zu: largest_free_aligned is %zu, yet "
                     "aligned_alloc(%zu) succeeded",
                     al, La, La + 1);
    }
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * BUG 4 (fixed in ed86843) - src/core/stats.c,
 * capheap_heap_largest_free_aligned(), as
 * fixed for bug 3: it returns n - extra whenever n > extra, but a request
 * never gets less than MIN_BLOCK, so for 0 < n - extra < MIN_BLOCK - header
 * it reports a size that cannot be had. 64-bit (MIN_BLOCK 32, header 8): one
 * 4096-byte region filled with 56-byte blocks and the rest, one of them
 * freed, so the largest free block is 56; alignment 32 (extra 48):
 *   expected: 0 (aligned_alloc(32, n) fails for every n);
 *   actual (before the fix): 8, and aligned_alloc(32, 8) returns NULL.
 * (i386: the smallest positive value, 12, is one smallest block: no gap.)
 * Fix: return 0 when n - extra + header < MIN_BLOCK.
 */
static void largest_free_aligned_can_be_had(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0), CAPHEAP_OK);
    void *v[128];
    size_t n = 0, L;
    while ((v[n] = capheap_heap_alloc(h, 0, 56)) != NULL) {
        n++;
        assert_true(n < 128);
    }
    while ((L = capheap_heap_largest_free(h, 0)) != 0)
        assert_non_null(capheap_heap_alloc(h, 0, L));
    capheap_heap_free(h, v[n / 2]);
    assert_int_equal(capheap_heap_largest_free(h, 0),
                     ct_block_size(56) - HDR_BYTES);
    for (size_t al = 2 * ALIGN; al <= 256; al *= 2) {
        size_t La = capheap_heap_largest_free_aligned(h, 0, al);
        void *p = La ? capheap_heap_aligned_alloc(h, 0, al, La) : NULL;
        if (La && !p)
            fail_msg("alignment %zu: largest_free_aligned is %zu, but "
                     "aligned_alloc(%zu, %zu) fails",
                     al, La, al, La);
        capheap_heap_free(h, p);
    }
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * BUG 5 (issue #9, defect 2) - src/core/heap.c, find_live(): a pointer into
 * a NESTED region's bookkeeping is accepted by free. A live 4088-byte block
 * of tag 0, with a free block after it, becomes a region of tag 1; C is the
 * start of tag 1's control payload. The word before C + 16 is tag 1's own
 * `total` counter, which decodes as a consistent header of region 0 (the
 * outer region): find_live() only guards the control block of the region the
 * header claims (region 0's), so
 *   expected: free(C + 16) reports CAPHEAP_ERR_NOT_BLOCK and changes nothing;
 *   actual (before the fix): no report, the heap changed, and the integrity
 *             check then reports a bad free-list entry.
 * The rule is general: a pointer whose innermost region is not the region
 * its header claims, or that lies in any control block, is refused. So every
 * aligned pointer into the nested region's control payload, and a header
 * forged inside one of its live blocks that claims the outer region, must
 * be refused with nothing changed.
 */
static void nested_region_bookkeeping_is_no_block(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *arena = ct_arena(16384, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 16384, 0), CAPHEAP_OK);
    /* Blocks are carved from the tail of a free block: the first lands at
     * the region's end, the host before it. */
    void *after_host = capheap_heap_alloc(h, 0, 100);
    unsigned char *host = capheap_heap_alloc(h, 0, 4088);
    assert_non_null(host);
    assert_non_null(after_host);
    capheap_heap_free(h, after_host);
    assert_true(ct_next_block(h, host).ptr != NULL);
    assert_false(ct_next_block(h, host).used); /* a free block after it */
    assert_int_equal(capheap_heap_add_region(h, host, 4088, 1), CAPHEAP_OK);
    ct_find_control_t c = ct_control(h, 1);
    assert_non_null(c.ptr);
    assert_int_equal(c.region, 1);
    unsigned char *live = capheap_heap_alloc(h, 1, 200);
    assert_non_null(live);
    ts_assert_heap_ok(h);

    char accepted[256] = "";
    size_t nacc = 0;
    ct_snap_t snap;
    ct_snap_take(&snap, arena, 16384);
    capheap_stats_t before = ct_heap_stats(h);
    for (size_t o = 0; o < c.size; o += ALIGN) {
        unsigned char *p = (unsigned char *)c.ptr + o;
        ts_errors_reset();
        capheap_heap_free(h, p);
        if (ts_errors()->count != 1 ||
            ts_errors()->last != CAPHEAP_ERR_NOT_BLOCK ||
            !ct_snap_same(&snap)) {
            if (nacc++ < 4) {
                size_t len = strlen(accepted);
                snprintf(accepted + len, sizeof accepted - len,
                         " [C+%zu: %u reports, last %d, %s]", o,
                         (unsigned)ts_errors()->count, (int)ts_errors()->last,
                         ct_snap_same(&snap) ? "unchanged" : "CHANGED");
            }
            memcpy(arena, snap.copy, 16384); /* undo, to go on looking */
        }
    }
    if (nacc)
        fail_msg("%zu frees into tag 1's control payload were not refused:%s",
                 nacc, accepted);
    capheap_stats_t after = ct_heap_stats(h);
    ct_assert_stats_equal(before, after);

    /* A header forged in tag 1's live block claiming the outer region 0,
     * consistent with a forged successor header: the innermost region
     * (1) is not the one it claims. */
    word_t *fake = (word_t *)(void *)(live + 2 * ALIGN - HDR_BYTES);
    size_t fsize = 4 * ALIGN;
    fake[0] = (word_t)fsize; /* region 0, live, no flags */
    *(word_t *)(void *)((unsigned char *)fake + fsize) = 0; /* region 0 */
    ct_snap_drop(&snap);
    ct_snap_take(&snap, arena, 16384);
    ts_errors_reset();
    capheap_heap_free(h, (unsigned char *)fake + HDR_BYTES);
    ct_assert_one_error(CAPHEAP_ERR_NOT_BLOCK,
                        (unsigned char *)fake + HDR_BYTES, "free");
    assert_true(ct_snap_same(&snap));
    ts_errors_reset();
    assert_int_equal(
        capheap_heap_usable_size(h, (unsigned char *)fake + HDR_BYTES), 0);
    ct_assert_one_error(CAPHEAP_ERR_NOT_BLOCK,
                        (unsigned char *)fake + HDR_BYTES, "usable_size");
    ct_snap_drop(&snap);

    ts_errors_reset();
    capheap_heap_free(h, live);
    ct_assert_no_error();
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * BUG 6 (found by tests/fuzz/fuzz_core.c, input region-start-realloc) -
 * src/core/heap.c, capheap_heap_add_region(): when a larger region takes
 * over a tag's control block, the old control block is freed as an ordinary
 * free block with its counters still in it. One region of 512 bytes (it holds
 * the control block), a few blocks allocated there, then a region of 17920
 * bytes of the same tag; p = the old control payload + 32 (on 64-bit the word
 * before it is the old free_bytes counter, a consistent-looking header):
 *   expected: realloc(p, 53) reports CAPHEAP_ERR_NOT_BLOCK, returns NULL and
 *             changes nothing;
 *   actual (before the fix): returns p with no report.
 * Fix: wipe the old counters before the block is freed.
 */
static void migrated_control_block_leaves_no_header(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(2, 1);
    unsigned char *a = ct_arena(512, 0), *b = ct_arena(17920, 0);
    assert_int_equal(capheap_heap_add_region(h, a, 512, 0), CAPHEAP_OK);
    void *v[3];
    for (int i = 0; i < 3; i++)
        assert_non_null(v[i] = capheap_heap_alloc(h, 0, 40));
    ct_find_control_t old = ct_control(h, 0);
    assert_int_equal(old.region, 0);
    assert_int_equal(capheap_heap_add_region(h, b, 17920, 0), CAPHEAP_OK);
    assert_int_equal(ct_control(h, 0).region, 1);
    ts_assert_heap_ok(h);
    size_t taken = 0;
    for (size_t o = ALIGN; o < old.size; o += ALIGN) {
        unsigned char *p = (unsigned char *)old.ptr + o;
        ct_snap_t snap;
        ct_snap_take(&snap, a, 512);
        ts_errors_reset();
        void *q = capheap_heap_realloc(h, p, 53);
        if (q || ts_errors()->count != 1 || !ct_snap_same(&snap))
            taken++;
        ct_snap_drop(&snap);
    }
    assert_int_equal(taken, 0);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(a);
    ts_arena_free(b);
}

/* Two static words outside every heap: the target of the attack below. */
static word_t victim[4];

/*
 * BUG 7 (issue #9, defect 3) - src/core/block.h, list_unlink(): free-list
 * links were trusted. With the first two words of a freed 64-byte block
 * overwritten with two addresses (a use-after-free write), the next
 * allocation of that size unlinks the block and writes a heap address into
 * a static array outside the heap (write-what-where); with a forged `next`
 * alone, an allocation follows it.
 *   expected: the allocation fails, nothing outside the heap is written, the
 *             error hook hears CAPHEAP_ERR_CORRUPT naming the freed block and
 *             capheap_error_detail() says CAPHEAP_FAULT_LINK;
 *   actual (before the fix): victim[] holds a heap address, no report.
 */
static void unlink_write_what_where_refused(void **state) {
    (void)state;
    ts_errors_install();
    for (int forge = 0; forge < 3; forge++) {
        capheap_heap_t *h = ct_heap_new(1, 1);
        unsigned char *arena = ct_arena(4096, 0);
        assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0),
                         CAPHEAP_OK);
        void *a = capheap_heap_alloc(h, 0, 64);
        void *x = capheap_heap_alloc(h, 0, 64);
        void *c = capheap_heap_alloc(h, 0, 64);
        assert_true(a && x && c);
        capheap_heap_free(h, x); /* live neighbours: x stays a block */
        memset(victim, 0, sizeof victim);
        node_t *n = (node_t *)(void *)block_of(x);
        if (forge == 0) { /* both links */
            n->next = (node_t *)(void *)&victim[0];
            n->pprev = (node_t **)(void *)&victim[1];
        } else if (forge == 1) { /* next only: followed by unlink */
            n->next = (node_t *)(void *)&victim[0];
        } else { /* back link only */
            n->pprev = (node_t **)(void *)&victim[1];
        }
        ts_errors_reset();
        void *p = capheap_heap_alloc(h, 0, 64);
        assert_null(p);
        for (int i = 0; i < 4; i++)
            assert_int_equal(victim[i], 0);
        ct_assert_one_error(CAPHEAP_ERR_CORRUPT, x, "alloc");
        const capheap_check_report_t *d = capheap_error_detail();
        assert_non_null(d);
        assert_int_equal(d->fault, CAPHEAP_FAULT_LINK);
        assert_ptr_equal(d->addr, x);
        /* Freeing a neighbour would merge x: refused the same way. */
        ts_errors_reset();
        capheap_heap_free(h, a);
        ct_assert_one_error(CAPHEAP_ERR_CORRUPT, x, "free");
        assert_true(capheap_heap_usable_size(h, a) >= 64);
        for (int i = 0; i < 4; i++)
            assert_int_equal(victim[i], 0);
        ts_errors_reset();
        ct_heap_delete(h);
        ts_arena_free(arena);
    }
}

/*
 * Hardening edges (issue #9), each the smallest case one check alone stops
 * (make mutation kills its removal with these):
 * - a freed block's `next` at an unmapped page: the unlink must not read it
 *   (the range check comes before any read through a link); a NULL back
 *   link neither;
 * - a free block's size enlarged over its live successor R, with R's data
 *   forged to show a PREV_FREE header where the enlarged block would end but
 *   not a matching footer: only the footer check stops the carve that would
 *   hand out memory overlapping R.
 */
static void hardening_range_and_footer_edges(void **state) {
    (void)state;
    ts_errors_install();
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *hole =
        mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(hole != MAP_FAILED);

    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0), CAPHEAP_OK);
    void *a = capheap_heap_alloc(h, 0, 64);
    void *x = capheap_heap_alloc(h, 0, 64);
    void *c = capheap_heap_alloc(h, 0, 64);
    assert_true(a && x && c);
    capheap_heap_free(h, x);
    node_t *n = (node_t *)(void *)block_of(x);
    tagctl_t *t = ct_control(h, 0).ptr;
    link_set(t, &n->next, (node_t *)(void *)(hole + ALIGN - HDR_BYTES));
    ts_errors_reset();
    assert_null(capheap_heap_alloc(h, 0, 64)); /* exact fit: x leaves */
    ct_assert_one_error(CAPHEAP_ERR_CORRUPT, x, "alloc");
    /* A NULL back link (x merged by its neighbour's free): checked like any
     * other, not read. */
    link_set(t, &n->next, NULL);
    back_set(t, n, NULL);
    ts_errors_reset();
    capheap_heap_free(h, a);
    ct_assert_one_error(CAPHEAP_ERR_CORRUPT, x, "free");
    ct_heap_delete(h);
    ts_arena_free(arena);
    munmap(hole, (size_t)page);

    h = ct_heap_new(1, 1);
    arena = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 4096, 0), CAPHEAP_OK);
    size_t n128 = 128 - HDR_BYTES;                     /* a 128-byte block */
    unsigned char *r = capheap_heap_alloc(h, 0, n128); /* highest */
    unsigned char *f = capheap_heap_alloc(h, 0, n128);
    unsigned char *l = capheap_heap_alloc(h, 0, n128); /* lowest */
    assert_true(r && f && l);
    char *fb = block_of(f), *rb = block_of(r);
    assert_ptr_equal(fb + 128, rb);
    size_t enlarged = 128 + 64;
    /* R's data: a live header flagged PREV_FREE where the enlarged block
     * would end, and no footer before it. */
    *(word_t *)(void *)(fb + enlarged) = F_PREV_FREE;
    *(word_t *)(void *)(fb + enlarged - WORD_BYTES) = 0xDEAD0;
    capheap_heap_free(h, f);
    *hdr_at(fb) = (*hdr_at(fb) & ~SIZE_MASK) | enlarged;
    ts_errors_reset();
    assert_null(capheap_heap_alloc(h, 0, n128));
    ct_assert_one_error(CAPHEAP_ERR_CORRUPT, f, "alloc");
    (void)l;
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/*
 * BUG 8 (found by tests/security at 32 bits) - src/core/heap.c, find_fit():
 * with the free-list hardening of level 1, a block reached through a link
 * was checked as a free block but not as one of the allocating tag. Two
 * use-after-free writes (x of tag 0: next = y, a free block of tag 1; y:
 * pprev = &x->next) pass every back-link check, and the unlink of x makes y
 * the head of tag 0's list:
 *   expected: the next allocation of tag 0 fails and reports
 *             CAPHEAP_ERR_CORRUPT at y;
 *   actual (before the fix): it returns y, memory of tag 1 (on a chip,
 *             another memory type: IRAM for a byte request).
 */
static void linked_block_of_another_tag_refused(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *a0 = ct_arena(4096, 0), *a1 = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h, a0, 4096, 0), CAPHEAP_OK);
    assert_int_equal(capheap_heap_add_region(h, a1, 4096, 1), CAPHEAP_OK);
    void *x0 = capheap_heap_alloc(h, 0, 64), *x = capheap_heap_alloc(h, 0, 64);
    void *x1 = capheap_heap_alloc(h, 0, 64);
    void *y0 = capheap_heap_alloc(h, 1, 64), *y = capheap_heap_alloc(h, 1, 64);
    void *y1 = capheap_heap_alloc(h, 1, 64);
    assert_true(x0 && x && x1 && y0 && y && y1);
    capheap_heap_free(h, x);
    capheap_heap_free(h, y);
    tagctl_t *t0 = ct_control(h, 0).ptr, *t1 = ct_control(h, 1).ptr;
    node_t *nx = (node_t *)(void *)block_of(x);
    node_t *ny = (node_t *)(void *)block_of(y);
    link_set(t0, &nx->next, ny);
    back_set(t1, ny, &nx->next);
    ts_errors_reset();
    assert_ptr_equal(capheap_heap_alloc(h, 0, 64), x);
    ct_assert_no_error();
    assert_null(capheap_heap_alloc(h, 0, 64));
    ct_assert_one_error(CAPHEAP_ERR_CORRUPT, y, "alloc");
    ts_errors_reset();
    ct_heap_delete(h);
    ts_arena_free(a0);
    ts_arena_free(a1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interior_pointer_into_control_block),
        cmocka_unit_test(largest_free_block_not_under_reported),
        cmocka_unit_test(largest_free_aligned_is_the_largest),
        cmocka_unit_test(largest_free_aligned_can_be_had),
        cmocka_unit_test(nested_region_bookkeeping_is_no_block),
        cmocka_unit_test(migrated_control_block_leaves_no_header),
        cmocka_unit_test(unlink_write_what_where_refused),
        cmocka_unit_test(hardening_range_and_footer_edges),
        cmocka_unit_test(linked_block_of_another_tag_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
