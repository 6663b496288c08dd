/*
 * fuzz_core.c - libFuzzer harness for the core heap (capheap/heap.h).
 *
 * The input is a program (fuzz_util.h): a layout of up to five arenas in one
 * static buffer (sizes, tags, odd starts, adjacent or apart with guard bytes
 * between), then operations: alloc, alloc_from, aligned_alloc, free,
 * realloc (grow, shrink, move, to 0, impossible sizes), usable_size,
 * live_size, block_tag, containing_block, regions added later, regions of
 * any tag nested inside live blocks, bad add_region calls, and bad pointers
 * of every kind (foreign, guard bytes, interior, misaligned, stale, a free
 * block's payload, inside a control block, a region's first words - a
 * nested region's bookkeeping -, just past or before a region, the heap
 * object) passed to free, realloc, usable_size and block_tag.
 *
 * A reference model (every live block: address, usable size, tag, fill
 * seed) checks after every operation that:
 *   - a new block is aligned (to the alignment asked), lies inside the
 *     innermost region holding it, which has the tag asked (alloc_from: one
 *     of the tags, none before it that was guaranteed to fit), and overlaps
 *     no live block other than the one its region is nested in;
 *   - contents are kept: each block holds its own pattern, verified before
 *     free and realloc and every 16 operations for all blocks; realloc keeps
 *     min(old, new) bytes; a failed realloc leaves the block as it was;
 *   - capheap_heap_check() is clean and the walker lists exactly the
 *     model's live blocks (plus control blocks);
 *   - per tag, allocated blocks and bytes equal the model's, free +
 *     allocated + header * blocks is constant between region additions,
 *     minimum free <= free, and the heap's statistics are the tags' sums;
 *   - a request up to largest_free_block succeeds;
 *   - a refused call (bad pointer, impossible size, bad region) returns its
 *     documented failure, changes no byte of the buffer or the heap object,
 *     and makes exactly the documented error report (free, realloc,
 *     usable_size, block_tag: one, with the right code, op and address;
 *     alloc and add_region: none);
 *   - no byte outside the arenas is ever written.
 */
#include "fuzz_util.h"

enum {
    MEM = 96 * 1024,
    NARENA = 5,
    MAXTAGS = 4,
    MAXREG = 10,
    MAXLIVE = 64,
    MAXSTALE = 16,
    MAXWALK = 512,
    GUARD = 0xA5
};

#define ALIGN ((size_t)CAPHEAP_ALIGNMENT)
#define HDR   (sizeof(uintptr_t) + (size_t)CAPHEAP_BLOCK_PREFIX_BYTES)

typedef struct {
    unsigned char *p;
    size_t usable, align;
    unsigned tag;
    uint32_t seed;
    int host; /* a region is nested in it: never freed, contents not kept */
} blk_t;

typedef struct {
    size_t off, size;
    unsigned tag;
    int added;
} arena_t;

typedef struct {
    void *ptr;
    size_t size;
    int used, control;
    unsigned tag, region;
} wblk_t;

static _Alignas(64) unsigned char mem[MEM];
static _Alignas(64) unsigned char shadow[MEM];
static _Alignas(64) unsigned char other[256]; /* never a region */
static void
    *storage[CAPHEAP_HEAP_STORAGE_SIZE(MAXREG, MAXTAGS) / sizeof(void *) + 1];
static void *storage_shadow[sizeof storage / sizeof(void *)];

static struct {
    capheap_heap_t *h;
    unsigned ntags;
    arena_t ar[NARENA];
    unsigned nar;
    capheap_region_info_t reg[MAXREG];
    unsigned nreg;
    blk_t live[MAXLIVE];
    unsigned nlive;
    void *stale[MAXSTALE];
    unsigned nstale;
    size_t C[MAXTAGS], count[MAXTAGS], bytes[MAXTAGS], minf[MAXTAGS];
    wblk_t walk[MAXWALK];
    unsigned nwalk;
    unsigned step;
} M;

/* ---- regions and the model -------------------------------------------- */

static void refresh_regions(void) {
    M.nreg = capheap_heap_region_count(M.h);
    FZ_CHECK(M.nreg <= MAXREG);
    for (unsigned i = 0; i < M.nreg; i++)
        FZ_EQ(capheap_heap_region_info(M.h, i, &M.reg[i]), CAPHEAP_OK);
}

