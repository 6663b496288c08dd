/*
 * test_check.c - capheap_heap_check() finds each kind of damage: block
 * headers, footers, end markers, free-list links, bitmaps and counters. Each
 * word is overwritten, the check must report CAPHEAP_ERR_CORRUPT with an
 * address and a description (without calling the error hook), the word is put
 * back, and the check must pass again with the heap bit-identical to before
 * (the check's temporary marks are gone even after a failure).
 */
#include "core_test.h"

#include <stddef.h>

enum { ARENA = 32768, NSMALL = 10 };

typedef struct {
    capheap_heap_t *h;
    unsigned char *arena;
    void *small[NSMALL]; /* freed: NSMALL free blocks of one size class */
    void *keep[NSMALL];  /* live separators */
    void *pair[2];       /* two live neighbours */
    tagctl_t *ctl;
} fx_t;

static int setup(void **state) {
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->h = ct_heap_new(3, 2);
    f->arena = ct_arena(ARENA, 0);
    assert_int_equal(capheap_heap_add_region(f->h, f->arena, ARENA / 2, 0),
                     CAPHEAP_OK);
    assert_int_equal(
        capheap_heap_add_region(f->h, f->arena + ARENA / 2, ARENA / 2, 1),
        CAPHEAP_OK);
    for (int i = 0; i < NSMALL; i++) {
        f->small[i] = capheap_heap_alloc(f->h, 0, 100);
        f->keep[i] = capheap_heap_alloc(f->h, 0, 300);
        assert_non_null(f->small[i]);
        assert_non_null(f->keep[i]);
        ts_fill(f->keep[i], 300, (uint32_t)i);
    }
    for (int i = 0; i < NSMALL; i++)
        capheap_heap_free(f->h, f->small[i]);
    for (int i = 0; i < 2; i++) { /* carved one after the other */
        f->pair[i] = capheap_heap_alloc(f->h, 0, 200);
        assert_non_null(f->pair[i]);
        ts_fill(f->pair[i], 200, 100 + (uint32_t)i);
    }
    f->ctl = ct_control(f->h, 0).ptr;
    assert_non_null(f->ctl);
    ts_errors_install();
    ts_assert_heap_ok(f->h);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ts_assert_heap_ok(f->h);
    for (int i = 0; i < NSMALL; i++)
        assert_true(ts_verify(f->keep[i], 300, (uint32_t)i));
    for (int i = 0; i < 2; i++)
        assert_true(ts_verify(f->pair[i], 200, 100 + (uint32_t)i));
    ct_assert_no_error();
    ct_heap_delete(f->h);
    ts_arena_free(f->arena);
    free(f);
    return 0;
}

