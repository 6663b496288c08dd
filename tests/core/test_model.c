/*
 * test_model.c - model-based randomized test of the core.
 *
 * A shadow model tracks every live block (address, request, usable size,
 * tag, alignment, fill pattern) and every region. Mixed operations (alloc,
 * aligned alloc, realloc, free, realloc to 0, double free, bad pointers,
 * probes of the largest free block, regions added from a reserved pool) run
 * over several layouts, seeds and two fill targets; after every step:
 *   - the touched block is aligned, inside a region of its tag, overlaps no
 *     other live block (a granule ownership map), and keeps its contents;
 *   - every tag's statistics equal the model: allocated blocks and bytes
 *     exactly, free + allocated + HDR * total_blocks constant between region
 *     additions, the minimum free bytes exactly, untouched tags unchanged;
 *   - the heap's statistics are the sums over the tags.
 * At checkpoints (every step for the first 20,000 steps of a run, then every
 * 64) capheap_heap_check() must pass and the walker must agree with the model
 * block by block (free bytes = sum of the free blocks it reports); contents
 * of all blocks are verified at their edges there and in full every 1024
 * steps. At the end every block is freed and each tag's free bytes must come
 * back exactly; bytes outside the regions must never have been written.
 *
 * CAPHEAP_TEST_SCALE scales the number of operations (see ts_scale()): the
 * full run is at least 1,000,000 operations in total.
 */
#include "core_test.h"

#include <stdarg.h>
#include <stdio.h>

enum {
    MAXT = 4,  /* tags in any layout */
    MAXR = 16, /* regions in any layout */
    FULL_OPS = 1000000,
    FULL_CHECK_STEPS = 20000,
    CHECK_EVERY = 64,
    VERIFY_EVERY = 1024,
    GUARD = 0xE5,
    EDGE = 8 /* bytes compared at each end of a block at checkpoints */
};

/* ---- layouts ------------------------------------------------------------ */

typedef struct {
    size_t off, size;
    unsigned tag;
} rspec_t;

typedef struct {
    const char *name;
    unsigned tags;
    size_t arena;
    rspec_t init[8];
    unsigned ninit;
    rspec_t pool[4]; /* added during the run, in order */
    unsigned npool;
} layout_t;

#define KB(x) ((size_t)(x)*1024)

static const layout_t layouts[] = {
    {"one_region", 1, KB(320), {{0, KB(256), 0}}, 1, {{KB(272), KB(16), 0}}, 1},
    /* Tag 0 and 1 get larger regions later (control block moves), tag 3 its
     * first region in mid-run. */
    {"regions_and_tags",
     4,
     KB(512),
     {{0, KB(48), 0},
      {KB(64), KB(24), 1},
      {KB(96), KB(8), 0},
      {KB(112), KB(64), 2},
      {KB(192), KB(16), 1},
      {KB(216), KB(4), 0}},
     6,
     {{KB(240), KB(96), 0},
      {KB(352), KB(40), 1},
      {KB(400), KB(12), 2},
      {KB(420), KB(32), 3}},
     4},
    {"odd_starts_sizes",
     2,
     KB(256),
     {{3, 40001, 0},
      {KB(40) + 7, 30011, 1},
      {KB(72) + 13, 9999, 0},
      {KB(84) + 1, 50003, 1}},
     4,
     {{KB(136) + 5, 60007, 0}, {KB(200) + 11, 20001, 1}},
     2},
};

/* ---- the model ---------------------------------------------------------- */

typedef struct {
    unsigned char *p;
    size_t req, usable, align;
    unsigned tag;
    uint32_t seed;
    unsigned char head[EDGE], tail[EDGE];
} mblock_t;

/* How the step changed its tag's statistics: nothing (NONE, SAME), free
 * bytes moved and the minimum follows (FOLLOW), a block existed briefly
 * (TRANSIENT), a region was added (ADD), the minimum was reset (WINDOW). */
enum {
    RULE_NONE,
    RULE_FOLLOW,
    RULE_TRANSIENT,
    RULE_ADD,
    RULE_SAME,
    RULE_WINDOW
};

typedef struct {
    long allocs, alloc_fail, alloc_from, aligned, aligned_fail, non_pow2;
    long reallocs, shrunk, grown, moved, realloc_fail, frees, realloc0;
    long double_frees, bad_ptrs, probes, contains, windows, regions_added;
    long migrations, checks, full_verifies;
    double max_fill, fill_sum;
    long fill_n;
} counters_t;

typedef struct {
    const layout_t *L;
    double target;
    uint64_t seed;
    long ops, step;
    ts_rng_t rng;

    capheap_heap_t *h;
    unsigned char *arena;

    /* live blocks: slots, a dense list of live slots, the ownership map */
    mblock_t *blk;
    uint32_t *free_slot, *live, *pos;
    size_t nfree_slot, nlive, cap;
    uint32_t *owner; /* granule -> slot + 1, 0 free */
    int16_t *regmap; /* granule -> region index, -1 outside */
    size_t ngran;

    capheap_region_info_t regs[MAXR];
    unsigned nregs, pool_next;

    /* per tag */
    int has_region[MAXT];
    size_t count[MAXT], bytes[MAXT]; /* live blocks, usable bytes */
    size_t C[MAXT];                  /* free + alloc + HDR * blocks */
    size_t total[MAXT];              /* region sizes as given */
    size_t minf[MAXT];               /* minimum free, as modelled */
    size_t final_free[MAXT], nreg[MAXT], biggest_region[MAXT];
    size_t window[MAXT];
    int window_open[MAXT];
    capheap_stats_t prev[MAXT];

    /* the step's effect on statistics */
    int rule;
    unsigned rule_tag;
    size_t rule_u, rule_free_before;
    size_t rule_k; /* TRANSIENT: up to this many headers more were used */

    const char *op; /* the step's operation, for failure messages */
    int errors;     /* hook calls expected so far */
    void *pending_df;
    counters_t c;
} model_t;