/* Innermost region holding @p a: regions nest, so the smallest. */
FZ_QUIET static const capheap_region_info_t *region_at(const void *a) {
    const capheap_region_info_t *best = NULL;
    for (unsigned i = 0; i < M.nreg; i++) {
        const capheap_region_info_t *r = &M.reg[i];
        if ((const char *)a >= (const char *)r->start &&
            (const char *)a < (const char *)r->end &&
            (!best || (char *)r->end - (char *)r->start <
                          (char *)best->end - (char *)best->start))
            best = r;
    }
    return best;
}

static capheap_stats_t tag_stats(unsigned t) {
    capheap_stats_t s;
    FZ_EQ(capheap_heap_tag_stats(M.h, t, &s), CAPHEAP_OK);
    return s;
}

static size_t invariant(unsigned t) {
    capheap_stats_t s = tag_stats(t);
    return s.free_bytes + s.allocated_bytes + HDR * s.total_blocks;
}

static void snapshot(void) {
    memcpy(shadow, mem, MEM);
    memcpy(storage_shadow, storage, sizeof storage);
}

FZ_QUIET static void unchanged(const char *what, const void *arg) {
    if (memcmp(storage, storage_shadow, sizeof storage) != 0)
        FZ_FAIL("refused %s(%p) changed the heap object", what, arg);
    if (memcmp(mem, shadow, MEM) == 0)
        return;
    for (size_t i = 0; i < MEM; i++) {
        if (mem[i] != shadow[i])
            FZ_FAIL("refused %s(%p) changed byte %p (0x%02x -> 0x%02x)", what,
                    arg, (void *)&mem[i], shadow[i], mem[i]);
    }
}

FZ_QUIET static bool collect(const capheap_block_info_t *b, void *user) {
    (void)user;
    FZ_CHECK(M.nwalk < MAXWALK);
    M.walk[M.nwalk++] =
        (wblk_t){b->ptr, b->size, b->used, b->control, b->tag, b->region};
    return true;
}

static void walk(void) {
    M.nwalk = 0;
    FZ_CHECK(capheap_heap_walk(M.h, collect, NULL));
}

FZ_QUIET static int find_live(const void *p) {
    for (unsigned i = 0; i < M.nlive; i++) {
        if (M.live[i].p == p)
            return (int)i;
    }
    return -1;
}

static void verify(const blk_t *b) {
    if (b->host)
        return;
    size_t at = fz_verify(b->p, b->usable, b->seed);
    if (at != b->usable)
        FZ_FAIL("block %p (%zu bytes): byte %zu changed", (void *)b->p,
                b->usable, at);
}

/* The host of nested region @p r: the live block whose payload holds it. */
FZ_QUIET static const blk_t *host_of(const capheap_region_info_t *r) {
    const blk_t *best = NULL; /* hosts nest too: the smallest */
    for (unsigned i = 0; i < M.nlive; i++) {
        const blk_t *b = &M.live[i];
        if (b->host && (char *)r->start >= (char *)b->p &&
            (char *)r->end <= (char *)b->p + b->usable &&
            (!best || b->usable < best->usable))
            best = b;
    }
    return best;
}

/* A new block: where it is, what it overlaps, then into the model. */
FZ_QUIET static void place(unsigned char *p, size_t req, size_t align,
                           unsigned tag) {
    FZ_EQ((uintptr_t)p % ALIGN, 0);
    if (align)
        FZ_EQ((uintptr_t)p % align, 0);
    size_t u = capheap_heap_usable_size(M.h, p);
    FZ_CHECK(u >= req);
    FZ_EQ(capheap_heap_live_size(M.h, p), u);
    FZ_EQ(capheap_heap_block_tag(M.h, p), tag);
    const capheap_region_info_t *r = region_at(p);
    if (!r)
        FZ_FAIL("block %p outside every region", (void *)p);
    FZ_EQ(r->tag, tag);
    FZ_CHECK(p - HDR >= (unsigned char *)r->start);
    FZ_CHECK(p + u <= (unsigned char *)r->end - sizeof(uintptr_t));
    for (unsigned i = 0; i < M.nlive; i++) {
        const blk_t *b = &M.live[i];
        if (p < b->p + b->usable && b->p < p + u) {
            /* Only the block a region is nested in may hold it, and only
             * when that region is the block's. */
            int inside = 0;
            for (const capheap_region_info_t *q = r; q && !inside;) {
                const blk_t *hb = host_of(q);
                inside = hb == b;
                q = hb ? region_at(hb->p) : NULL;
            }
            if (!inside)
                FZ_FAIL("block %p+%zu overlaps live block %p+%zu", (void *)p, u,
                        (void *)b->p, b->usable);
        }
    }
    FZ_TRACE("  block %p usable %zu tag %u (region %p-%p)\n", (void *)p, u, tag,
             r->start, r->end);
    FZ_CHECK(M.nlive < MAXLIVE);
    blk_t *b = &M.live[M.nlive++];
    *b = (blk_t){p, u, align, tag, (uint32_t)(M.step * 2654435761u + u), 0};
    fz_fill(p, u, b->seed);
    M.count[tag]++;
    M.bytes[tag] += u;
    /* A block that reuses a stale pointer's memory makes it live again. */
    for (unsigned i = 0; i < M.nstale; i++) {
        if ((unsigned char *)M.stale[i] == p)
            M.stale[i] = M.stale[--M.nstale];
    }
}

