/*
 * test_caps_model.c - model-based randomized test of the capability layer.
 *
 * Every described chip is booted in the simulation (capheap_sim_map,
 * capheap_caps_init, capheap_caps_enable_nonos_stack_heaps) and driven by
 * mixed operations: allocate (sizes skewed to small, caps masks drawn from
 * a list of sensible, adjusted and unsatisfiable ones), aligned allocate,
 * realloc with new caps (and to 0), free; towards about 50 % and close to
 * 100 % of the memory the masks reach. A shadow model, built from the CHIP
 * DATA and caps.h's documented rules rather than from the allocator's own
 * answers, checks after every step:
 *   - every new block lies in a selected chip region whose type has, over
 *     its three priority levels, every capability of the adjusted request
 *     (the model applies caps.h's adjustments itself), outside every
 *     reservation, inside the chip's DMA range for DMA requests, aligned to
 *     the cache line / SIMD alignment / requested alignment; an EXEC block
 *     from dual-mapped RAM is an instruction-bus address whose word before
 *     names its data-bus block, and no other request gets one;
 *   - the type chosen follows the selection rule: a qualifying type earlier
 *     in the priority order could not have served the request (its largest
 *     free block was too small), and the block's type is
 *     capheap_caps_block_type();
 *   - unsatisfiable requests (no chip type has the adjusted caps, EXEC with
 *     8BIT or DMA, size 0 or above max_alloc, bad alignment) give NULL; a
 *     request succeeds when it fits a qualifying type's largest free block
 *     (with the alias word and alignment slack the model adds itself), and
 *     when it is no larger than capheap_caps_stats(mask).largest_free_block
 *     (probes ask for exactly that);
 *   - live blocks do not overlap (an ownership map of data-bus words), keep
 *     their contents (the touched block and one random block every step,
 *     all blocks periodically), realloc keeps min(old, new) bytes and a
 *     failed realloc leaves the block untouched;
 *   - per caps mask: allocated blocks and bytes equal the model's (blocks
 *     whose type has all of the mask), total = allocated + free blocks,
 *     free and total bytes are the per-type sums, the largest free block is
 *     at most the largest of a type with the caps;
 *   - an EXEC block from dual-mapped RAM is freed by either address (its
 *     data-bus block too) and realloc moves blocks between the buses;
 *   - the error hook is never called; capheap_heap_check() passes (every
 *     step for the first FULL_CHECK_STEPS steps of a run, then every
 *     CHECK_EVERY).
 * At the end every block is freed and each type's free bytes must equal
 * their value after boot.
 *
 * Where the host holds a chip's addresses (qemu-user's i386 stack below
 * 0x40000000) the chip is skipped with the reason printed. Under Valgrind
 * the ESP32's inverted D/IRAM window is only touched through the data bus
 * (see test_sim.c: an access resumed after a fault may see stale
 * registers there).
 *
 * CAPHEAP_TEST_SCALE scales the number of operations: unset 1 (FULL_OPS per
 * chip configuration), "valgrind" 1/20, or a positive number.
 * CAPHEAP_TEST_FILTER (a cmocka test name pattern, e.g. "*esp32s3*") runs
 * only some of the configurations.
 */
#include "test_support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capheap/caps.h"
#include "capheap/sim.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

#define C(x) CAPHEAP_CAP_##x

enum {
    FULL_OPS = 200000, /* per chip configuration, over both fill targets */
    FULL_CHECK_STEPS = 5000,
    CHECK_EVERY = 32,
    VERIFY_ALL_EVERY = 2048,
    MAXT = CAPHEAP_CAPS_MAX_TYPES,
    MAXSEG = 64,
    MAXORD = CAPHEAP_CAPS_MAX_TYPES
};

#define KIB(x) ((size_t)(x)*1024u)

/* ---- configurations ----------------------------------------------------- */

typedef struct {
    const char *name; /* test name stem */
    const char *chip; /* capheap_chip_find() name */
    uint32_t flags;   /* CAPHEAP_OPT_* */
    size_t psram;     /* bytes of PSRAM fitted (with CAPHEAP_OPT_PSRAM) */
} chipcfg_t;

static const chipcfg_t chipcfgs[] = {
    {"esp32", "esp32", 0, 0},
    {"esp32_psram_rtc", "esp32", CAPHEAP_OPT_PSRAM | CAPHEAP_OPT_RTC_HEAP,
     KIB(512)},
    /* Byte-accessible IRAM, the second core's memory, Bluetooth and trace
     * reservations. */
    {"esp32_single_bt_iram8", "esp32",
     CAPHEAP_OPT_SINGLE_CORE | CAPHEAP_OPT_IRAM_8BIT | CAPHEAP_OPT_BT |
         CAPHEAP_OPT_TRACE_MEM,
     0},
    {"esp32s3", "esp32s3", 0, 0},
    {"esp32s3_psram_rtc", "esp32s3", CAPHEAP_OPT_PSRAM | CAPHEAP_OPT_RTC_HEAP,
     KIB(512)},
    {"esp32c3", "esp32c3", 0, 0},
    {"esp32c3_rtc", "esp32c3", CAPHEAP_OPT_RTC_HEAP, 0},
    {"stm32h743", "stm32h743", 0, 0},
    {"stm32h743_rtc", "stm32h743", CAPHEAP_OPT_RTC_HEAP, 0},
    {"host", "host", 0, 0},
};
#define NCHIPCFG (sizeof chipcfgs / sizeof chipcfgs[0])

static const double targets[] = {0.5, 0.98};
#define NTARGETS (sizeof targets / sizeof targets[0])

typedef struct {
    const chipcfg_t *cc;
    double target;
    unsigned index;
} config_t;

/* Caps masks and how often they are drawn. */
typedef struct {
    uint32_t mask;
    unsigned weight;
} wmask_t;