static void mfail(const model_t *M, const char *file, int line, const char *fmt,
                  ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_msg("%s:%d: %s, target %.2f, seed %llu, step %ld: %s", file, line,
             M->L->name, M->target, (unsigned long long)M->seed, M->step, msg);
}

#define MCHECK(M, cond)                                                        \
    do {                                                                       \
        if (!(cond))                                                           \
            mfail((M), __FILE__, __LINE__, "%s", #cond);                       \
    } while (0)

#define MCHECK_EQ(M, a, b)                                                     \
    do {                                                                       \
        size_t a_ = (size_t)(a), b_ = (size_t)(b);                             \
        if (a_ != b_)                                                          \
            mfail((M), __FILE__, __LINE__, "%s == %s: %zu != %zu", #a, #b, a_, \
                  b_);                                                         \
    } while (0)

static uint64_t rnd(model_t *M, uint64_t lo, uint64_t hi) {
    return ts_rng_range(&M->rng, lo, hi);
}

static size_t gran(const model_t *M, const void *p) {
    return (size_t)((uintptr_t)p - (uintptr_t)M->arena) / ALIGN;
}

/* ---- regions ------------------------------------------------------------ */

static void map_region(model_t *M, unsigned i) {
    capheap_region_info_t r;
    MCHECK(M, capheap_heap_region_info(M->h, i, &r) == CAPHEAP_OK);
    MCHECK(M, (unsigned char *)r.start >= M->arena &&
                  (unsigned char *)r.end <= M->arena + M->L->arena);
    M->regs[i] = r;
    for (size_t g = gran(M, r.start); g <= gran(M, (char *)r.end - 1); g++) {
        MCHECK(M, M->regmap[g] == -1); /* regions do not overlap */
        M->regmap[g] = (int16_t)i;
    }
}

static capheap_stats_t tag_stats(model_t *M, unsigned t) {
    capheap_stats_t s;
    MCHECK(M, capheap_heap_tag_stats(M->h, t, &s) == CAPHEAP_OK);
    return s;
}

/* Where the control block of a tag lives (walks: used rarely). */
static unsigned control_region(model_t *M, unsigned tag) {
    ct_find_control_t c = ct_control(M->h, tag);
    MCHECK(M, c.ptr != NULL);
    return c.region;
}

static void add_region(model_t *M, const rspec_t *r, int initial) {
    M->op = "add_region";
    unsigned t = r->tag;
    capheap_stats_t b = tag_stats(M, t);
    size_t C_before = M->has_region[t] ? M->C[t] : 0;
    unsigned ctl_before = M->has_region[t] ? control_region(M, t) : 0;
    capheap_err_t e =
        capheap_heap_add_region(M->h, M->arena + r->off, r->size, t);
    MCHECK_EQ(M, e, CAPHEAP_OK);
    unsigned idx = M->nregs++;
    MCHECK_EQ(M, capheap_heap_region_count(M->h), M->nregs);
    map_region(M, idx);
    MCHECK_EQ(M, M->regs[idx].tag, t);
    capheap_stats_t a = tag_stats(M, t);
    MCHECK_EQ(M, a.allocated_blocks, b.allocated_blocks);
    MCHECK_EQ(M, a.allocated_bytes, b.allocated_bytes);
    MCHECK_EQ(M, a.total_bytes, b.total_bytes + r->size);
    MCHECK(M, a.free_bytes > b.free_bytes);
    size_t C = a.free_bytes + a.allocated_bytes + HDR_BYTES * a.total_blocks;
    if (M->has_region[t]) {
        /* The control block moves only to a larger region, and surely when
         * the new region is two size classes up. */
        unsigned ctl_after = control_region(M, t);
        if (ctl_after != ctl_before) {
            MCHECK(M, ctl_after == idx && r->size > M->biggest_region[t]);
            M->c.migrations++;
        } else {
            MCHECK(M, bin_of(r->size) < bin_of(M->biggest_region[t]) + 2);
        }
    } else {
        MCHECK_EQ(M, control_region(M, t), idx);
    }
    M->has_region[t] = 1;
    M->C[t] = C;
    M->total[t] += r->size;
    M->nreg[t]++;
    if (r->size > M->biggest_region[t])
        M->biggest_region[t] = r->size;
    /* All freed in the end, every region of the tag is one free block. */
    M->final_free[t] += C - C_before - HDR_BYTES;
    if (initial)
        MCHECK_EQ(M, a.free_bytes, M->final_free[t]);
    M->rule = RULE_ADD;
    M->rule_tag = t;
    M->rule_free_before = b.free_bytes;
    if (!initial)
        M->c.regions_added++;
}

/* ---- blocks ------------------------------------------------------------- */

static void fill_block(mblock_t *b, uint32_t seed) {
    b->seed = seed;
    ts_fill(b->p, b->usable, seed);
    memcpy(b->head, b->p, EDGE);
    memcpy(b->tail, b->p + b->usable - EDGE, EDGE);
}

static void verify_block(model_t *M, const mblock_t *b) {
    if (!ts_verify(b->p, b->usable, b->seed))
        mfail(M, __FILE__, __LINE__, "contents of %p (%zu bytes) changed",
              (void *)b->p, b->usable);
}

/* Claim the block's granules; check alignment and its place. */
static void place(model_t *M, uint32_t slot) {
    mblock_t *b = &M->blk[slot];
    MCHECK_EQ(M, (uintptr_t)b->p % ALIGN, 0);
    if (b->align)
        MCHECK_EQ(M, (uintptr_t)b->p % b->align, 0);
    MCHECK(M, b->p >= M->arena && b->p + b->usable <= M->arena + M->L->arena);
    int ri = M->regmap[gran(M, b->p)];
    MCHECK(M, ri >= 0);
    const capheap_region_info_t *r = &M->regs[ri];
    MCHECK_EQ(M, r->tag, b->tag);
    MCHECK(M, b->p - HDR_BYTES >= (unsigned char *)r->start);
    MCHECK(M, b->p + b->usable <= (unsigned char *)r->end - WORD_BYTES);
    size_t g0 = gran(M, b->p), g1 = gran(M, b->p + b->usable - 1);
    for (size_t g = g0; g <= g1; g++) {
        if (M->owner[g])
            mfail(M, __FILE__, __LINE__,
                  "block %p+%zu overlaps live block %p+%zu", (void *)b->p,
                  b->usable, (void *)M->blk[M->owner[g] - 1].p,
                  M->blk[M->owner[g] - 1].usable);
        M->owner[g] = slot + 1;
    }
}

static void unplace(model_t *M, uint32_t slot) {
    mblock_t *b = &M->blk[slot];
    size_t g0 = gran(M, b->p), g1 = gran(M, b->p + b->usable - 1);
    for (size_t g = g0; g <= g1; g++) {
        MCHECK_EQ(M, M->owner[g], slot + 1);
        M->owner[g] = 0;
    }
}

static uint32_t new_block(model_t *M, unsigned char *p, size_t req,
                          size_t align, unsigned tag) {
    MCHECK(M, M->nfree_slot > 0);
    uint32_t slot = M->free_slot[--M->nfree_slot];
    mblock_t *b = &M->blk[slot];
    b->p = p;
    b->req = req;
    b->align = align;
    b->tag = tag;
    b->usable = capheap_heap_usable_size(M->h, p);
    MCHECK(M, b->usable >= req);
    MCHECK_EQ(M, capheap_heap_live_size(M->h, p), b->usable);
    /* No more than a remainder too small to be a block. */
    MCHECK(M, b->usable < ct_block_size(req) - HDR_BYTES + MIN_BLOCK);
    MCHECK_EQ(M, capheap_heap_block_tag(M->h, p), tag);
    MCHECK(M, capheap_heap_contains(M->h, p));
    place(M, slot);
    fill_block(b, (uint32_t)rnd(M, 1, UINT32_MAX));
    M->pos[slot] = (uint32_t)M->nlive;
    M->live[M->nlive++] = slot;
    M->count[tag]++;
    M->bytes[tag] += b->usable;
    return slot;
}

static void drop_block(model_t *M, uint32_t slot) {
    mblock_t *b = &M->blk[slot];
    unplace(M, slot);
    M->count[b->tag]--;
    M->bytes[b->tag] -= b->usable;
    uint32_t at = M->pos[slot], last = M->live[--M->nlive];
    M->live[at] = last;
    M->pos[last] = at;
    M->free_slot[M->nfree_slot++] = slot;
}

/* A live block, preferably of @p tag. */
static int pick_block(model_t *M, unsigned tag, uint32_t *slot) {
    if (!M->nlive)
        return 0;
    for (int i = 0; i < 8; i++) {
        uint32_t s = M->live[rnd(M, 0, M->nlive - 1)];
        if (M->blk[s].tag == tag) {
            *slot = s;
            return 1;
        }
    }
    *slot = M->live[rnd(M, 0, M->nlive - 1)];
    return 1;
}

static size_t pick_size(model_t *M, unsigned tag) {
    uint64_t r = rnd(M, 0, 99);
    size_t cap = M->biggest_region[tag] / 3;
    if (r < 55)
        return (size_t)rnd(M, 1, 64);
    if (r < 85)
        return (size_t)rnd(M, 65, 512);
    if (r < 97 || cap <= 4097)
        return (size_t)rnd(M, 513, 4096);
    return (size_t)rnd(M, 4097, cap < 16384 ? cap : 16384);
}

/* ---- statistics after a step -------------------------------------------- */

static int stats_same(const capheap_stats_t *a, const capheap_stats_t *b) {
    return a->total_bytes == b->total_bytes && a->free_bytes == b->free_bytes &&
           a->allocated_bytes == b->allocated_bytes &&
           a->largest_free_block == b->largest_free_block &&
           a->minimum_free_bytes == b->minimum_free_bytes &&
           a->allocated_blocks == b->allocated_blocks &&
           a->free_blocks == b->free_blocks &&
           a->total_blocks == b->total_blocks;
}

static size_t min2(size_t a, size_t b) {
    return a < b ? a : b;
}

static void check_stats(model_t *M) {
    capheap_stats_t sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned t = 0; t < M->L->tags; t++) {
        capheap_stats_t s = tag_stats(M, t);
        int touched = M->rule != RULE_NONE && t == M->rule_tag;
        if (!M->has_region[t]) {
            capheap_stats_t z;
            memset(&z, 0, sizeof z);
            MCHECK(M, stats_same(&s, &z));
            M->prev[t] = s;
            continue;
        }
        if (!touched || M->rule == RULE_SAME || M->rule == RULE_WINDOW) {
            capheap_stats_t want = M->prev[t];
            if (touched && M->rule == RULE_WINDOW)
                want.minimum_free_bytes = M->minf[t];
            if (!stats_same(&s, &want))
                mfail(M, __FILE__, __LINE__,
                      "%s changed tag %u: free %zu/%zu alloc %zu/%zu "
                      "largest %zu/%zu min %zu/%zu blocks %zu+%zu/%zu+%zu",
                      M->op, t, s.free_bytes, want.free_bytes,
                      s.allocated_bytes, want.allocated_bytes,
                      s.largest_free_block, want.largest_free_block,
                      s.minimum_free_bytes, want.minimum_free_bytes,
                      s.allocated_blocks, s.free_blocks, want.allocated_blocks,
                      want.free_blocks);
        }
        MCHECK_EQ(M, s.allocated_blocks, M->count[t]);
        MCHECK_EQ(M, s.allocated_bytes, M->bytes[t]);
        MCHECK_EQ(M, s.total_blocks, s.allocated_blocks + s.free_blocks);
        /* With poisoning allocated_bytes sums the requested sizes (what
         * usable_size answers), not the blocks' room. */
        if (!CAPHEAP_POISONING)
            MCHECK_EQ(M,
                      s.free_bytes + s.allocated_bytes +
                          HDR_BYTES * s.total_blocks,
                      M->C[t]);
        MCHECK_EQ(M, s.total_bytes, M->total[t]);
        MCHECK(M, s.largest_free_block <= s.free_bytes);
        MCHECK(M, (s.largest_free_block == 0) == (s.free_blocks == 0));
        MCHECK(M, s.minimum_free_bytes <= s.free_bytes);
        if (touched) {
            switch (M->rule) {
            case RULE_FOLLOW:
                M->minf[t] = min2(M->minf[t], s.free_bytes);
                break;
            case RULE_TRANSIENT: {
                /* A block of u usable bytes existed for a moment: it took
                 * a free block whole, or was split off (one header more),
                 * or, aligned, also left a gap (two). */
                size_t fb = M->rule_free_before, u = M->rule_u;
                int ok = 0;
                for (size_t k = 0; k <= M->rule_k; k++)
                    ok |= s.minimum_free_bytes ==
                          min2(M->minf[t], fb - u - k * HDR_BYTES);
                if (!ok)
                    mfail(M, __FILE__, __LINE__,
                          "%s: minimum %zu, free before %zu, block %zu, "
                          "minimum before %zu",
                          M->op, s.minimum_free_bytes, fb, u, M->minf[t]);
                M->minf[t] = s.minimum_free_bytes;
                break;
            }
            case RULE_ADD:
                M->minf[t] += s.free_bytes - M->rule_free_before;
                break;
            default:
                break;
            }
        }
        MCHECK_EQ(M, s.minimum_free_bytes, M->minf[t]);
        MCHECK_EQ(M, capheap_heap_free_bytes(M->h, t), s.free_bytes);
        M->prev[t] = s;
        sum.total_bytes += s.total_bytes;
        sum.free_bytes += s.free_bytes;
        sum.allocated_bytes += s.allocated_bytes;
        if (s.largest_free_block > sum.largest_free_block)
            sum.largest_free_block = s.largest_free_block;
        sum.minimum_free_bytes += s.minimum_free_bytes;
        sum.allocated_blocks += s.allocated_blocks;
        sum.free_blocks += s.free_blocks;
        sum.total_blocks += s.total_blocks;
    }
    capheap_stats_t all;
    capheap_heap_stats(M->h, &all);
    MCHECK(M, stats_same(&all, &sum));
    MCHECK_EQ(M, ts_errors()->count, M->errors);
    M->rule = RULE_NONE;
}