static void drop(unsigned i) {
    blk_t *b = &M.live[i];
    M.count[b->tag]--;
    M.bytes[b->tag] -= b->usable;
    if (M.nstale < MAXSTALE)
        M.stale[M.nstale++] = b->p;
    else
        M.stale[M.step % MAXSTALE] = b->p;
    M.live[i] = M.live[--M.nlive];
}

/* ---- after every operation -------------------------------------------- */

FZ_QUIET static void check_all(int full) {
    capheap_check_report_t rep;
    if (capheap_heap_check(M.h, &rep) != CAPHEAP_OK)
        FZ_FAIL("step %u: heap check: %s at %p", M.step,
                capheap_fault_str(rep.fault), rep.addr);
    walk();
    unsigned used = 0;
    for (unsigned i = 0; i < M.nwalk; i++) {
        const wblk_t *w = &M.walk[i];
        if (!w->used || w->control)
            continue;
        used++;
        int k = find_live(w->ptr);
        if (k < 0)
            FZ_FAIL("walker lists a live block %p the model does not have",
                    w->ptr);
        FZ_EQ(w->size, M.live[k].usable);
        FZ_EQ(w->tag, M.live[k].tag);
    }
    FZ_EQ(used, M.nlive);
    capheap_stats_t sum, all;
    memset(&sum, 0, sizeof sum);
    for (unsigned t = 0; t < M.ntags; t++) {
        capheap_stats_t s = tag_stats(t);
        FZ_EQ(s.allocated_blocks, M.count[t]);
        FZ_EQ(s.allocated_bytes, M.bytes[t]);
        FZ_EQ(s.total_blocks, s.allocated_blocks + s.free_blocks);
        FZ_EQ(s.free_bytes + s.allocated_bytes + HDR * s.total_blocks, M.C[t]);
        FZ_CHECK(s.minimum_free_bytes <= s.free_bytes);
        FZ_CHECK(s.minimum_free_bytes <= M.minf[t]);
        FZ_CHECK(s.largest_free_block <= s.free_bytes);
        M.minf[t] = s.minimum_free_bytes;
        FZ_EQ(capheap_heap_free_bytes(M.h, t), s.free_bytes);
        FZ_EQ(capheap_heap_largest_free(M.h, t), s.largest_free_block);
        sum.total_bytes += s.total_bytes;
        sum.free_bytes += s.free_bytes;
        sum.allocated_bytes += s.allocated_bytes;
        sum.minimum_free_bytes += s.minimum_free_bytes;
        sum.allocated_blocks += s.allocated_blocks;
        sum.free_blocks += s.free_blocks;
        sum.total_blocks += s.total_blocks;
        if (s.largest_free_block > sum.largest_free_block)
            sum.largest_free_block = s.largest_free_block;
    }
    capheap_heap_stats(M.h, &all);
    FZ_CHECK(memcmp(&sum, &all, sizeof sum) == 0);
    if (full) {
        for (unsigned i = 0; i < M.nlive; i++)
            verify(&M.live[i]);
    }
}

/* ---- operations -------------------------------------------------------- */

static size_t pick_size(fz_in_t *in) {
    unsigned k = fz_u8(in);
    if (k < 160)
        return 1 + k % 96;
    if (k < 230)
        return 97 + fz_u16(in) % 1024;
    return 1 + fz_u16(in) % 24576;
}

static void op_alloc(fz_in_t *in) {
    unsigned tag = fz_u8(in) % M.ntags;
    size_t n = pick_size(in);
    size_t guaranteed = capheap_heap_largest_free(M.h, tag);
    unsigned char *p = capheap_heap_alloc(M.h, tag, n);
    if (!p) {
        if (n <= guaranteed)
            FZ_FAIL("alloc(%u, %zu) failed; largest free is %zu", tag, n,
                    guaranteed);
        return;
    }
    place(p, n, 0, tag);
}