#define CORRUPT(f, w, val, addr)                                               \
    corrupt_at((f), (w), (val), NULL, 0, (addr), #w, __LINE__)
#define CORRUPT2(f, w, val, w2, val2, addr)                                    \
    corrupt_at((f), (w), (val), (w2), (val2), (addr), #w, __LINE__)
#define ANY_ADDR ((const void *)1) /* only require a non-NULL address */

/* Overwrite *w (and *w2 if given), check, restore, check again. */
static void corrupt_at(fx_t *f, word_t *w, word_t val, word_t *w2, word_t val2,
                       const void *addr, const char *label, int line) {
    ct_snap_t hs, as;
    ct_snap_take(&hs, f->h, CAPHEAP_HEAP_STORAGE_SIZE(3, 2));
    ct_snap_take(&as, f->arena, ARENA);
    word_t old = *w, old2 = w2 ? *w2 : 0;
    if (old == val)
        fail_msg("line %d: %s already holds the damaged value", line, label);
    *w = val;
    if (w2)
        *w2 = val2;
    capheap_check_report_t rep;
    memset(&rep, 0, sizeof rep);
    rep.error = CAPHEAP_OK;
    capheap_err_t err = capheap_heap_check(f->h, &rep);
    capheap_err_t err2 = capheap_heap_check(f->h, NULL); /* report optional */
    if (w2)
        *w2 = old2;
    *w = old;
    if (err != CAPHEAP_ERR_CORRUPT || err2 != CAPHEAP_ERR_CORRUPT)
        fail_msg("line %d: damage to %s not found", line, label);
    if (rep.error != CAPHEAP_ERR_CORRUPT || !rep.addr ||
        rep.fault == CAPHEAP_FAULT_NONE)
        fail_msg("line %d: %s: incomplete report", line, label);
    if (addr != ANY_ADDR && rep.addr != addr)
        fail_msg("line %d: %s: reported at %p (%s), expected %p", line, label,
                 rep.addr, capheap_fault_str(rep.fault), addr);
    ct_assert_no_error();
    if (!ct_snap_same(&hs) || !ct_snap_same(&as))
        fail_msg("line %d: %s: the check left the heap changed", line, label);
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_OK);
    assert_int_equal(rep.error, CAPHEAP_OK);
    ct_snap_drop(&hs);
    ct_snap_drop(&as);
}

static word_t *hdr_of(void *payload) {
    return (word_t *)(void *)((char *)payload - HDR_BYTES);
}

/* A live block of region 0 whose predecessor is live too. */
static capheap_block_info_t live_after_live(fx_t *f) {
    capheap_block_info_t bl[64];
    size_t n = ct_blocks(f->h, bl, 64);
    for (size_t i = 1; i < n; i++) {
        if (bl[i].region == 0 && bl[i - 1].region == 0 && bl[i].used &&
            !bl[i].control && bl[i - 1].used)
            return bl[i];
    }
    fail_msg("no live block after a live block");
    return bl[0];
}

/* A free block of region 0 with live blocks on both sides. */
static capheap_block_info_t free_between_live(fx_t *f) {
    capheap_block_info_t bl[64];
    size_t n = ct_blocks(f->h, bl, 64);
    for (size_t i = 1; i + 1 < n; i++) {
        if (bl[i].region == 0 && !bl[i].used && bl[i - 1].used &&
            bl[i + 1].used && bl[i + 1].region == 0)
            return bl[i];
    }
    fail_msg("no free block between live blocks");
    return bl[0];
}

static void damaged_block_headers(void **state) {
    fx_t *f = *state;
    capheap_block_info_t b = live_after_live(f);
    word_t *h = hdr_of(b.ptr);
    word_t v = *h;
    size_t size = b.size + HDR_BYTES;
    CORRUPT(f, h, 0, h);
    CORRUPT(f, h, v ^ ((word_t)1 << REGION_SHIFT), h); /* another region */
    CORRUPT(f, h, v | F_PREV_FREE, h);
    CORRUPT(f, h, v | F_FREE, h);    /* free: no footer, or two free */
    CORRUPT(f, h, v | F_CONTROL, h); /* a second control block */
    CORRUPT(f, h, (v & ~SIZE_MASK) | (MIN_BLOCK - ALIGN), h);
    CORRUPT(f, h, (v & ~SIZE_MASK) | (size + ALIGN), ANY_ADDR);
    CORRUPT(f, h, (v & ~SIZE_MASK) | (size - ALIGN), ANY_ADDR);
    CORRUPT(f, h, (v & ~SIZE_MASK) | (ARENA * 4), h); /* beyond the region */
    CORRUPT(f, h, ~(word_t)0, h);
    /* The control block's header. */
    word_t *ch = hdr_of(f->ctl);
    CORRUPT(f, ch, *ch & ~F_CONTROL, ANY_ADDR);
    CORRUPT(f, ch, *ch | F_FREE, ANY_ADDR);
}

static void damaged_free_blocks(void **state) {
    fx_t *f = *state;
    capheap_block_info_t b = free_between_live(f);
    word_t *h = hdr_of(b.ptr);
    size_t size = b.size + HDR_BYTES;
    word_t *foot = (word_t *)(void *)((char *)b.ptr + b.size) - 1;
    assert_int_equal(*foot, size);
    CORRUPT(f, foot, size + ALIGN, h);
    CORRUPT(f, foot, size - ALIGN, h);
    CORRUPT(f, foot, 0, h);
    CORRUPT(f, h, *h & ~F_FREE, ANY_ADDR); /* free but marked live */
    CORRUPT(f, h, *h + ALIGN, ANY_ADDR);   /* size */
    CORRUPT(f, h, *h | F_PREV_FREE, h);
    /* The successor's PREV_FREE. */
    word_t *nh = (word_t *)(void *)((char *)b.ptr + b.size);
    CORRUPT(f, nh, *nh & ~F_PREV_FREE, nh);
}

static void damaged_end_markers(void **state) {
    fx_t *f = *state;
    for (unsigned r = 0; r < 2; r++) {
        capheap_region_info_t ri = ct_region(f->h, r);
        word_t *em = (word_t *)(void *)((char *)ri.end - WORD_BYTES);
        word_t v = *em;
        CORRUPT(f, em, v | ALIGN, em);       /* a size */
        CORRUPT(f, em, v ^ F_PREV_FREE, em); /* the last block's state */
        CORRUPT(f, em, v | F_FREE, em);
        CORRUPT(f, em, v | F_CONTROL, em);
        CORRUPT(f, em, v ^ ((word_t)1 << REGION_SHIFT), em);
        CORRUPT(f, em, 0 ^ (r ? 0 : (word_t)1 << REGION_SHIFT), em);
    }
}

/* A link word as the heap stores it (mangled with CAPHEAP_MANGLE). */
#define LINK(v) ((word_t)(uintptr_t)(v) ^ link_key(t))

static void damaged_free_lists(void **state) {
    fx_t *f = *state;
    tagctl_t *t = f->ctl;
    size_t b = bin_of(ct_block_size(100));
    node_t *first = link_get(t, &t->heads[b]);
    assert_non_null(first);
    node_t *second = link_get(t, &first->next);
    assert_non_null(second);
    assert_non_null(link_get(t, &second->next));
    word_t *first_next = (word_t *)(void *)&first->next;
    word_t *second_pprev = (word_t *)(void *)&second->pprev;
    word_t *first_pprev = (word_t *)(void *)&first->pprev;

    /* next cut short: the rest of the list is missing, and the region walk
     * finds the lowest of the blocks cut off. */
    node_t *lowest = second;
    for (node_t *n = second; n; n = link_get(t, &n->next))
        lowest = n < lowest ? n : lowest;
    CORRUPT(f, first_next, LINK(0), lowest);
    /* next into a live block, next to itself (a cycle), next skipping one. */
    word_t *live = hdr_of(f->keep[3]);
    CORRUPT(f, first_next, LINK(live), live);
    CORRUPT(f, first_next, LINK(first), first);
    CORRUPT(f, first_next, LINK(link_get(t, &second->next)), ANY_ADDR);
    /* Back links. */
    CORRUPT(f, second_pprev, LINK(&second->next), second);
    CORRUPT(f, first_pprev, LINK(&t->heads[b + 1]), first);
    /* The head slot: empty, or pointing at the second block. */
    word_t *head = (word_t *)(void *)&t->heads[b];
    CORRUPT(f, head, LINK(0), &t->heads[b]);
    CORRUPT(f, head, LINK(second), second);
    /* A free block on the list of the wrong class: move the big free block's
     * head pointer to an empty class. */
    size_t big = bin_of(ct_block_size(capheap_heap_largest_free(f->h, 0)));
    size_t empty = b + 1;
    while (link_get(t, &t->heads[empty]))
        empty++;
    assert_true(empty < big);
    word_t *eh = (word_t *)(void *)&t->heads[empty];
    word_t *bit = &t->bitmap[empty / WORD_BITS];
    CORRUPT2(f, eh, (word_t)(uintptr_t)t->heads[big], bit,
             *bit | (word_t)1 << (empty % WORD_BITS), ANY_ADDR);
}

static void damaged_bitmaps_and_counters(void **state) {
    fx_t *f = *state;
    tagctl_t *t = f->ctl;
    size_t b = bin_of(ct_block_size(100));
    word_t *bm = &t->bitmap[b / WORD_BITS];
    CORRUPT(f, bm, *bm & ~((word_t)1 << (b % WORD_BITS)), ANY_ADDR);
    size_t empty = b + 1;
    while (link_get(t, &t->heads[empty]))
        empty++;
    word_t *em = &t->bitmap[empty / WORD_BITS];
    CORRUPT(f, em, *em | ((word_t)1 << (empty % WORD_BITS)), &t->heads[empty]);
    /* A bit past the last class. */
    size_t lw = (t->nbins - 1) / WORD_BITS, past = t->nbins % WORD_BITS;
    assert_true(past != 0);
    CORRUPT(f, &t->bitmap[lw], t->bitmap[lw] | (word_t)1 << past,
            &t->bitmap[lw]);

    CORRUPT(f, (word_t *)&t->free_count, t->free_count + 1, t);
    CORRUPT(f, (word_t *)&t->free_bytes, t->free_bytes - ALIGN, t);
    CORRUPT(f, (word_t *)&t->used_count, t->used_count - 1, t);
    CORRUPT(f, (word_t *)&t->block_bytes, t->block_bytes + ALIGN, t);
    CORRUPT(f, (word_t *)&t->min_free, t->free_bytes + 1, t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(damaged_block_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_free_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_end_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_free_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_bitmaps_and_counters, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