/* ---- checkpoints -------------------------------------------------------- */

typedef struct {
    model_t *M;
    size_t used[MAXT], used_bytes[MAXT], frees[MAXT], free_bytes[MAXT];
    size_t controls[MAXT], max_free[MAXT];
    uint32_t *seen; /* slots reported, to find duplicates */
    uint32_t stamp; /* this walk's mark in seen[] */
    long visits;
} walk_ctx_t;

static bool walk_fn(const capheap_block_info_t *b, void *user) {
    walk_ctx_t *w = user;
    model_t *M = w->M;
    unsigned char *p = b->ptr;
    MCHECK(M, b->region < M->nregs && b->tag < M->L->tags);
    const capheap_region_info_t *r = &M->regs[b->region];
    MCHECK_EQ(M, r->tag, b->tag);
    MCHECK(M, p - HDR_BYTES >= (unsigned char *)r->start &&
                  p + b->size <= (unsigned char *)r->end - WORD_BYTES);
    MCHECK_EQ(M, (uintptr_t)p % ALIGN, 0);
    unsigned t = b->tag;
    uint32_t own = M->owner[gran(M, p)];
    if (b->control) {
        MCHECK(M, b->used && !own);
        w->controls[t]++;
    } else if (b->used) {
        /* A live block the model handed out, exactly as the model knows it. */
        MCHECK(M, own != 0);
        const mblock_t *mb = &M->blk[own - 1];
        MCHECK(M, mb->p == p);
        MCHECK_EQ(M, mb->usable, b->size);
        MCHECK_EQ(M, mb->tag, t);
        MCHECK(M, w->seen[own - 1] != w->stamp); /* reported once */
        w->seen[own - 1] = w->stamp;
        w->used[t]++;
        w->used_bytes[t] += b->size;
    } else {
        MCHECK(M, !own);
        w->frees[t]++;
        w->free_bytes[t] += b->size;
        if (b->size > w->max_free[t])
            w->max_free[t] = b->size;
    }
    w->visits++;
    return true;
}