static void op_alloc_from(fz_in_t *in) {
    uint8_t tags[3];
    unsigned count = 1 + fz_u8(in) % 3;
    size_t guaranteed[3];
    for (unsigned i = 0; i < count; i++) {
        tags[i] = (uint8_t)(fz_u8(in) % M.ntags);
        guaranteed[i] = capheap_heap_largest_free(M.h, tags[i]);
    }
    size_t n = pick_size(in);
    unsigned char *p = capheap_heap_alloc_from(M.h, tags, count, n);
    unsigned first_sure = count; /* the first tag sure to have room */
    for (unsigned i = 0; i < count && first_sure == count; i++) {
        if (n <= guaranteed[i])
            first_sure = i;
    }
    if (!p) {
        FZ_CHECK(first_sure == count);
        return;
    }
    int tag = capheap_heap_block_tag(M.h, p);
    unsigned at = count;
    for (unsigned i = 0; i < count && at == count; i++) {
        if ((int)tags[i] == tag)
            at = i;
    }
    if (at == count || at > first_sure)
        FZ_FAIL("alloc_from gave tag %d (list position %u); position %u was "
                "sure to fit",
                tag, at, first_sure);
    place(p, n, 0, (unsigned)tag);
}

static void op_aligned(fz_in_t *in) {
    unsigned tag = fz_u8(in) % M.ntags;
    unsigned k = fz_u8(in);
    size_t align = (size_t)1 << (k % 13);
    size_t n = pick_size(in);
    size_t guaranteed = capheap_heap_largest_free_aligned(M.h, tag, align);
    unsigned char *p = capheap_heap_aligned_alloc(M.h, tag, align, n);
    if (!p) {
        if (n <= guaranteed)
            FZ_FAIL("aligned_alloc(%u, %zu, %zu) failed; largest free "
                    "aligned is %zu",
                    tag, align, n, guaranteed);
        return;
    }
    place(p, n, align, tag);
}

/* A live block that is not a host, or -1. */
static int pick_live(fz_in_t *in) {
    if (!M.nlive)
        return -1;
    unsigned i = fz_u8(in) % M.nlive;
    for (unsigned k = 0; k < M.nlive; k++) {
        unsigned j = (i + k) % M.nlive;
        if (!M.live[j].host)
            return (int)j;
    }
    return -1;
}

static void op_free(fz_in_t *in) {
    int i = pick_live(in);
    if (i < 0)
        return;
    verify(&M.live[i]);
    FZ_TRACE("  free %p\n", (void *)M.live[i].p);
    unsigned before = fz_errors.count;
    capheap_heap_free(M.h, M.live[i].p);
    FZ_EQ(fz_errors.count, before);
    drop((unsigned)i);
}

static void op_realloc(fz_in_t *in) {
    int i = pick_live(in);
    if (i < 0)
        return;
    blk_t old = M.live[i];
    verify(&old);
    unsigned k = fz_u8(in) % 8;
    size_t n;
    if (k == 0)
        n = 0;
    else if (k == 1 && old.usable > 1)
        n = old.usable - 1 - fz_u8(in) % (old.usable - 1); /* shrink */
    else if (k == 2)
        n = old.usable + 1 + fz_u8(in); /* grow a little */
    else
        n = pick_size(in);
    FZ_TRACE("  realloc %p to %zu\n", (void *)old.p, n);
    unsigned before = fz_errors.count;
    unsigned char *p = capheap_heap_realloc(M.h, old.p, n);
    FZ_EQ(fz_errors.count, before);
    if (n == 0) {
        FZ_CHECK(p == NULL);
        drop((unsigned)i);
        return;
    }
    if (!p) {
        verify(&old); /* untouched and still ours */
        FZ_EQ(capheap_heap_usable_size(M.h, old.p), old.usable);
        return;
    }
    size_t keep = old.usable < n ? old.usable : n;
    size_t at = fz_verify(p, keep, old.seed);
    if (at != keep)
        FZ_FAIL("realloc(%p, %zu) -> %p lost byte %zu of %zu", (void *)old.p, n,
                (void *)p, at, keep);
    M.count[old.tag]--;
    M.bytes[old.tag] -= old.usable;
    M.live[i] = M.live[--M.nlive];
    if (p != old.p && M.nstale < MAXSTALE)
        M.stale[M.nstale++] = old.p;
    place(p, n, 0, old.tag);
}