static const wmask_t masks[] = {
    {C(8BIT), 10},
    {C(32BIT), 6},
    {C(DMA), 6},
    {C(EXEC), 5},
    {C(DEFAULT), 10},
    {C(INTERNAL), 4},
    {C(SPIRAM), 4},
    {C(DMA) | C(INTERNAL), 4},
    {C(DEFAULT) | C(INTERNAL), 5},
    {C(8BIT) | C(INTERNAL), 4},
    {C(TCM), 3},
    {C(RTCRAM), 3},
    {C(RETENTION), 3},
    {C(CACHE_ALIGNED) | C(DMA), 3},
    {C(SIMD), 3},
    /* the documented adjustments */
    {C(DMA_DESC_AHB), 1},
    {C(DMA_DESC_AXI) | C(INTERNAL), 1},
    {C(DMA) | C(SPIRAM), 1},
    {C(CACHE_ALIGNED) | C(SPIRAM), 1},
    {C(CACHE_ALIGNED), 1},
    {C(EXEC) | C(INTERNAL), 2},
    {C(EXEC) | C(32BIT), 1},
    {C(IRAM_8BIT), 1},
    {C(SIMD) | C(INTERNAL), 1},
    {C(SPIRAM) | C(8BIT), 1},
    {C(TCM) | C(8BIT), 1},
    {C(RTCRAM) | C(EXEC), 1},
    {C(RTCRAM) | C(8BIT), 1},
    {C(EXEC) | C(SPIRAM) | C(DMA), 1}, /* DMA dropped first: not EXEC|DMA */
    /* unsatisfiable everywhere */
    {C(EXEC) | C(8BIT), 1},
    {C(EXEC) | C(DMA), 1},
    {C(EXEC) | C(DMA_DESC_AHB), 1},
    {C(INVALID), 1},
    {C(PID2), 1},
    {C(SPIRAM_NO_ENC), 1},
    {C(SPIRAM_NO_ENC) | C(SPIRAM), 1},
    {C(SPM) | C(DMA), 1},
    {1u << 30, 1},
    /* no bit to share with any level: the selection rule picks no type */
    {0, 1},
};
#define NMASKS (sizeof masks / sizeof masks[0])

/* ---- the model ---------------------------------------------------------- */

typedef struct {
    unsigned char *p;   /* as returned */
    uintptr_t dlo, dhi; /* the heap block on the data bus */
    size_t req;         /* bytes asked for (filled with the pattern) */
    uint32_t raw, adj;  /* caps as asked and as adjusted by the model */
    int type;           /* chip type of the region holding it */
    uint32_t seed;
    bool ibus; /* an instruction-bus address of an alias window */
} mblock_t;

typedef struct {
    uintptr_t lo, hi;
    uint32_t *owner; /* per data-bus word: slot + 1, 0 free */
} seg_t;

typedef struct {
    long allocs, alloc_null, aligned, aligned_null, must, expect_null;
    long reallocs, realloc_null, realloc_moved, realloc_type_changed;
    long realloc0, frees, free_by_dbus, ibus, ordered, checks, verifies;
    long by_stats, probes;
    long by_type[MAXT];
    double fill_sum, fill_max, type_fill_max[MAXT];
    long fill_n;
} counters_t;

typedef struct {
    const config_t *cfg;
    const capheap_chip_t *chip; /* as the simulation places it */
    capheap_chip_options_t opts;
    uint64_t seed;
    ts_rng_t rng;
    long step, ops;
    const char *op;
    bool dbus_only; /* touch inverted windows through the data bus only */

    unsigned ntypes;
    uint32_t all[MAXT];
    bool alias[MAXT];
    size_t boot_free[MAXT], boot_alloc_bytes[MAXT];
    size_t live_count[MAXT], live_bytes[MAXT];
    size_t reach_total;

    mblock_t *blk;
    uint32_t *free_slot, *live, *pos;
    size_t nfree_slot, nlive, cap;

    seg_t seg[MAXSEG];
    unsigned nseg;

    uint32_t stat_masks[NMASKS + 24];
    unsigned nstat;
    unsigned total_weight;
    counters_t c;
} model_t;

static capheap_caps_t ch;