static void check_edges(model_t *M) {
    for (size_t i = 0; i < M->nlive; i++) {
        const mblock_t *b = &M->blk[M->live[i]];
        if (memcmp(b->p, b->head, EDGE) != 0 ||
            memcmp(b->p + b->usable - EDGE, b->tail, EDGE) != 0)
            mfail(M, __FILE__, __LINE__, "edge of block %p+%zu changed",
                  (void *)b->p, b->usable);
    }
}

static void checkpoint(model_t *M, uint32_t *seen) {
    capheap_check_report_t rep;
    if (capheap_heap_check(M->h, &rep) != CAPHEAP_OK)
        mfail(M, __FILE__, __LINE__, "heap check: %s at %p",
              capheap_fault_str(rep.fault), rep.addr);
    walk_ctx_t w;
    memset(&w, 0, sizeof w);
    w.M = M;
    w.seen = seen;
    w.stamp = (uint32_t)M->c.checks + 1;
    MCHECK(M, capheap_heap_walk(M->h, walk_fn, &w));
    for (unsigned t = 0; t < M->L->tags; t++) {
        capheap_stats_t *s = &M->prev[t]; /* just fetched by check_stats */
        MCHECK_EQ(M, w.used[t], M->count[t]);
        MCHECK_EQ(M, w.used_bytes[t], M->bytes[t]);
        MCHECK_EQ(M, w.frees[t], s->free_blocks);
        MCHECK_EQ(M, w.free_bytes[t], s->free_bytes);
        MCHECK_EQ(M, w.controls[t], M->has_region[t] ? 1 : 0);
        /* The largest free block reported is in the class of the real one. */
        MCHECK(M, s->largest_free_block <= w.max_free[t]);
        if (w.max_free[t])
            MCHECK_EQ(M, bin_of(s->largest_free_block + HDR_BYTES),
                      bin_of(w.max_free[t] + HDR_BYTES));
    }
    check_edges(M);
    M->c.checks++;
}