static void op_query(fz_in_t *in) {
    int i = pick_live(in);
    if (i < 0)
        return;
    const blk_t *b = &M.live[i];
    unsigned before = fz_errors.count;
    FZ_EQ(capheap_heap_usable_size(M.h, b->p), b->usable);
    FZ_EQ(capheap_heap_live_size(M.h, b->p), b->usable);
    FZ_EQ(capheap_heap_block_tag(M.h, b->p), b->tag);
    FZ_CHECK(capheap_heap_contains(M.h, b->p));
    size_t off = fz_u16(in) % b->usable;
    FZ_CHECK(capheap_heap_containing_block(M.h, b->p + off) == b->p);
    FZ_EQ(fz_errors.count, before);
}

/* Nest a region of any tag inside a live block. */
static void op_nest(fz_in_t *in) {
    int i = pick_live(in);
    if (i < 0)
        return;
    blk_t *b = &M.live[i];
    size_t head = fz_u8(in) % 64, tail = fz_u8(in) % 64;
    unsigned tag = fz_u8(in) % M.ntags;
    if (b->usable < head + tail + 64)
        return;
    size_t size = b->usable - head - tail;
    size_t C_before = invariant(tag);
    snapshot();
    capheap_err_t e = capheap_heap_add_region(M.h, b->p + head, size, tag);
    if (e == CAPHEAP_ERR_NO_SLOT) {
        FZ_EQ(M.nreg, MAXREG);
    } else if (e == CAPHEAP_ERR_TOO_SMALL) {
        FZ_CHECK(size < 4096); /* a control block of any size fits */
    } else if (e != CAPHEAP_OK) {
        FZ_FAIL("add_region inside live block %p+%zu: %s", (void *)b->p,
                b->usable, capheap_err_str(e));
    }
    if (e != CAPHEAP_OK) {
        unchanged("add_region", b->p + head);
        return;
    }
    b->host = 1;
    FZ_TRACE("  nested region %p+%zu tag %u in block %p\n",
             (void *)(b->p + head), size, tag, (void *)b->p);
    refresh_regions();
    M.C[tag] = invariant(tag);
    FZ_CHECK(M.C[tag] > C_before);
    M.minf[tag] = (size_t)-1;
}

static void op_add_arena(fz_in_t *in) {
    (void)in;
    for (unsigned a = 0; a < M.nar; a++) {
        arena_t *ar = &M.ar[a];
        if (ar->added)
            continue;
        capheap_err_t e =
            capheap_heap_add_region(M.h, mem + ar->off, ar->size, ar->tag);
        if (e == CAPHEAP_ERR_NO_SLOT) {
            FZ_EQ(M.nreg, MAXREG);
            return;
        }
        FZ_EQ(e, CAPHEAP_OK);
        ar->added = 1;
        FZ_TRACE("  region mem+%zu size %zu tag %u\n", ar->off, ar->size,
                 ar->tag);
        refresh_regions();
        M.C[ar->tag] = invariant(ar->tag);
        M.minf[ar->tag] = (size_t)-1;
        return;
    }
}

/* add_region calls that must be refused without a change. */
static void op_bad_region(fz_in_t *in) {
    unsigned k = fz_u8(in) % 5;
    void *start = NULL;
    size_t size = 0;
    unsigned tag = fz_u8(in) % M.ntags;
    capheap_err_t want = CAPHEAP_ERR_OVERLAP;
    if (k == 0 && M.nreg) { /* overlapping a region */
        const capheap_region_info_t *r = &M.reg[fz_u8(in) % M.nreg];
        size_t span = (size_t)((char *)r->end - (char *)r->start);
        start = (char *)r->start + fz_u16(in) % span;
        size = 256 + fz_u16(in) % 4096;
    } else if (k == 1) { /* over the heap object */
        start = (char *)storage + fz_u8(in) % 64;
        size = 512;
    } else if (k == 2) {
        tag = M.ntags + fz_u8(in) % 4; /* tag out of range */
        start = other;
        size = sizeof other;
        want = CAPHEAP_ERR_INVALID_ARG;
    } else if (k == 3) { /* wraps */
        start = other;
        size = SIZE_MAX - 8;
        want = CAPHEAP_ERR_INVALID_ARG;
    } else if (k == 4) { /* too small */
        start = other;
        size = 1 + fz_u8(in) % 48;
        want = CAPHEAP_ERR_TOO_SMALL;
    } else {
        return;
    }
    /* A range inside a live block's payload is a nested region: legal. */
    for (unsigned i = 0; i < M.nlive && want == CAPHEAP_ERR_OVERLAP; i++) {
        const blk_t *b = &M.live[i];
        if ((char *)start >= (char *)b->p &&
            (char *)start + size <= (char *)b->p + b->usable)
            return;
    }
    snapshot();
    unsigned before = fz_errors.count;
    capheap_err_t e = capheap_heap_add_region(M.h, start, size, tag);
    if (e != want && !(want == CAPHEAP_ERR_OVERLAP &&
                       e == CAPHEAP_ERR_NO_SLOT && M.nreg == MAXREG))
        FZ_FAIL("add_region(%p, %zu, %u): %s, expected %s", start, size, tag,
                capheap_err_str(e), capheap_err_str(want));
    FZ_EQ(fz_errors.count, before);
    unchanged("add_region", start);
}