static void mfail(const model_t *M, const char *file, int line, const char *fmt,
                  ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_msg("%s:%d: %s, target %.2f, seed %llu, step %ld (%s): %s", file, line,
             M->cfg->cc->name, M->cfg->target, (unsigned long long)M->seed,
             M->step, M->op ? M->op : "-", msg);
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
            mfail((M), __FILE__, __LINE__, "%s == %s: %zu != %zu (0x%zx)", #a, \
                  #b, a_, b_, b_);                                             \
    } while (0)

static uint64_t rnd(model_t *M, uint64_t lo, uint64_t hi) {
    return ts_rng_range(&M->rng, lo, hi);
}

static long ops_per_run(void) {
    long n = (long)(FULL_OPS * ts_scale() / NTARGETS);
    return n < 1000 ? 1000 : n;
}

static bool under_valgrind(void) {
#ifdef HAVE_VALGRIND_H
    return RUNNING_ON_VALGRIND;
#else
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload");
#endif
}

static size_t round_up(size_t n, size_t a) {
    return (n + a - 1) & ~(a - 1);
}

static bool pow2(size_t a) {
    return a && !(a & (a - 1));
}

/* ---- chip data ----------------------------------------------------------- */

static bool selected(uint32_t flags, uint32_t when, uint32_t unless) {
    return (flags & when) == when && !(flags & unless);
}

static size_t region_size(const model_t *M, const capheap_region_desc_t *d) {
    size_t size = d->size;
    if ((d->when & CAPHEAP_OPT_PSRAM) && M->opts.psram_size &&
        M->opts.psram_size < size)
        size = M->opts.psram_size;
    return size;
}

/* The selected chip region holding data-bus address @p a, or NULL. */
static const capheap_region_desc_t *region_of(const model_t *M, uintptr_t a) {
    for (unsigned i = 0; i < M->chip->region_count; i++) {
        const capheap_region_desc_t *d = &M->chip->regions[i];
        if (selected(M->opts.flags, d->when, d->unless) && a >= d->start &&
            a - d->start < region_size(M, d))
            return d;
    }
    return NULL;
}

static const capheap_alias_t *window_d(const model_t *M, uintptr_t a) {
    for (unsigned i = 0; i < M->chip->alias_count; i++) {
        const capheap_alias_t *w = &M->chip->aliases[i];
        if (a >= w->dram_lo && a < w->dram_hi)
            return w;
    }
    return NULL;
}

static const capheap_alias_t *window_i(const model_t *M, uintptr_t a) {
    for (unsigned i = 0; i < M->chip->alias_count; i++) {
        const capheap_alias_t *w = &M->chip->aliases[i];
        if (a >= w->iram_lo && a - w->iram_lo < w->dram_hi - w->dram_lo)
            return w;
    }
    return NULL;
}

static uint32_t type_all(const capheap_chip_t *chip, unsigned t) {
    return chip->types[t].caps[0] | chip->types[t].caps[1] |
           chip->types[t].caps[2];
}

/* caps.h's adjustments, done by the model. */
typedef struct {
    bool valid;   /* false: EXEC with 8BIT or DMA, size 0 or too large */
    uint32_t adj; /* the adjusted mask */
    size_t n;     /* the adjusted size */
    size_t hw;    /* the alignment DMA / CACHE_ALIGNED / SIMD demand */
} adjusted_t;

static adjusted_t adjust(const model_t *M, uint32_t raw, size_t size) {
    adjusted_t a = {true, raw, size, 1};
    const uint32_t desc = C(DMA_DESC_AHB) | C(DMA_DESC_AXI);
    if (raw & (C(DMA) | desc | C(CACHE_ALIGNED)))
        a.hw = M->chip->cache_line;
    if ((raw & C(SIMD)) && M->chip->simd_align > a.hw)
        a.hw = M->chip->simd_align;
    if (a.adj & desc)
        a.adj = (a.adj & ~desc) | C(DMA);
    if ((a.adj & C(DMA)) && (a.adj & C(SPIRAM)))
        a.adj &= ~C(DMA);
    a.adj &= ~C(CACHE_ALIGNED);
    if (a.adj & C(EXEC)) {
        if (a.adj & (C(8BIT) | C(DMA)))
            a.valid = false;
        a.adj |= C(32BIT);
    }
    if (size == 0 || size > M->chip->max_alloc)
        a.valid = false;
    if (a.valid) {
        if (a.hw > 1)
            a.n = round_up(a.n, a.hw);
        if (a.adj & C(32BIT))
            a.n = round_up(a.n, 4);
    }
    return a;
}

/* The qualifying types of @p adj in the documented order: priority level
 * first, then type order; each type once. */
static unsigned order(const model_t *M, uint32_t adj, unsigned *out) {
    unsigned n = 0;
    uint32_t seen = 0;
    for (int p = 0; p < CAPHEAP_PRIOS; p++) {
        for (unsigned t = 0; t < M->ntypes; t++) {
            if ((M->chip->types[t].caps[p] & adj) && (M->all[t] & adj) == adj &&
                !(seen & (1u << t))) {
                seen |= 1u << t;
                out[n++] = t;
            }
        }
    }
    return n;
}

static bool chip_satisfiable(const model_t *M, uint32_t adj) {
    for (unsigned t = 0; t < M->ntypes; t++) {
        if ((M->all[t] & adj) == adj)
            return true;
    }
    return false;
}

static capheap_stats_t tag_stats(model_t *M, unsigned t) {
    capheap_stats_t s;
    MCHECK_EQ(M, capheap_heap_tag_stats(ch.heap, t, &s), CAPHEAP_OK);
    return s;
}

/* Bytes type @p t must have as its largest free block for a request of
 * @p n adjusted bytes aligned to @p align to be guaranteed. */
static size_t need_of(const model_t *M, unsigned t, size_t n, size_t align,
                      bool exec) {
    if (exec && M->alias[t]) {
        /* Dual-mapped RAM: the word before the instruction-bus pointer, and
         * room to slide the block's first word to the alignment. */
        return round_up(n, 4) + (align > 4 ? align : 4);
    }
    return n + (align > CAPHEAP_ALIGNMENT ? align + 64 : 0);
}

/* ---- memory access ------------------------------------------------------- */

/* Whether @p p lies in an inverted window that must not be touched on the
 * instruction bus (under Valgrind). */
static bool via_dbus(const model_t *M, const mblock_t *b) {
    if (!M->dbus_only || !b->ibus)
        return false;
    const capheap_alias_t *w = window_i(M, (uintptr_t)b->p);
    return w && w->kind == CAPHEAP_ALIAS_INVERTED;
}

static void fill_bytes(const model_t *M, const mblock_t *b, size_t n,
                       uint32_t seed) {
    if (!via_dbus(M, b)) {
        ts_fill(b->p, n, seed);
        return;
    }
    unsigned char *tmp = malloc(n);
    assert_non_null(tmp);
    ts_fill(tmp, n, seed);
    for (size_t i = 0; i < n; i++)
        *(unsigned char *)capheap_caps_iram_to_dram(M->chip, (uintptr_t)b->p +
                                                                 i) = tmp[i];
    free(tmp);
}

static bool verify_bytes(const model_t *M, const mblock_t *b, size_t n,
                         uint32_t seed) {
    if (!via_dbus(M, b))
        return ts_verify(b->p, n, seed) != 0;
    unsigned char *tmp = malloc(n);
    assert_non_null(tmp);
    for (size_t i = 0; i < n; i++)
        tmp[i] = *(const unsigned char *)capheap_caps_iram_to_dram(
            M->chip, (uintptr_t)b->p + i);
    bool ok = ts_verify(tmp, n, seed) != 0;
    free(tmp);
    return ok;
}

static void verify_block(model_t *M, const mblock_t *b) {
    if (!verify_bytes(M, b, b->req, b->seed))
        mfail(M, __FILE__, __LINE__,
              "contents of %p (%zu bytes, caps 0x%x, type %d) changed",
              (void *)b->p, b->req, (unsigned)b->raw, b->type);
}

/* ---- ownership map ------------------------------------------------------- */

static seg_t *seg_of(model_t *M, uintptr_t a) {
    for (unsigned i = 0; i < M->nseg; i++) {
        if (a >= M->seg[i].lo && a < M->seg[i].hi)
            return &M->seg[i];
    }
    return NULL;
}

static void build_segments(model_t *M) {
    uintptr_t lo[MAXSEG], hi[MAXSEG];
    unsigned n = 0;
    for (unsigned i = 0; i < M->chip->region_count; i++) {
        const capheap_region_desc_t *d = &M->chip->regions[i];
        if (!selected(M->opts.flags, d->when, d->unless))
            continue;
        MCHECK(M, n < MAXSEG);
        lo[n] = d->start & ~(uintptr_t)3;
        hi[n] = round_up(d->start + region_size(M, d), 4);
        n++;
    }
    /* sort and merge touching ranges */
    for (unsigned i = 1; i < n; i++) {
        for (unsigned j = i; j > 0 && lo[j - 1] > lo[j]; j--) {
            uintptr_t x = lo[j], y = hi[j];
            lo[j] = lo[j - 1];
            hi[j] = hi[j - 1];
            lo[j - 1] = x;
            hi[j - 1] = y;
        }
    }
    M->nseg = 0;
    for (unsigned i = 0; i < n; i++) {
        if (M->nseg && lo[i] <= M->seg[M->nseg - 1].hi) {
            if (hi[i] > M->seg[M->nseg - 1].hi)
                M->seg[M->nseg - 1].hi = hi[i];
            continue;
        }
        M->seg[M->nseg].lo = lo[i];
        M->seg[M->nseg].hi = hi[i];
        M->nseg++;
    }
    for (unsigned i = 0; i < M->nseg; i++) {
        M->seg[i].owner = calloc((M->seg[i].hi - M->seg[i].lo) / 4, 4);
        assert_non_null(M->seg[i].owner);
    }
}

static void free_segments(model_t *M) {
    for (unsigned i = 0; i < M->nseg; i++)
        free(M->seg[i].owner);
    M->nseg = 0;
}

static void claim(model_t *M, uint32_t slot) {
    const mblock_t *b = &M->blk[slot];
    seg_t *s = seg_of(M, b->dlo);
    MCHECK(M, s != NULL && b->dhi <= s->hi);
    for (uintptr_t a = b->dlo & ~(uintptr_t)3; a < b->dhi; a += 4) {
        uint32_t *o = &s->owner[(a - s->lo) / 4];
        if (*o) {
            const mblock_t *x = &M->blk[*o - 1];
            mfail(M, __FILE__, __LINE__,
                  "block %p [0x%zx, 0x%zx) overlaps live block %p [0x%zx, "
                  "0x%zx)",
                  (void *)b->p, (size_t)b->dlo, (size_t)b->dhi, (void *)x->p,
                  (size_t)x->dlo, (size_t)x->dhi);
        }
        *o = slot + 1;
    }
}

static void unclaim(model_t *M, uint32_t slot) {
    const mblock_t *b = &M->blk[slot];
    seg_t *s = seg_of(M, b->dlo);
    MCHECK(M, s != NULL);
    for (uintptr_t a = b->dlo & ~(uintptr_t)3; a < b->dhi; a += 4) {
        uint32_t *o = &s->owner[(a - s->lo) / 4];
        MCHECK_EQ(M, *o, slot + 1);
        *o = 0;
    }
}

/* ---- blocks -------------------------------------------------------------- */

static bool intersects(uintptr_t a0, uintptr_t a1, uintptr_t b0, uintptr_t b1) {
    return a0 < b1 && b0 < a1;
}

/* The data-bus heap block behind @p b->p; checks the alias bookkeeping of
 * instruction-bus blocks against the chip's window. */
static void locate(model_t *M, mblock_t *b) {
    uintptr_t p = (uintptr_t)b->p;
    const capheap_alias_t *w = window_i(M, p);
    b->ibus = w != NULL;
    if (!w) {
        b->dlo = p;
        size_t u = capheap_caps_usable_size(&ch, b->p);
        MCHECK_EQ(M, capheap_heap_live_size(ch.heap, b->p), u);
        b->dhi = p + u;
        return;
    }
    M->c.ibus++;
    MCHECK_EQ(M, p % 4, 0);
    /* The word before the instruction-bus pointer, read on the data bus. */
    uintptr_t first = capheap_caps_iram_to_dram(M->chip, p - 4);
    MCHECK(M, window_d(M, first) == w);
    uint32_t off;
    memcpy(&off, (const void *)first, sizeof off);
    MCHECK(M, off < w->dram_hi - w->dram_lo);
    uintptr_t d = w->dram_lo + off;
    size_t live = capheap_heap_live_size(ch.heap, (void *)d);
    MCHECK(M, live >= 4);
    size_t usable = capheap_caps_usable_size(&ch, b->p);
    MCHECK(M, usable >= b->req);
    /* The stored word and the usable bytes after it on the instruction
     * bus, seen on the data bus, lie inside the block. */
    uintptr_t last = capheap_caps_iram_to_dram(M->chip, p + usable - 1);
    uintptr_t lo = first < last ? first : last,
              hi = first > last ? first : last;
    lo &= ~(uintptr_t)3;
    hi = (hi | 3) + 1;
    MCHECK(M, lo >= d && hi <= d + live);
    b->dlo = d;
    b->dhi = d + live;
}

/* Everything the chip data says about a new block. */
static void check_caps(model_t *M, const mblock_t *b, size_t align, size_t n) {
    uintptr_t p = (uintptr_t)b->p;
    const capheap_region_desc_t *r0 = region_of(M, b->dlo);
    const capheap_region_desc_t *r1 = region_of(M, b->dhi - 1);
    if (!r0 || !r1)
        mfail(M, __FILE__, __LINE__,
              "block %p [0x%zx, 0x%zx) outside the chip's regions",
              (void *)b->p, (size_t)b->dlo, (size_t)b->dhi);
    MCHECK_EQ(M, r0->type, r1->type);
    unsigned t = r0->type;
    uint32_t have = type_all(M->chip, t);
    if ((have & b->adj) != b->adj)
        mfail(M, __FILE__, __LINE__,
              "block %p in type %s (caps 0x%x) for request 0x%x (adjusted "
              "0x%x)",
              (void *)b->p, M->chip->types[t].name, (unsigned)have,
              (unsigned)b->raw, (unsigned)b->adj);
    MCHECK_EQ(M, capheap_caps_block_type(&ch, b->p), t);
    /* Reservations: the chip's and the application's default ranges. */
    for (unsigned i = 0; i < M->chip->reserved_count; i++) {
        const capheap_reserved_t *rv = &M->chip->reserved[i];
        if (selected(M->opts.flags, rv->when, rv->unless) &&
            intersects(b->dlo, b->dhi, rv->start, rv->end))
            mfail(M, __FILE__, __LINE__,
                  "block %p [0x%zx, 0x%zx) in reservation %u [0x%zx, 0x%zx)",
                  (void *)b->p, (size_t)b->dlo, (size_t)b->dhi, i,
                  (size_t)rv->start, (size_t)rv->end);
    }
    uintptr_t ds = M->chip->app_dram_start;
    if ((M->opts.flags & CAPHEAP_OPT_BT) && M->chip->app_dram_start_bt)
        ds = M->chip->app_dram_start_bt;
    if (ds)
        MCHECK(M, !intersects(b->dlo, b->dhi, ds, ds + M->chip->app_dram_size));
    if (M->chip->app_iram_start)
        MCHECK(M,
               !intersects(b->dlo, b->dhi, M->chip->app_iram_start,
                           M->chip->app_iram_start + M->chip->app_iram_size));
    if (b->adj & C(DMA))
        MCHECK(M, b->dlo >= M->chip->dma_lo && b->dhi <= M->chip->dma_hi);
    /* Addresses: instruction bus exactly for EXEC from dual-mapped RAM. */
    bool in_window = window_d(M, b->dlo) != NULL;
    if (b->adj & C(EXEC))
        MCHECK_EQ(M, b->ibus, in_window);
    else
        MCHECK(M, !b->ibus);
    MCHECK_EQ(M, p % align, 0);
    MCHECK_EQ(M, p % (b->ibus ? 4 : CAPHEAP_ALIGNMENT), 0);
    MCHECK(M, capheap_caps_usable_size(&ch, b->p) >= n);
}

static uint32_t add_block(model_t *M, unsigned char *p, size_t req,
                          uint32_t raw, const adjusted_t *a, size_t align) {
    if (M->nfree_slot == 0) {
        size_t ncap = M->cap * 2;
        M->blk = realloc(M->blk, ncap * sizeof *M->blk);
        M->free_slot = realloc(M->free_slot, ncap * sizeof *M->free_slot);
        M->live = realloc(M->live, ncap * sizeof *M->live);
        M->pos = realloc(M->pos, ncap * sizeof *M->pos);
        assert_true(M->blk && M->free_slot && M->live && M->pos);
        for (size_t i = ncap; i > M->cap; i--)
            M->free_slot[M->nfree_slot++] = (uint32_t)(i - 1);
        M->cap = ncap;
    }
    uint32_t slot = M->free_slot[--M->nfree_slot];
    mblock_t *b = &M->blk[slot];
    memset(b, 0, sizeof *b);
    b->p = p;
    b->req = req;
    b->raw = raw;
    b->adj = a->adj;
    locate(M, b);
    check_caps(M, b, align > a->hw ? align : a->hw, a->n);
    b->type = region_of(M, b->dlo)->type;
    claim(M, slot);
    M->pos[slot] = (uint32_t)M->nlive;
    M->live[M->nlive++] = slot;
    M->live_count[b->type]++;
    M->live_bytes[b->type] += b->dhi - b->dlo;
    M->c.by_type[b->type]++;
    return slot;
}

static void drop_block(model_t *M, uint32_t slot) {
    mblock_t *b = &M->blk[slot];
    unclaim(M, slot);
    M->live_count[b->type]--;
    M->live_bytes[b->type] -= b->dhi - b->dlo;
    uint32_t at = M->pos[slot], last = M->live[--M->nlive];
    M->live[at] = last;
    M->pos[last] = at;
    M->free_slot[M->nfree_slot++] = slot;
}

static void refill(model_t *M, uint32_t slot) {
    mblock_t *b = &M->blk[slot];
    b->seed = (uint32_t)rnd(M, 1, UINT32_MAX);
    fill_bytes(M, b, b->req, b->seed);
}

/* ---- statistics ---------------------------------------------------------- */

static void check_stats(model_t *M) {
    capheap_stats_t ts[MAXT];
    for (unsigned t = 0; t < M->ntypes; t++) {
        ts[t] = tag_stats(M, t);
        MCHECK_EQ(M, ts[t].allocated_blocks, M->live_count[t]);
        MCHECK_EQ(M, ts[t].allocated_bytes,
                  M->boot_alloc_bytes[t] + M->live_bytes[t]);
    }
    for (unsigned i = 0; i < M->nstat; i++) {
        uint32_t m = M->stat_masks[i];
        capheap_stats_t s, want;
        memset(&want, 0, sizeof want);
        for (unsigned t = 0; t < M->ntypes; t++) {
            if ((M->all[t] & m) != m)
                continue;
            want.total_bytes += ts[t].total_bytes;
            want.free_bytes += ts[t].free_bytes;
            want.allocated_bytes += M->boot_alloc_bytes[t] + M->live_bytes[t];
            want.allocated_blocks += M->live_count[t];
        }
        /* The largest free block: at most the largest block of a type that
         * has the caps as asked or as adjusted (whether it is the largest
         * block or what an allocation is sure to get). */
        uint32_t am = adjust(M, m, 1).adj;
        for (unsigned t = 0; t < M->ntypes; t++) {
            if (((M->all[t] & m) == m || (M->all[t] & am) == am) &&
                ts[t].largest_free_block > want.largest_free_block)
                want.largest_free_block = ts[t].largest_free_block;
        }
        capheap_caps_stats(&ch, m, &s);
        if (s.allocated_blocks != want.allocated_blocks ||
            s.allocated_bytes != want.allocated_bytes ||
            s.free_bytes != want.free_bytes ||
            s.total_bytes != want.total_bytes ||
            s.largest_free_block > want.largest_free_block ||
            s.total_blocks != s.allocated_blocks + s.free_blocks)
            mfail(M, __FILE__, __LINE__,
                  "stats of caps 0x%x: blocks %zu/%zu (model), bytes "
                  "%zu/%zu, free %zu/%zu, total %zu/%zu, largest %zu (at most "
                  "%zu), "
                  "total blocks %zu = %zu + %zu",
                  (unsigned)m, s.allocated_blocks, want.allocated_blocks,
                  s.allocated_bytes, want.allocated_bytes, s.free_bytes,
                  want.free_bytes, s.total_bytes, want.total_bytes,
                  s.largest_free_block, want.largest_free_block, s.total_blocks,
                  s.allocated_blocks, s.free_blocks);
        MCHECK_EQ(M, capheap_caps_total_size(&ch, m), want.total_bytes);
    }
}

static double fill_level(const model_t *M) {
    size_t used = 0;
    for (unsigned t = 0; t < M->ntypes; t++)
        used += M->live_bytes[t];
    return M->reach_total ? (double)used / (double)M->reach_total : 0;
}

/* ---- operations ---------------------------------------------------------- */

static uint32_t pick_mask(model_t *M) {
    unsigned r = (unsigned)rnd(M, 0, M->total_weight - 1);
    unsigned i = 0;
    while (r >= masks[i].weight)
        r -= masks[i++].weight;
    return masks[i].mask;
}

static size_t pick_size(model_t *M) {
    uint64_t r = rnd(M, 0, 999);
    if (r < 550)
        return (size_t)rnd(M, 1, 64);
    if (r < 800)
        return (size_t)rnd(M, 65, 512);
    if (r < 930)
        return (size_t)rnd(M, 513, 4096);
    if (r < 985)
        return (size_t)rnd(M, 4097, 32768);
    if (r < 997)
        return (size_t)rnd(M, 32769, 131072);
    if (r < 998)
        return 0;
    if (r < 999)
        return M->chip->max_alloc + (size_t)rnd(M, 1, 64);
    return SIZE_MAX - (size_t)rnd(M, 0, 64);
}

/* What the model expects of a request: whether it may succeed at all and
 * whether it must; @p largest receives each type's largest free block. */
typedef struct {
    adjusted_t a;
    unsigned ord[MAXORD], nord;
    size_t align; /* effective */
    bool may, must;
    bool by_stats; /* must: no larger than capheap_caps_stats().largest */
    size_t stats_largest;
    size_t largest[MAXT];
} expect_t;

static expect_t expect(model_t *M, uint32_t raw, size_t size, size_t align) {
    expect_t e;
    memset(&e, 0, sizeof e);
    e.a = adjust(M, raw, size);
    e.align = align > e.a.hw ? align : e.a.hw;
    if (e.a.valid)
        MCHECK_EQ(M, capheap_caps_satisfiable(&ch, e.a.adj),
                  chip_satisfiable(M, e.a.adj));
    e.nord = e.a.valid ? order(M, e.a.adj, e.ord) : 0;
    e.may = pow2(align) && e.a.valid && e.nord > 0;
    for (unsigned t = 0; t < M->ntypes; t++)
        e.largest[t] = capheap_heap_largest_free(ch.heap, t);
    for (unsigned i = 0; e.may && i < e.nord; i++) {
        unsigned t = e.ord[i];
        size_t need = need_of(M, t, e.a.n, e.align, e.a.adj & C(EXEC));
        if (e.largest[t] >= need)
            e.must = true;
    }
    /* What the statistics promise for the mask as asked, for requests that
     * ask for no alignment of their own. */
    capheap_stats_t st;
    capheap_caps_stats(&ch, raw, &st);
    e.stats_largest = st.largest_free_block;
    e.by_stats = e.may && align <= 4 && size <= e.stats_largest;
    return e;
}

/* The type that served @p e: qualifying, and no type before it in the
 * order could surely have served it. */
static void check_order(model_t *M, const expect_t *e, int type) {
    unsigned i = 0;
    while (i < e->nord && e->ord[i] != (unsigned)type)
        i++;
    if (i == e->nord)
        mfail(M, __FILE__, __LINE__, "type %d does not qualify for 0x%x", type,
              (unsigned)e->a.adj);
    for (unsigned k = 0; k < i; k++) {
        unsigned t = e->ord[k];
        size_t need = need_of(M, t, e->a.n, e->align, e->a.adj & C(EXEC));
        if (e->largest[t] >= need)
            mfail(M, __FILE__, __LINE__,
                  "caps 0x%x, %zu bytes: served by %s although %s, earlier "
                  "in the order, had %zu free in one block",
                  (unsigned)e->a.adj, e->a.n, M->chip->types[type].name,
                  M->chip->types[t].name, e->largest[t]);
    }
    M->c.ordered++;
}

static void op_free_slot(model_t *M, uint32_t slot);

/* Allocate; a probe asks for exactly what capheap_caps_stats() says the
 * largest free block of the mask is (or a little less). */
static void op_alloc(model_t *M, bool aligned, bool probe) {
    uint32_t raw = pick_mask(M);
    size_t size = pick_size(M);
    size_t align = 1;
    if (probe) {
        capheap_stats_t st;
        capheap_caps_stats(&ch, raw, &st);
        if (st.largest_free_block == 0)
            return;
        size = st.largest_free_block - (size_t)rnd(M, 0, 3);
        if (size == 0)
            return;
        aligned = false;
        M->c.probes++;
    }
    if (aligned) {
        uint64_t r = rnd(M, 0, 99);
        if (r < 4)
            align = (size_t)rnd(M, 0, 100) * 3; /* 0 or not a power of two */
        else
            align = (size_t)1 << rnd(M, 0, r < 80 ? 6 : 12);
    }
    M->op = aligned ? "aligned_alloc" : "alloc";
    expect_t e = expect(M, raw, size, aligned ? align : 1);
    unsigned char *p = aligned
                           ? capheap_caps_aligned_alloc(&ch, align, size, raw)
                           : capheap_caps_alloc(&ch, size, raw);
    if (aligned)
        M->c.aligned++;
    else
        M->c.allocs++;
    if (!e.may) {
        M->c.expect_null++;
        if (p)
            mfail(M, __FILE__, __LINE__,
                  "%zu bytes, caps 0x%x, alignment %zu: %p, expected NULL",
                  size, (unsigned)raw, align, (void *)p);
    }
    if (e.must)
        M->c.must++;
    if (e.by_stats)
        M->c.by_stats++;
    if (!p) {
        if (e.must || e.by_stats)
            mfail(M, __FILE__, __LINE__,
                  "%zu bytes (adjusted %zu), caps 0x%x (adjusted 0x%x), "
                  "alignment %zu: NULL although it fits (%s; largest free "
                  "block by the statistics %zu)",
                  size, e.a.n, (unsigned)raw, (unsigned)e.a.adj, e.align,
                  e.must ? "a qualifying type's largest free block"
                         : "the statistics",
                  e.stats_largest);
        if (aligned)
            M->c.aligned_null++;
        else
            M->c.alloc_null++;
        return;
    }
    uint32_t slot = add_block(M, p, size, raw, &e.a, e.align);
    check_order(M, &e, M->blk[slot].type);
    if (probe) /* up to 8 MiB: fill a part, give it back at once */
        M->blk[slot].req = size < 4096 ? size : 4096;
    refill(M, slot);
    verify_block(M, &M->blk[slot]);
    if (probe)
        op_free_slot(M, slot);
}

static void op_free(model_t *M) {
    op_free_slot(M, M->live[rnd(M, 0, M->nlive - 1)]);
}

static void op_free_slot(model_t *M, uint32_t slot) {
    M->op = "free";
    mblock_t *b = &M->blk[slot];
    verify_block(M, b);
    if (b->ibus && rnd(M, 0, 3) == 0) {
        /* caps.h: free accepts either address of a dual-mapped block. */
        MCHECK_EQ(M, capheap_caps_block_type(&ch, (void *)b->dlo), b->type);
        MCHECK_EQ(M, capheap_caps_usable_size(&ch, (void *)b->dlo),
                  b->dhi - b->dlo);
        capheap_caps_free(&ch, (void *)b->dlo);
        M->c.free_by_dbus++;
    } else {
        capheap_caps_free(&ch, b->p);
    }
    drop_block(M, slot);
    M->c.frees++;
}

static void op_realloc(model_t *M) {
    M->op = "realloc";
    uint32_t slot = M->live[rnd(M, 0, M->nlive - 1)];
    mblock_t old = M->blk[slot];
    verify_block(M, &old);
    M->c.reallocs++;
    if (rnd(M, 0, 99) < 3) {
        M->op = "realloc0";
        uint32_t raw = pick_mask(M);
        MCHECK(M, capheap_caps_realloc(&ch, old.p, 0, raw) == NULL);
        drop_block(M, slot);
        M->c.realloc0++;
        return;
    }
    uint32_t raw = rnd(M, 0, 1) ? old.raw : pick_mask(M);
    size_t size;
    uint64_t r = rnd(M, 0, 9);
    if (r < 4)
        size = (size_t)rnd(M, 1, old.req);
    else if (r < 8)
        size = old.req + (size_t)rnd(M, 1, old.req + 64);
    else
        size = pick_size(M);
    if (size == 0) /* realloc to 0 frees: done above */
        size = 1;
    expect_t e = expect(M, raw, size, 1);
    unsigned char *q = capheap_caps_realloc(&ch, old.p, size, raw);
    if (!e.a.valid || !chip_satisfiable(M, e.a.adj))
        MCHECK(M, q == NULL);
    if (!q) {
        if (e.must || e.by_stats)
            mfail(M, __FILE__, __LINE__,
                  "realloc of %p (%zu bytes, type %s) to %zu bytes (adjusted "
                  "%zu), caps 0x%x (adjusted 0x%x): NULL although it fits "
                  "(%s; largest free block by the statistics %zu)",
                  (void *)old.p, old.req, M->chip->types[old.type].name, size,
                  e.a.n, (unsigned)raw, (unsigned)e.a.adj,
                  e.must ? "a qualifying type's largest free block"
                         : "the statistics",
                  e.stats_largest);
        M->c.realloc_null++;
        /* The old block is untouched and still owned. */
        MCHECK_EQ(M, capheap_caps_block_type(&ch, old.p), old.type);
        verify_block(M, &old);
        return;
    }
    drop_block(M, slot);
    uint32_t ns = add_block(M, q, size, raw, &e.a, e.align);
    mblock_t *b = &M->blk[ns];
    size_t keep = old.req < size ? old.req : size;
    if (!verify_bytes(M, b, keep, old.seed))
        mfail(M, __FILE__, __LINE__,
              "realloc %p (%zu bytes, type %d) -> %p (%zu bytes, type %d): "
              "the first %zu bytes changed",
              (void *)old.p, old.req, old.type, (void *)q, size, b->type, keep);
    if (q != old.p)
        M->c.realloc_moved++;
    if (b->type != old.type) {
        /* Moved by an allocation in the selection order. */
        M->c.realloc_type_changed++;
        check_order(M, &e, b->type);
    }
    refill(M, ns);
    verify_block(M, b);
}

/* ---- checkpoints ----------------------------------------------------------
 */

static void heap_ok(model_t *M) {
    capheap_check_report_t rep;
    if (capheap_heap_check(ch.heap, &rep) != CAPHEAP_OK)
        mfail(M, __FILE__, __LINE__, "heap check: %s at %p",
              capheap_fault_str(rep.fault), rep.addr);
    M->c.checks++;
}

static void verify_all(model_t *M) {
    for (size_t i = 0; i < M->nlive; i++) {
        const mblock_t *b = &M->blk[M->live[i]];
        verify_block(M, b);
        MCHECK_EQ(M, capheap_caps_block_type(&ch, b->p), b->type);
    }
    M->c.verifies++;
}

/* ---- a run ----------------------------------------------------------------
 */

static bool boot(model_t *M) {
    const chipcfg_t *cc = M->cfg->cc;
    const capheap_chip_t *orig = capheap_chip_find(cc->chip);
    assert_non_null(orig);
    M->chip = capheap_sim_chip(orig);
    assert_non_null(M->chip);
    M->opts = (capheap_chip_options_t){cc->flags, cc->psram, 0, 0, 0};
    capheap_sim_unmap();
    char who[700];
    capheap_err_t err = capheap_sim_probe(orig, &M->opts, who, sizeof who);
    if (err == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] %s: the chip's memory cannot be placed at "
                      "its own addresses, the host or an emulator holds them "
                      "in this process: %s\n",
                      cc->name, who);
        return false;
    }
    assert_int_equal(err, CAPHEAP_OK);
    err = capheap_sim_map(orig, &M->opts);
    if (err == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] %s: capheap_sim_map() found the chip's "
                      "addresses taken (see stderr)\n",
                      cc->name);
        return false;
    }
    assert_int_equal(err, CAPHEAP_OK);
    assert_int_equal(capheap_caps_init(&ch, M->chip, &M->opts, NULL, 0),
                     CAPHEAP_OK);
    capheap_caps_enable_nonos_stack_heaps(&ch);
    heap_ok(M);
    return true;
}