/* ---- operations --------------------------------------------------------- */

static void note_fill(model_t *M) {
    size_t a = 0, f = 0;
    for (unsigned t = 0; t < M->L->tags; t++) {
        a += M->prev[t].allocated_bytes;
        f += M->prev[t].free_bytes;
    }
    double fill = a + f ? (double)a / (double)(a + f) : 0;
    if (fill > M->c.max_fill)
        M->c.max_fill = fill;
    M->c.fill_sum += fill;
    M->c.fill_n++;
}

static double tag_fill(const model_t *M, unsigned t) {
    size_t a = M->prev[t].allocated_bytes, f = M->prev[t].free_bytes;
    return a + f ? (double)a / (double)(a + f) : 0;
}

static int is_pow2(size_t a) {
    return a && !(a & (a - 1));
}

static void op_alloc(model_t *M, unsigned t, int aligned) {
    M->op = aligned ? "aligned_alloc" : "alloc";
    size_t n = pick_size(M, t);
    size_t L = M->prev[t].largest_free_block;
    size_t a = 0;
    unsigned char *p;
    if (aligned) {
        a = (size_t)1 << rnd(M, 0, 12);
        if (rnd(M, 0, 49) == 0) { /* not a power of two: always refused */
            a = (size_t)rnd(M, 3, 4095);
            if (is_pow2(a))
                a++;
            M->c.non_pow2++;
        }
        p = capheap_heap_aligned_alloc(M->h, t, a, n);
        M->c.aligned++;
    } else {
        p = capheap_heap_alloc(M->h, t, n);
        M->c.allocs++;
    }
    M->rule_tag = t;
    if (!p) {
        if (!aligned || (is_pow2(a) && a <= ALIGN))
            MCHECK(M, n > L); /* the largest free block is guaranteed */
        else if (is_pow2(a))
            MCHECK(M, n + a + 2 * MIN_BLOCK > L);
        M->rule = RULE_SAME;
        if (aligned)
            M->c.aligned_fail++;
        else
            M->c.alloc_fail++;
        return;
    }
    MCHECK(M, !aligned || is_pow2(a));
    new_block(M, p, n, a, t);
    M->rule = RULE_FOLLOW;
}

static void op_free(model_t *M, uint32_t slot, int via_realloc) {
    M->op = via_realloc ? "realloc(p, 0)" : "free";
    mblock_t *b = &M->blk[slot];
    unsigned char *p = b->p;
    verify_block(M, b);
    M->rule = RULE_FOLLOW; /* free bytes rise: the minimum stays */
    M->rule_tag = b->tag;
    drop_block(M, slot);
    if (via_realloc) {
        MCHECK(M, capheap_heap_realloc(M->h, p, 0) == NULL);
        M->c.realloc0++;
    } else {
        capheap_heap_free(M->h, p);
        M->c.frees++;
        if (rnd(M, 0, 9) == 0)
            M->pending_df = p; /* the next step frees it again */
    }
}

static void op_double_free(model_t *M) {
    M->op = "double free";
    void *p = M->pending_df;
    M->pending_df = NULL;
    capheap_heap_free(M->h, p);
    M->errors++;
    const ts_errors_t *e = ts_errors();
    MCHECK_EQ(M, e->last, CAPHEAP_ERR_DOUBLE_FREE);
    MCHECK(M, e->last_addr == p);
    MCHECK(M, strcmp(e->last_op, "free") == 0);
    M->rule = RULE_NONE; /* everything unchanged */
    M->c.double_frees++;
}

static void op_bad_pointer(model_t *M) {
    M->op = "bad pointer";
    uint32_t slot;
    int local = 0;
    unsigned char *p;
    capheap_err_t code;
    if (pick_block(M, 0, &slot) && rnd(M, 0, 1)) {
        p = M->blk[slot].p + rnd(M, 1, ALIGN - 1); /* misaligned */
        code = CAPHEAP_ERR_NOT_BLOCK;
    } else {
        p = (unsigned char *)&local;
        code = CAPHEAP_ERR_FOREIGN_POINTER;
    }
    const char *op;
    switch (rnd(M, 0, 3)) {
    case 0:
        capheap_heap_free(M->h, p);
        op = "free";
        break;
    case 1:
        MCHECK(M, capheap_heap_realloc(M->h, p, 100) == NULL);
        op = "realloc";
        break;
    case 2:
        MCHECK_EQ(M, capheap_heap_usable_size(M->h, p), 0);
        op = "usable_size";
        break;
    default:
        MCHECK(M, capheap_heap_block_tag(M->h, p) == -1);
        op = "block_tag";
        break;
    }
    M->errors++;
    const ts_errors_t *e = ts_errors();
    MCHECK_EQ(M, e->last, code);
    MCHECK(M, e->last_addr == p);
    MCHECK(M, strcmp(e->last_op, op) == 0);
    M->rule = RULE_NONE;
    M->c.bad_ptrs++;
}