/* Requests that cannot be met: NULL, no report, no change. */
static void op_impossible(fz_in_t *in) {
    unsigned k = fz_u8(in) % 6;
    unsigned tag = fz_u8(in) % M.ntags;
    snapshot();
    unsigned before = fz_errors.count;
    void *p = NULL;
    if (k == 0)
        p = capheap_heap_alloc(M.h, tag, 0);
    else if (k == 1)
        p = capheap_heap_alloc(M.h, tag, SIZE_MAX - fz_u8(in));
    else if (k == 2)
        p = capheap_heap_alloc(M.h, M.ntags + fz_u8(in) % 200, 16);
    else if (k == 3)
        p = capheap_heap_aligned_alloc(M.h, tag,
                                       3 * ((size_t)1 << fz_u8(in) % 8), 16);
    else if (k == 4)
        p = capheap_heap_aligned_alloc(M.h, tag, 64, SIZE_MAX / 2);
    else {
        int i = pick_live(in);
        if (i < 0)
            return;
        p = capheap_heap_realloc(M.h, M.live[i].p, SIZE_MAX - fz_u8(in));
    }
    FZ_CHECK(p == NULL);
    FZ_EQ(fz_errors.count, before);
    unchanged("impossible request", p);
}

/* Probe the figures: a request of exactly largest_free succeeds. */
static void op_probe(fz_in_t *in) {
    unsigned tag = fz_u8(in) % M.ntags;
    size_t L = capheap_heap_largest_free(M.h, tag);
    if (!L)
        return;
    unsigned char *p = capheap_heap_alloc(M.h, tag, L);
    if (!p)
        FZ_FAIL("alloc(%u, largest free %zu) failed", tag, L);
    place(p, L, 0, tag);
}

static void op_window(fz_in_t *in) {
    unsigned tag = fz_u8(in) % M.ntags;
    capheap_stats_t s = tag_stats(tag);
    size_t old = capheap_heap_reset_min_free(M.h, tag);
    FZ_EQ(old, s.minimum_free_bytes);
    FZ_EQ(tag_stats(tag).minimum_free_bytes, s.free_bytes);
    M.minf[tag] = s.free_bytes;
    if (fz_u8(in) & 1) {
        capheap_heap_restore_min_free(M.h, tag, old);
        FZ_EQ(tag_stats(tag).minimum_free_bytes, old);
        M.minf[tag] = old;
    }
}

/* ---- bad pointers ------------------------------------------------------- */

/* A pointer that is no live block, of the class the input picks; NULL if
 * the class has no candidate now. */