static void setup_model(model_t *M) {
    M->ntypes = M->chip->type_count;
    MCHECK_EQ(M, ch.type_count, M->ntypes);
    M->reach_total = 0;
    for (unsigned t = 0; t < M->ntypes; t++) {
        M->all[t] = type_all(M->chip, t);
        M->alias[t] = false;
        capheap_stats_t s = tag_stats(M, t);
        MCHECK_EQ(M, s.allocated_blocks, 0);
        M->boot_free[t] = s.free_bytes;
        M->boot_alloc_bytes[t] = s.allocated_bytes;
        M->reach_total += s.free_bytes;
    }
    /* Dual-mapped types, from the chip data. */
    for (unsigned i = 0; i < M->chip->region_count; i++) {
        const capheap_region_desc_t *d = &M->chip->regions[i];
        if (selected(M->opts.flags, d->when, d->unless) &&
            window_d(M, d->start))
            M->alias[d->type] = true;
    }
    M->total_weight = 0;
    for (unsigned i = 0; i < NMASKS; i++)
        M->total_weight += masks[i].weight;
    /* Statistics masks: every mask drawn (as asked and adjusted), no caps,
     * every single capability bit. */
    M->nstat = 0;
    M->stat_masks[M->nstat++] = 0;
    for (unsigned i = 0; i < NMASKS; i++) {
        uint32_t m[2] = {masks[i].mask, adjust(M, masks[i].mask, 1).adj};
        for (unsigned k = 0; k < 2; k++) {
            bool dup = false;
            for (unsigned j = 0; j < M->nstat; j++)
                dup |= M->stat_masks[j] == m[k];
            if (!dup && M->nstat < sizeof M->stat_masks / 4)
                M->stat_masks[M->nstat++] = m[k];
        }
    }
    static const uint32_t bits[] = {C(EXEC),    C(32BIT),     C(8BIT),
                                    C(DMA),     C(SPIRAM),    C(INTERNAL),
                                    C(DEFAULT), C(IRAM_8BIT), C(RETENTION),
                                    C(RTCRAM),  C(TCM),       C(SIMD)};
    for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        bool dup = false;
        for (unsigned j = 0; j < M->nstat; j++)
            dup |= M->stat_masks[j] == bits[i];
        if (!dup && M->nstat < sizeof M->stat_masks / 4)
            M->stat_masks[M->nstat++] = bits[i];
    }
    M->cap = 1024;
    M->blk = calloc(M->cap, sizeof *M->blk);
    M->free_slot = calloc(M->cap, sizeof *M->free_slot);
    M->live = calloc(M->cap, sizeof *M->live);
    M->pos = calloc(M->cap, sizeof *M->pos);
    assert_true(M->blk && M->free_slot && M->live && M->pos);
    for (size_t i = M->cap; i > 0; i--)
        M->free_slot[M->nfree_slot++] = (uint32_t)(i - 1);
    build_segments(M);
    check_stats(M);
}