static void op_realloc(model_t *M, uint32_t slot, int grow) {
    M->op = "realloc";
    mblock_t *b = &M->blk[slot];
    unsigned t = b->tag;
    unsigned char *p = b->p;
    size_t old_u = b->usable;
    size_t L = M->prev[t].largest_free_block;
    size_t fb = M->prev[t].free_bytes;
    size_t n;
    if (grow) {
        size_t cap = M->biggest_region[t] / 3;
        n = old_u + (size_t)rnd(M, 1, old_u > 64 ? old_u : 64);
        if (n > cap)
            n = old_u + 1;
    } else {
        n = rnd(M, 0, 7) == 0 ? old_u : (size_t)rnd(M, 1, old_u);
    }
    verify_block(M, b);
    M->c.reallocs++;
    M->rule_tag = t;
    unsigned char *q = capheap_heap_realloc(M->h, p, n);
    if (!q) {
        MCHECK(M, n > old_u); /* shrinking always works */
        MCHECK(M, n > L);     /* a block of the largest free size fits */
        MCHECK_EQ(M, capheap_heap_usable_size(M->h, p), old_u);
        verify_block(M, b);
        M->rule = RULE_SAME;
        M->c.realloc_fail++;
        return;
    }
    size_t u = capheap_heap_usable_size(M->h, q);
    MCHECK(M, u >= n);
    MCHECK_EQ(M, capheap_heap_live_size(M->h, q), u);
    if (q != p)
        MCHECK_EQ(M, capheap_heap_live_size(M->h, p), 0); /* freed */
    MCHECK(M, u < ct_block_size(n) - HDR_BYTES + MIN_BLOCK);
    if (n <= old_u)
        MCHECK(M, q == p); /* shrinks in place */
    size_t keep = old_u < u ? old_u : u;
    if (!ts_verify(q, keep, b->seed))
        mfail(M, __FILE__, __LINE__, "realloc %p -> %p lost contents",
              (void *)p, (void *)q);
    unplace(M, slot);
    M->bytes[t] -= old_u;
    b->p = q;
    b->req = n;
    b->usable = u;
    if (q == p) {
        M->rule = RULE_FOLLOW;
        if (u > old_u)
            M->c.grown++;
        else
            M->c.shrunk++;
    } else {
        b->align = 0; /* alignment above CAPHEAP_ALIGNMENT is not kept */
        M->rule = RULE_TRANSIENT;
        M->rule_u = u;
        M->rule_k = 1;
        M->rule_free_before = fb;
        M->c.moved++;
    }
    MCHECK_EQ(M, capheap_heap_block_tag(M->h, q), t);
    place(M, slot);
    M->bytes[t] += u;
    fill_block(b, (uint32_t)rnd(M, 1, UINT32_MAX));
}

/* The largest free block for an alignment above the heap's can be had, one
 * byte more cannot; give it back at once. */
static void op_probe_aligned(model_t *M, unsigned t) {
    M->op = "aligned largest-free probe";
    size_t a = (size_t)2 * ALIGN << rnd(M, 0, 7);
    size_t La = capheap_heap_largest_free_aligned(M->h, t, a);
    size_t fb = M->prev[t].free_bytes;
    M->rule_tag = t;
    MCHECK(M, La <= M->prev[t].largest_free_block);
    /* The largest: one byte more never fits (nothing when it is 0). */
    MCHECK(M, capheap_heap_aligned_alloc(M->h, t, a, La + 1) == NULL);
    if (!La) {
        M->rule = RULE_SAME;
        return;
    }
    unsigned char *p = capheap_heap_aligned_alloc(M->h, t, a, La);
    MCHECK(M, p != NULL);
    MCHECK_EQ(M, (uintptr_t)p % a, 0);
    size_t u = capheap_heap_usable_size(M->h, p);
    MCHECK(M, u >= La);
    for (size_t g = gran(M, p); g <= gran(M, p + u - 1); g++)
        MCHECK(M, M->owner[g] == 0);
    capheap_heap_free(M->h, p);
    M->rule = RULE_TRANSIENT;
    M->rule_u = u;
    M->rule_k = 2;
    M->rule_free_before = fb;
    M->c.probes++;
}

/* alloc_from serves from exactly the first listed tag whose largest free
 * block is large enough (that size is exact: see op_probe_largest). */
static void op_alloc_from(model_t *M) {
    M->op = "alloc_from";
    uint8_t tags[3];
    unsigned count = (unsigned)rnd(M, 1, 3);
    for (unsigned i = 0; i < count; i++)
        tags[i] = (uint8_t)rnd(M, 0, M->L->tags); /* may be out of range */
    size_t n = pick_size(M, M->L->tags > 1 ? 1 : 0);
    int want = -1;
    for (unsigned i = 0; i < count && want < 0; i++) {
        unsigned t = tags[i];
        if (t < M->L->tags && M->has_region[t] &&
            n <= M->prev[t].largest_free_block)
            want = (int)i;
    }
    unsigned char *p = capheap_heap_alloc_from(M->h, tags, count, n);
    M->c.allocs++;
    M->c.alloc_from++;
    if (want < 0) {
        MCHECK(M, p == NULL);
        M->rule = RULE_NONE; /* no tag changed */
        M->c.alloc_fail++;
        return;
    }
    MCHECK(M, p != NULL);
    new_block(M, p, n, 0, tags[want]); /* checks the block's tag */
    M->rule = RULE_FOLLOW;
    M->rule_tag = tags[want];
}

/* The reported largest free block can be had; give it back at once. */
static void op_probe_largest(model_t *M, unsigned t) {
    M->op = "largest-free probe";
    size_t L = M->prev[t].largest_free_block;
    size_t fb = M->prev[t].free_bytes;
    M->rule_tag = t;
    if (rnd(M, 0, 1)) {
        op_probe_aligned(M, t);
        return;
    }
    if (!L) {
        MCHECK(M, capheap_heap_alloc(M->h, t, 1) == NULL);
        M->rule = RULE_SAME;
        return;
    }
    /* One byte more is more than guaranteed, and fails without effect. */
    MCHECK(M, capheap_heap_alloc(M->h, t, L + 1) == NULL);
    unsigned char *p = capheap_heap_alloc(M->h, t, L);
    MCHECK(M, p != NULL);
    size_t u = capheap_heap_usable_size(M->h, p);
    MCHECK(M, u >= L);
    for (size_t g = gran(M, p); g <= gran(M, p + u - 1); g++)
        MCHECK(M, M->owner[g] == 0);
    capheap_heap_free(M->h, p);
    M->rule = RULE_TRANSIENT;
    M->rule_u = u;
    M->rule_k = 1;
    M->rule_free_before = fb;
    M->c.probes++;
}

