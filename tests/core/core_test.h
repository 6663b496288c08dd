/*
 * core_test.h - helpers shared by the tests of the core (tests/core/).
 *
 * The tests are white-box where that makes expectations exact: they include
 * block.h for the layout constants (HDR_BYTES, MIN_BLOCK, ALIGN, ...) and, for
 * the corruption tests, the private structures.
 */
#ifndef CAPHEAP_CORE_TEST_H
#define CAPHEAP_CORE_TEST_H

#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "core/free_list.h"

/* ---- heap objects ------------------------------------------------------ */

/* Guard bytes after a heap object: init and the heap must not write there. */
#define CT_GUARD      64
#define CT_GUARD_BYTE 0x5A

/** A heap object in malloc'd storage followed by guard bytes. */
static inline capheap_heap_t *ct_heap_new(unsigned max_regions,
                                          unsigned max_tags) {
    size_t need = CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags);
    unsigned char *st = malloc(need + CT_GUARD);
    assert_non_null(st);
    memset(st, CT_GUARD_BYTE, need + CT_GUARD);
    capheap_heap_t *h = capheap_heap_init(st, need, max_regions, max_tags);
    assert_ptr_equal(h, st);
    return h;
}

/** Whether the guard after @p h's storage is intact. */
static inline int ct_heap_guard_ok(const capheap_heap_t *h, unsigned regions,
                                   unsigned tags) {
    const unsigned char *g =
        (const unsigned char *)h + CAPHEAP_HEAP_STORAGE_SIZE(regions, tags);
    for (size_t i = 0; i < CT_GUARD; i++) {
        if (g[i] != CT_GUARD_BYTE)
            return 0;
    }
    return 1;
}

static inline void ct_heap_delete(capheap_heap_t *h) {
    free(h);
}

/** An arena from ts_arena(), every byte set to @p byte (Valgrind: defined). */
static inline unsigned char *ct_arena(size_t size, int byte) {
    unsigned char *a = ts_arena(size);
    memset(a, byte, size);
    return a;
}

/* ---- statistics -------------------------------------------------------- */

static inline capheap_stats_t ct_tag_stats(capheap_heap_t *h, unsigned tag) {
    capheap_stats_t s;
    memset(&s, 0xA5, sizeof s); /* every field must be written */
    assert_int_equal(capheap_heap_tag_stats(h, tag, &s), CAPHEAP_OK);
    return s;
}

static inline capheap_stats_t ct_heap_stats(capheap_heap_t *h) {
    capheap_stats_t s;
    memset(&s, 0xA5, sizeof s);
    capheap_heap_stats(h, &s);
    return s;
}

/* A macro so that a failure names the caller's line. */
#define ct_assert_stats_equal(a, b)                                            \
    do {                                                                       \
        const capheap_stats_t *a_ = &(a), *b_ = &(b);                          \
        assert_int_equal(a_->total_bytes, b_->total_bytes);                    \
        assert_int_equal(a_->free_bytes, b_->free_bytes);                      \
        assert_int_equal(a_->allocated_bytes, b_->allocated_bytes);            \
        assert_int_equal(a_->largest_free_block, b_->largest_free_block);      \
        assert_int_equal(a_->minimum_free_bytes, b_->minimum_free_bytes);      \
        assert_int_equal(a_->allocated_blocks, b_->allocated_blocks);          \
        assert_int_equal(a_->free_blocks, b_->free_blocks);                    \
        assert_int_equal(a_->total_blocks, b_->total_blocks);                  \
    } while (0)

/* ---- walking ----------------------------------------------------------- */

/** Blocks of one tag (or all) as the walker sees them. */
typedef struct {
    int tag; /* tag to count, -1 for every tag */
    size_t used, free, control;
    size_t used_bytes, free_bytes, control_bytes, largest_free;
} ct_tally_t;

static inline bool ct_tally_fn(const capheap_block_info_t *b, void *user) {
    ct_tally_t *t = user;
    if (t->tag >= 0 && b->tag != (unsigned)t->tag)
        return true;
    if (b->control) {
        t->control++;
        t->control_bytes += b->size;
    } else if (b->used) {
        t->used++;
        t->used_bytes += b->size;
    } else {
        t->free++;
        t->free_bytes += b->size;
        if (b->size > t->largest_free)
            t->largest_free = b->size;
    }
    return true;
}

static inline ct_tally_t ct_tally(capheap_heap_t *h, int tag) {
    ct_tally_t t;
    memset(&t, 0, sizeof t);
    t.tag = tag;
    assert_true(capheap_heap_walk(h, ct_tally_fn, &t));
    return t;
}

/** The payload of @p tag's control block (found with the walker), or NULL. */
typedef struct {
    unsigned tag;
    void *ptr;
    size_t size;
    unsigned region;
} ct_find_control_t;

static inline bool ct_find_control_fn(const capheap_block_info_t *b,
                                      void *user) {
    ct_find_control_t *f = user;
    if (b->control && b->tag == f->tag) {
        f->ptr = b->ptr;
        f->size = b->size;
        f->region = b->region;
        return false;
    }
    return true;
}