static void teardown_model(model_t *M) {
    M->op = "free all";
    while (M->nlive)
        op_free(M);
    check_stats(M);
    heap_ok(M);
    for (unsigned t = 0; t < M->ntypes; t++) {
        capheap_stats_t s = tag_stats(M, t);
        if (s.free_bytes != M->boot_free[t])
            mfail(M, __FILE__, __LINE__,
                  "type %s: %zu bytes free after freeing everything, %zu "
                  "after boot",
                  M->chip->types[t].name, s.free_bytes, M->boot_free[t]);
        MCHECK_EQ(M, s.allocated_blocks, 0);
    }
    free_segments(M);
    free(M->blk);
    free(M->free_slot);
    free(M->live);
    free(M->pos);
    capheap_sim_unmap();
}

static void step(model_t *M) {
    double fill = fill_level(M);
    uint64_t r = rnd(M, 0, 99);
    unsigned grow = fill < M->cfg->target ? 55 : 22;
    if (r == 99)
        op_alloc(M, false, true);
    else if (M->nlive == 0 || (r >= 20 && r < 20 + grow))
        op_alloc(M, rnd(M, 0, 99) < 15, false);
    else if (r < 20)
        op_realloc(M);
    else
        op_free(M);
    if (rnd(M, 0, 999) == 0) {
        M->op = "free(NULL)";
        capheap_caps_free(&ch, NULL);
    }
    if (ts_errors()->count != 0)
        mfail(M, __FILE__, __LINE__, "error hook: %s at %p in %s",
              capheap_err_str(ts_errors()->last), ts_errors()->last_addr,
              ts_errors()->last_op);
    check_stats(M);
    if (M->nlive)
        verify_block(M, &M->blk[M->live[rnd(M, 0, M->nlive - 1)]]);
    if (M->step < FULL_CHECK_STEPS || M->step % CHECK_EVERY == 0)
        heap_ok(M);
    if (M->step % VERIFY_ALL_EVERY == VERIFY_ALL_EVERY - 1)
        verify_all(M);
    fill = fill_level(M);
    M->c.fill_sum += fill;
    M->c.fill_n++;
    if (fill > M->c.fill_max)
        M->c.fill_max = fill;
    for (unsigned t = 0; t < M->ntypes; t++) {
        if (!M->boot_free[t])
            continue;
        double f = (double)M->live_bytes[t] / (double)M->boot_free[t];
        if (f > M->c.type_fill_max[t])
            M->c.type_fill_max[t] = f;
    }
}