static unsigned char *bad_pointer(fz_in_t *in, unsigned *cls) {
    unsigned k = fz_u8(in) % 12;
    unsigned v = fz_u16(in);
    *cls = k;
    switch (k) {
    case 0: /* foreign: not in the buffer */
        return v & 1 ? other + ALIGN * (v % 8) : shadow + ALIGN * (v % 64);
    case 1: { /* in the buffer, aligned, anywhere */
        return mem + (v * ALIGN) % MEM;
    }
    case 2: { /* interior */
        int i = pick_live(in);
        if (i < 0 || M.live[i].usable <= ALIGN)
            return NULL;
        const blk_t *b = &M.live[i];
        return b->p + ALIGN * (1 + v % ((b->usable - 1) / ALIGN));
    }
    case 3: { /* misaligned */
        int i = pick_live(in);
        if (i < 0)
            return NULL;
        return M.live[i].p + 1 + v % (ALIGN - 1);
    }
    case 4: /* stale: freed or moved away */
        return M.nstale ? M.stale[v % M.nstale] : NULL;
    case 5:   /* inside a control block */
    case 8: { /* a free block's payload */
        walk();
        unsigned n = 0;
        for (unsigned i = 0; i < M.nwalk; i++)
            n += k == 5 ? M.walk[i].control : !M.walk[i].used;
        if (!n)
            return NULL;
        unsigned want = v % n;
        for (unsigned i = 0; i < M.nwalk; i++) {
            const wblk_t *w = &M.walk[i];
            if ((k == 5 ? w->control : !w->used) && want-- == 0) {
                if (k == 8)
                    return w->ptr;
                return (unsigned char *)w->ptr +
                       ALIGN * (fz_u8(in) % (w->size / ALIGN + 1));
            }
        }
        return NULL;
    }
    case 6: { /* a region's first words: a nested region's bookkeeping */
        if (!M.nreg)
            return NULL;
        /* Nested regions (the later ones) more often. */
        unsigned r = v & 1 ? M.nreg - 1 - (v >> 1) % M.nreg : v % M.nreg;
        unsigned char *s = M.reg[r].start;
        unsigned w = fz_u8(in) % 24;
        return w < 16 ? s + HDR + ALIGN * w
                      : s + sizeof(uintptr_t) * (w - 16); /* any word */
    }
    case 7: { /* just past or before a region, the end marker */
        if (!M.nreg)
            return NULL;
        const capheap_region_info_t *r = &M.reg[v % M.nreg];
        uintptr_t e = (uintptr_t)r->end;
        switch (fz_u8(in) % 4) {
        case 0:
            return (unsigned char *)((e + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
        case 1:
            return (unsigned char *)(e & ~(uintptr_t)(ALIGN - 1));
        case 2:
            return (unsigned char *)r->end - sizeof(uintptr_t);
        default:
            return (unsigned char *)(((uintptr_t)r->start - 1) &
                                     ~(uintptr_t)(ALIGN - 1));
        }
    }
    case 9: /* the heap object */
        return (unsigned char *)storage + ALIGN * (v % 4);
    case 10: { /* a host block's payload past its start */
        unsigned n = 0;
        for (unsigned i = 0; i < M.nlive; i++)
            n += M.live[i].host;
        for (unsigned i = 0, want = n ? v % n : 0; n && i < M.nlive; i++) {
            if (M.live[i].host && want-- == 0)
                return M.live[i].p + ALIGN * (1 + fz_u8(in) % 16);
        }
        return NULL;
    }
    default: /* small integers */
        return (unsigned char *)(uintptr_t)(ALIGN * (1 + v % 64));
    }
}

FZ_QUIET static int in_region(const void *p) {
    for (unsigned i = 0; i < M.nreg; i++) {
        if ((const char *)p >= (const char *)M.reg[i].start &&
            (const char *)p < (const char *)M.reg[i].end)
            return 1;
    }
    return 0;
}

static void op_bad_pointer(fz_in_t *in) {
    unsigned cls;
    unsigned char *q = bad_pointer(in, &cls);
    unsigned how = fz_u8(in) % 5;
    if (!q || find_live(q) >= 0)
        return; /* no candidate, or a live block after all */
    /* What free must say: outside every region a foreign pointer; a free
     * block's payload a double free; anything else in a region is no
     * block (the stale payload of a merged block still reads FREE: a
     * double free too). */
    capheap_err_t want_a = CAPHEAP_ERR_FOREIGN_POINTER, want_b = want_a;
    if (in_region(q)) {
        want_a = CAPHEAP_ERR_NOT_BLOCK;
        want_b = CAPHEAP_ERR_DOUBLE_FREE;
        if (cls == 8)
            want_a = CAPHEAP_ERR_DOUBLE_FREE;
    }
    FZ_TRACE("  bad pointer %p class %u op %u\n", (void *)q, cls, how);
    snapshot();
    unsigned before = fz_errors.count;
    const char *op;
    if (how == 0) {
        op = "free";
        capheap_heap_free(M.h, q);
    } else if (how == 1 || how == 2) {
        op = "realloc";
        void *r = capheap_heap_realloc(M.h, q, how == 1 ? pick_size(in) : 0);
        if (r)
            FZ_FAIL("realloc of bad pointer %p (class %u) returned %p",
                    (void *)q, cls, r);
    } else if (how == 3) {
        op = "usable_size";
        size_t u = capheap_heap_usable_size(M.h, q);
        if (u)
            FZ_FAIL("usable_size of bad pointer %p (class %u) is %zu",
                    (void *)q, cls, u);
        FZ_EQ(capheap_heap_live_size(M.h, q), 0);
    } else {
        op = "block_tag";
        int t = capheap_heap_block_tag(M.h, q);
        if (t != -1)
            FZ_FAIL("block_tag of bad pointer %p (class %u) is %d", (void *)q,
                    cls, t);
    }
    if (fz_errors.count != before + 1)
        FZ_FAIL("%s(%p) of a bad pointer (class %u): %u reports", op, (void *)q,
                cls, fz_errors.count - before);
    FZ_ONE_ERROR(before, op, q, want_a, want_b);
    unchanged(op, q);
}

/* ---- the program ------------------------------------------------------- */

static void setup(fz_in_t *in) {
    memset(&M, 0, sizeof M);
    memset(mem, GUARD, MEM);
    fz_errors_install();
    M.ntags = 1 + fz_u8(in) % MAXTAGS;
    M.h = capheap_heap_init(storage, sizeof storage, MAXREG, M.ntags);
    FZ_CHECK(M.h != NULL);
    M.nar = 1 + fz_u8(in) % NARENA;
    unsigned initial = 1 + fz_u8(in) % M.nar;
    size_t off = 16 + fz_u8(in) % 16;
    for (unsigned a = 0; a < M.nar; a++) {
        arena_t *ar = &M.ar[a];
        unsigned g = fz_u8(in);
        off += g < 96 ? 0 : g % 64; /* adjacent or guard bytes between */
        /* Room for the smallest arena and the trailing guard bytes? (The
         * guard gap can carry off past the end of mem.) */
        if (off + 512 + 16 > MEM) {
            M.nar = a;
            break;
        }
        ar->off = off;
        ar->size = 512 + (size_t)fz_u16(in) % 24576;
        if (off + ar->size + 16 > MEM)
            ar->size = MEM - 16 - off;
        ar->tag = fz_u8(in) % M.ntags;
        off += ar->size;
    }
    if (initial > M.nar)
        initial = M.nar;
    FZ_CHECK(M.nar >= 1);
    for (unsigned t = 0; t < MAXTAGS; t++)
        M.minf[t] = (size_t)-1;
    for (unsigned a = 0; a < initial; a++)
        op_add_arena(in);
}

FZ_QUIET static void guards_intact(void) {
    for (size_t i = 0; i < MEM; i++) {
        int inside = 0;
        for (unsigned a = 0; a < M.nar && !inside; a++)
            inside = M.ar[a].added && i >= M.ar[a].off &&
                     i < M.ar[a].off + M.ar[a].size;
        if (!inside && mem[i] != GUARD)
            FZ_FAIL("byte %zu outside every arena was written", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in_t in = {data, size, 0};
    setup(&in);
    check_all(1);
    while (fz_more(&in) && M.step < 4000) {
        M.step++;
        unsigned op = fz_u8(&in) % 20;
        FZ_TRACE("step %u: op %u, %u live\n", M.step, op, M.nlive);
        if (M.nlive >= MAXLIVE - 1 && (op <= 4 || op == 18))
            op = 5; /* the model is full: free instead */
        switch (op) {
        case 0:
        case 1:
        case 2:
            op_alloc(&in);
            break;
        case 3:
            op_alloc_from(&in);
            break;
        case 4:
            op_aligned(&in);
            break;
        case 5:
        case 6:
        case 7:
            op_free(&in);
            break;
        case 8:
        case 9:
            op_realloc(&in);
            break;
        case 10:
            op_query(&in);
            break;
        case 11:
        case 12:
        case 13:
            op_bad_pointer(&in);
            break;
        case 14:
            op_nest(&in);
            break;
        case 15:
            op_add_arena(&in);
            break;
        case 16:
            op_bad_region(&in);
            break;
        case 17:
            op_impossible(&in);
            break;
        case 18:
            op_probe(&in);
            break;
        default:
            op_window(&in);
            break;
        }
        check_all(M.step % 16 == 0);
    }
    /* Free everything but the hosts; the heap must still be intact. */
    for (unsigned i = 0; i < M.nlive;) {
        if (M.live[i].host) {
            i++;
            continue;
        }
        verify(&M.live[i]);
        capheap_heap_free(M.h, M.live[i].p);
        drop(i);
    }
    check_all(1);
    guards_intact();
    capheap_set_error_hook(NULL, NULL);
    return 0;
}