static void op_containing(model_t *M) {
    M->op = "containing_block";
    uint32_t slot;
    if (!pick_block(M, 0, &slot))
        return;
    const mblock_t *b = &M->blk[slot];
    unsigned char *in = b->p + rnd(M, 0, b->usable - 1);
    MCHECK(M, capheap_heap_containing_block(M->h, in) == b->p);
    MCHECK(M, capheap_heap_containing_block(M->h, b->p - 1) == NULL);
    M->rule = RULE_NONE;
    M->c.contains++;
}

static void op_window(model_t *M, unsigned t) {
    M->op = "min-free window";
    M->rule_tag = t;
    if (!M->window_open[t]) {
        size_t old = capheap_heap_reset_min_free(M->h, t);
        MCHECK_EQ(M, old, M->minf[t]);
        M->window[t] = old;
        M->window_open[t] = 1;
        M->minf[t] = M->prev[t].free_bytes;
    } else {
        capheap_heap_restore_min_free(M->h, t, M->window[t]);
        M->minf[t] = min2(M->minf[t], M->window[t]);
        M->window_open[t] = 0;
    }
    M->rule = RULE_WINDOW;
    M->c.windows++;
}

static unsigned pick_tag(model_t *M) {
    for (;;) {
        unsigned t = (unsigned)rnd(M, 0, M->L->tags - 1);
        if (M->has_region[t])
            return t;
    }
}

static void step(model_t *M) {
    /* Pool regions, spread over the run. */
    if (M->pool_next < M->L->npool && M->step >= (long)(M->pool_next + 1) *
                                                     M->ops /
                                                     (long)(M->L->npool + 1)) {
        add_region(M, &M->L->pool[M->pool_next++], 0);
        return;
    }
    if (M->pending_df) {
        op_double_free(M);
        return;
    }
    unsigned t = pick_tag(M);
    uint64_t x = rnd(M, 0, 999);
    if (x < 5) {
        op_bad_pointer(M);
        return;
    }
    if (x < 15) {
        op_probe_largest(M, t);
        return;
    }
    if (x < 20) {
        op_containing(M);
        return;
    }
    if (x < 22) {
        op_window(M, t);
        return;
    }
    if (x < 25) { /* a tag without a region, or out of range */
        unsigned none = M->L->tags;
        for (unsigned u = 0; u < M->L->tags; u++) {
            if (!M->has_region[u])
                none = u;
        }
        MCHECK(M, capheap_heap_alloc(M->h, none, 16) == NULL);
        M->rule = RULE_NONE;
        return;
    }
    if (x < 40) {
        op_alloc_from(M);
        return;
    }
    double p_alloc = tag_fill(M, t) < M->target ? 0.75 : 0.3;
    uint32_t slot;
    int have = pick_block(M, t, &slot);
    uint64_t y = rnd(M, 0, 99);
    if (!have || rnd(M, 0, 9999) < (uint64_t)(p_alloc * 10000)) {
        if (y < 65 || !have)
            op_alloc(M, t, 0);
        else if (y < 82)
            op_alloc(M, t, 1);
        else
            op_realloc(M, slot, 1);
    } else {
        if (y < 70)
            op_free(M, slot, 0);
        else if (y < 95)
            op_realloc(M, slot, 0);
        else
            op_free(M, slot, 1);
    }
}

/* ---- a run -------------------------------------------------------------- */

static void run(const layout_t *L, double target, uint64_t seed, long ops,
                counters_t *total) {
    model_t *M = calloc(1, sizeof *M);
    assert_non_null(M);
    M->L = L;
    M->target = target;
    M->seed = seed;
    M->ops = ops;
    ts_rng_seed(&M->rng, seed);
    ts_errors_install();

    M->h = ct_heap_new(L->ninit + L->npool, L->tags);
    M->arena = ct_arena(L->arena, GUARD);
    M->ngran = L->arena / ALIGN;
    M->cap = L->arena / MIN_BLOCK + 16;
    M->blk = calloc(M->cap, sizeof *M->blk);
    M->free_slot = malloc(M->cap * sizeof *M->free_slot);
    M->live = malloc(M->cap * sizeof *M->live);
    M->pos = malloc(M->cap * sizeof *M->pos);
    M->owner = calloc(M->ngran, sizeof *M->owner);
    M->regmap = malloc(M->ngran * sizeof *M->regmap);
    uint32_t *seen = calloc(M->cap, sizeof *seen);
    assert_true(M->blk && M->free_slot && M->live && M->pos && M->owner &&
                M->regmap && seen);
    for (size_t g = 0; g < M->ngran; g++)
        M->regmap[g] = -1;
    for (size_t i = 0; i < M->cap; i++)
        M->free_slot[i] = (uint32_t)(M->cap - 1 - i);
    M->nfree_slot = M->cap;
    for (unsigned t = 0; t < L->tags; t++)
        M->prev[t] = tag_stats(M, t);

    for (unsigned i = 0; i < L->ninit; i++) {
        add_region(M, &L->init[i], 1);
        check_stats(M);
    }
    checkpoint(M, seen);

    for (M->step = 1; M->step <= ops; M->step++) {
        step(M);
        check_stats(M);
        note_fill(M);
        if (M->step <= FULL_CHECK_STEPS || M->step % CHECK_EVERY == 0)
            checkpoint(M, seen);
        if (M->step % VERIFY_EVERY == 0) {
            for (size_t i = 0; i < M->nlive; i++)
                verify_block(M, &M->blk[M->live[i]]);
            M->c.full_verifies++;
        }
    }
    MCHECK_EQ(M, M->pool_next, L->npool); /* every pool region was added */
    checkpoint(M, seen);

    /* Free everything in random order: every byte comes back. */
    while (M->nlive) {
        M->step++;
        uint32_t slot = M->live[rnd(M, 0, M->nlive - 1)];
        mblock_t *b = &M->blk[slot];
        unsigned char *p = b->p;
        unsigned t = b->tag;
        verify_block(M, b);
        drop_block(M, slot);
        capheap_heap_free(M->h, p);
        M->rule = RULE_FOLLOW;
        M->rule_tag = t;
        check_stats(M);
    }
    checkpoint(M, seen);
    for (unsigned t = 0; t < L->tags; t++) {
        capheap_stats_t s = tag_stats(M, t);
        MCHECK_EQ(M, s.allocated_blocks, 0);
        MCHECK_EQ(M, s.allocated_bytes, 0);
        MCHECK_EQ(M, s.free_bytes, M->final_free[t]);
        MCHECK_EQ(M, s.free_blocks, M->nreg[t]);
    }
    /* Nothing outside the regions' ranges was ever written. */
    const rspec_t *all[MAXR];
    unsigned na = 0;
    for (unsigned i = 0; i < L->ninit; i++)
        all[na++] = &L->init[i];
    for (unsigned i = 0; i < L->npool; i++)
        all[na++] = &L->pool[i];
    for (size_t off = 0; off < L->arena; off++) {
        int inside = 0;
        for (unsigned i = 0; i < na && !inside; i++)
            inside = off >= all[i]->off && off < all[i]->off + all[i]->size;
        if (!inside && M->arena[off] != GUARD)
            mfail(M, __FILE__, __LINE__,
                  "arena byte %zu outside the regions "
                  "was written",
                  off);
    }
    MCHECK_EQ(M, ts_errors()->count, M->errors);

    /* Accumulate. */
    counters_t *c = &M->c;
#define ADD(f) total->f += c->f
    ADD(allocs);
    ADD(alloc_fail);
    ADD(alloc_from);
    ADD(aligned);
    ADD(aligned_fail);
    ADD(non_pow2);
    ADD(reallocs);
    ADD(shrunk);
    ADD(grown);
    ADD(moved);
    ADD(realloc_fail);
    ADD(frees);
    ADD(realloc0);
    ADD(double_frees);
    ADD(bad_ptrs);
    ADD(probes);
    ADD(contains);
    ADD(windows);
    ADD(regions_added);
    ADD(migrations);
    ADD(checks);
    ADD(full_verifies);
#undef ADD
    if (c->max_fill > total->max_fill)
        total->max_fill = c->max_fill;
    total->fill_sum += c->fill_sum;
    total->fill_n += c->fill_n;

    ct_heap_delete(M->h);
    ts_arena_free(M->arena);
    free(M->blk);
    free(M->free_slot);
    free(M->live);
    free(M->pos);
    free(M->owner);
    free(M->regmap);
    free(seen);
    free(M);
}