static void model_test(void **state) {
    const config_t *cfg = *state;
    static model_t M; /* large; one run at a time */
    memset(&M, 0, sizeof M);
    M.cfg = cfg;
    M.ops = ops_per_run();
    M.seed = 0x9E3779B97F4A7C15ull * (cfg->index + 1);
    ts_rng_seed(&M.rng, M.seed);
    ts_errors_install();
    if (!boot(&M)) {
        skip();
        return;
    }
    M.dbus_only = under_valgrind();
    setup_model(&M);
    clock_t t0 = clock();
    for (M.step = 0; M.step < M.ops; M.step++)
        step(&M);
    verify_all(&M);
    heap_ok(&M);
    counters_t c = M.c;
    teardown_model(&M);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

    char types[512];
    size_t at = 0;
    types[0] = 0;
    for (unsigned t = 0; t < M.ntypes && at < sizeof types; t++) {
        if (!M.boot_free[t])
            continue;
        at += (size_t)snprintf(
            types + at, sizeof types - at, "%s%s %zuK: %ld blocks, max %.2f",
            at ? "; " : "", M.chip->types[t].name, M.boot_free[t] / 1024,
            c.by_type[t], c.type_fill_max[t]);
    }
    double avg = c.fill_n ? c.fill_sum / (double)c.fill_n : 0;
    print_message(
        "%s fill %.2f: %ld ops in %.2f s; alloc %ld (%ld NULL), aligned %ld "
        "(%ld NULL), expected NULL %ld, must fit %ld (%ld by the statistics, "
        "%ld probes of the largest free block), "
        "realloc %ld (%ld NULL, "
        "%ld moved, %ld changed type, %ld to 0), free %ld, I-bus %ld, "
        "order checks %ld, heap checks %ld; fill avg %.3f max %.3f\n  %s\n"
        "  freed by data-bus address %ld\n",
        cfg->cc->name, cfg->target, M.ops, secs, c.allocs, c.alloc_null,
        c.aligned, c.aligned_null, c.expect_null, c.must, c.by_stats, c.probes,
        c.reallocs, c.realloc_null, c.realloc_moved, c.realloc_type_changed,
        c.realloc0, c.frees, c.ibus, c.ordered, c.checks, avg, c.fill_max,
        types, c.free_by_dbus);

    /* The workload reached what it is meant to exercise (the rarer goals
     * only at full length: Valgrind's runs are 1/20 of it). */
    assert_true(c.allocs > 0 && c.aligned > 0 && c.frees > 0);
    assert_true(c.expect_null > 0 && c.must > 0 && c.ordered > 0);
    assert_true(c.probes > 0 && c.by_stats > 0);
    assert_true(c.realloc_moved > 0 && c.realloc_null > 0);
    if (M.ops < (long)(FULL_OPS / NTARGETS))
        return;
    unsigned with_memory = 0;
    bool exec_alias = false;
    for (unsigned t = 0; t < M.ntypes; t++) {
        with_memory += M.boot_free[t] != 0;
        exec_alias |= M.alias[t] && (M.all[t] & C(EXEC));
    }
    if (with_memory > 1)
        assert_true(c.realloc_type_changed > 0);
    if (exec_alias)
        assert_true(c.ibus > 0 && c.free_by_dbus > 0);
    /* Debug words in every block (poisoning, owners) leave less room for
     * the requests the fill counts. */
    if (cfg->target > 0.9)
        assert_true(c.fill_max > (CAPHEAP_BLOCK_PREFIX_BYTES ? 0.8 : 0.9) &&
                    c.alloc_null > 0);
    else
        assert_true(avg > 0.35 && avg < 0.6);
}

int main(void) {
    static config_t cfg[NCHIPCFG * NTARGETS];
    static char names[NCHIPCFG * NTARGETS][64];
    struct CMUnitTest tests[NCHIPCFG * NTARGETS];
    unsigned n = 0;
    for (unsigned i = 0; i < NCHIPCFG; i++) {
        for (unsigned f = 0; f < NTARGETS; f++) {
            cfg[n] = (config_t){&chipcfgs[i], targets[f], n};
            snprintf(names[n], sizeof names[n], "caps_model_%s_fill%02d",
                     chipcfgs[i].name, (int)(targets[f] * 100 + 0.5));
            tests[n] =
                (struct CMUnitTest){names[n], model_test, NULL, NULL, &cfg[n]};
            n++;
        }
    }
    if (getenv("CAPHEAP_TEST_FILTER"))
        cmocka_set_test_filter(getenv("CAPHEAP_TEST_FILTER"));
    print_message("caps model: %ld operations per run, %u runs (scale %g)\n",
                  ops_per_run(), n, ts_scale());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