static inline ct_find_control_t ct_control(capheap_heap_t *h, unsigned tag) {
    ct_find_control_t f = {tag, NULL, 0, 0};
    capheap_heap_walk(h, ct_find_control_fn, &f);
    return f;
}

/** Every block the walker reports, in walk order (at most @p max). */
typedef struct {
    capheap_block_info_t *v;
    size_t n, max;
} ct_blocks_t;

static inline bool ct_blocks_fn(const capheap_block_info_t *b, void *user) {
    ct_blocks_t *l = user;
    if (l->n < l->max)
        l->v[l->n] = *b;
    l->n++;
    return true;
}

static inline size_t ct_blocks(capheap_heap_t *h, capheap_block_info_t *v,
                               size_t max) {
    ct_blocks_t l = {v, 0, max};
    assert_true(capheap_heap_walk(h, ct_blocks_fn, &l));
    assert_true(l.n <= max);
    return l.n;
}

/** Index in @p v of the first free block of @p region of at least @p size
 * usable bytes; fails the test if there is none. */
static inline size_t ct_find_free(const capheap_block_info_t *v, size_t n,
                                  unsigned region, size_t size) {
    for (size_t i = 0; i < n; i++) {
        if (!v[i].used && v[i].region == region && v[i].size >= size)
            return i;
    }
    fail_msg("no free block of %zu bytes in region %u", size, region);
    return 0;
}

/** The block physically after the one at @p ptr in the same region
 * (ptr NULL when @p ptr is the region's last block). */
typedef struct {
    const void *ptr;
    int state; /* 0 looking, 1 found ptr, 2 done */
    unsigned region;
    capheap_block_info_t next;
} ct_next_t;

static inline bool ct_next_fn(const capheap_block_info_t *b, void *user) {
    ct_next_t *n = user;
    if (n->state == 1) {
        if (b->region == n->region)
            n->next = *b;
        n->state = 2;
        return false;
    }
    if (b->ptr == n->ptr) {
        n->state = 1;
        n->region = b->region;
    }
    return true;
}

static inline capheap_block_info_t ct_next_block(capheap_heap_t *h,
                                                 const void *ptr) {
    ct_next_t n;
    memset(&n, 0, sizeof n);
    n.ptr = ptr;
    capheap_heap_walk(h, ct_next_fn, &n);
    assert_int_not_equal(n.state, 0);
    return n.next;
}

/* ---- regions ----------------------------------------------------------- */

static inline capheap_region_info_t ct_region(const capheap_heap_t *h,
                                              unsigned index) {
    capheap_region_info_t r;
    assert_int_equal(capheap_heap_region_info(h, index, &r), CAPHEAP_OK);
    return r;
}

/** Whether [p, p + n) lies inside a region of tag @p tag; with nested
 * regions the innermost (latest start) one counts. */
static inline int ct_inside_tag(const capheap_heap_t *h, const void *p,
                                size_t n, unsigned tag) {
    uintptr_t a = (uintptr_t)p, best = 0;
    int found = -1;
    for (unsigned i = 0; i < capheap_heap_region_count(h); i++) {
        capheap_region_info_t r = ct_region(h, i);
        if (a >= (uintptr_t)r.start && a + n <= (uintptr_t)r.end &&
            (uintptr_t)r.start >= best) {
            best = (uintptr_t)r.start;
            found = (int)r.tag;
        }
    }
    return found == (int)tag;
}

/* ---- snapshots: proof that a call changed nothing ---------------------- */

typedef struct {
    const unsigned char *p;
    size_t n;
    unsigned char *copy;
} ct_snap_t;

static inline void ct_snap_take(ct_snap_t *s, const void *p, size_t n) {
    s->p = p;
    s->n = n;
    s->copy = malloc(n);
    assert_non_null(s->copy);
    memcpy(s->copy, p, n);
}

static inline int ct_snap_same(const ct_snap_t *s) {
    return memcmp(s->p, s->copy, s->n) == 0;
}

static inline void ct_snap_drop(ct_snap_t *s) {
    free(s->copy);
    s->copy = NULL;
}

/* ---- errors ------------------------------------------------------------ */

/** Exactly one error since the last reset, with this code, address and op. */
#define ct_assert_one_error(code, addr, op)                                    \
    do {                                                                       \
        const ts_errors_t *e_ = ts_errors();                                   \
        assert_int_equal(e_->count, 1);                                        \
        assert_int_equal(e_->last, (code));                                    \
        assert_ptr_equal(e_->last_addr, (addr));                               \
        assert_non_null(e_->last_op);                                          \
        assert_string_equal(e_->last_op, (op));                                \
    } while (0)

#define ct_assert_no_error() assert_int_equal(ts_errors()->count, 0)

/** Block size the heap uses for a request of @p n bytes (block.h layout). */
static inline size_t ct_block_size(size_t n) {
    size_t s = ROUND_UP(n + HDR_BYTES, ALIGN);
    return s < MIN_BLOCK ? MIN_BLOCK : s;
}

#endif /* CAPHEAP_CORE_TEST_H */