/* ---- the cmocka tests: one per layout and fill target ------------------- */

enum { SEEDS = 3, FILLS = 2 };
static const double targets[FILLS] = {0.5, 0.98};
#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

typedef struct {
    const layout_t *L;
    double target;
    unsigned index;
} config_t;

static long ops_per_run(void) {
    double runs = (double)(NLAYOUTS * FILLS * SEEDS);
    long n = (long)(FULL_OPS * ts_scale() / runs + 0.999);
    return n > 200 ? n : 200;
}

static void model_test(void **state) {
    const config_t *cfg = *state;
    counters_t c;
    memset(&c, 0, sizeof c);
    long ops = ops_per_run();
    for (unsigned s = 0; s < SEEDS; s++) {
        uint64_t seed = 0x9E3779B97F4A7C15ull * (cfg->index * SEEDS + s + 1);
        run(cfg->L, cfg->target, seed, ops, &c);
    }
    double avg = c.fill_n ? c.fill_sum / (double)c.fill_n : 0;
    print_message(
        "%s fill %.2f: %ld ops x %d seeds; alloc %ld (%ld failed, %ld "
        "from a tag list), "
        "aligned %ld (%ld failed, %ld non-pow2), realloc %ld "
        "(shrunk %ld, grown %ld, moved %ld, failed %ld), free %ld, "
        "realloc0 %ld, double free %ld, bad pointers %ld, probes "
        "%ld, regions added %ld (%ld moved the control block), "
        "checks %ld; fill avg %.3f max %.3f\n",
        cfg->L->name, cfg->target, ops, SEEDS, c.allocs, c.alloc_fail,
        c.alloc_from, c.aligned, c.aligned_fail, c.non_pow2, c.reallocs,
        c.shrunk, c.grown, c.moved, c.realloc_fail, c.frees, c.realloc0,
        c.double_frees, c.bad_ptrs, c.probes, c.regions_added, c.migrations,
        c.checks, avg, c.max_fill);
    /* The workload reached what it is meant to exercise. */
    assert_true(c.allocs > 0 && c.aligned > 0 && c.frees > 0);
    assert_true(c.alloc_from > 0 && c.contains > 0 && c.windows > 0);
    assert_true(c.shrunk > 0 && c.grown > 0 && c.moved > 0);
    assert_true(c.double_frees > 0 && c.bad_ptrs > 0 && c.probes > 0);
    assert_int_equal(c.regions_added, (long)cfg->L->npool * SEEDS);
    if (cfg->L->npool > 1)
        assert_true(c.migrations >= SEEDS);
    if (cfg->target > 0.9) {
        assert_true(c.alloc_fail > 0 && c.realloc_fail > 0);
        assert_true(c.max_fill > 0.9);
    } else {
        assert_true(avg > 0.35 && avg < 0.65);
    }
}

int main(void) {
    static config_t cfg[NLAYOUTS * FILLS];
    static char names[NLAYOUTS * FILLS][64];
    struct CMUnitTest tests[NLAYOUTS * FILLS];
    unsigned n = 0;
    for (unsigned l = 0; l < NLAYOUTS; l++) {
        for (unsigned f = 0; f < FILLS; f++) {
            cfg[n] = (config_t){&layouts[l], targets[f], n};
            snprintf(names[n], sizeof names[n], "model_%s_fill%02d",
                     layouts[l].name, (int)(targets[f] * 100 + 0.5));
            tests[n] =
                (struct CMUnitTest){names[n], model_test, NULL, NULL, &cfg[n]};
            n++;
        }
    }
    print_message("model: %ld operations per run, %u runs (scale %g)\n",
                  ops_per_run(), n * SEEDS, ts_scale());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
