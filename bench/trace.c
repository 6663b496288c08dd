/*
 * trace.c - deterministic allocation traces (see trace.h).
 *
 * Integer arithmetic only: no floating point, no libm, so a 32-bit build, a
 * 64-bit build and a freestanding build produce the same operations.
 */
#include "trace.h"

/* ---- random numbers (splitmix64) -------------------------------------- */

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [0, n): the high 32 bits scaled, so no modulo bias worth
 * mentioning and no 64-bit division on 32-bit targets. */
static uint32_t rng_below(uint64_t *s, uint32_t n) {
    return (uint32_t)(((rng_next(s) >> 32) * n) >> 32);
}

/* Log-uniform in [2^lo, 2^hi): density proportional to 1/x. An octave is
 * picked uniformly, then x uniformly in it, kept with probability 2^k / x. */
static uint32_t draw_log(uint64_t *s, unsigned lo, unsigned hi) {
    for (;;) {
        unsigned k = lo + rng_below(s, hi - lo);
        uint32_t base = (uint32_t)1 << k;
        uint32_t x = base + rng_below(s, base);
        if (rng_below(s, x) < base)
            return x;
    }
}

/* Power law in [16, 16384): density proportional to x^-1.5. A log-uniform x
 * is kept with probability sqrt(16 / x), i.e. when u^2 * x < 2^32 * 16 for u
 * uniform in [0, 2^16). */
static uint32_t draw_power(uint64_t *s) {
    for (;;) {
        uint32_t x = draw_log(s, 4, 14);
        uint64_t u = rng_below(s, 1u << 16);
        if (u * u * x < ((uint64_t)16 << 32))
            return x;
    }
}

/* ---- generator state -------------------------------------------------- */

typedef struct {
    uint64_t rng;
    bench_op_t *ops; /* NULL while counting */
    size_t n, max;
    int full;
    uint32_t cap;     /* most blocks live at once */
    uint32_t *live;   /* live ids, dense, for picking one at random */
    uint32_t *pos;    /* id -> index in live[] */
    uint32_t *sizes;  /* id -> requested size */
    uint32_t *unused; /* stack of free ids, lowest on top */
    uint32_t nunused, nlive, nids;
    uint64_t *heap; /* power trace: (death << 32 | id), a min-heap */
    uint32_t nheap;
    uint32_t *order; /* ramp trace: live ids in allocation order */
    size_t live_bytes, peak_bytes;
    uint32_t peak_blocks;
    size_t count[OP_KINDS];
} gen_t;

static void emit(gen_t *g, unsigned kind, uint32_t id, uint32_t size) {
    if (g->n >= g->max) {
        g->full = 1;
        return;
    }
    if (g->ops) {
        g->ops[g->n].idk = (uint32_t)kind << 30 | id;
        g->ops[g->n].size = size;
    }
    g->n++;
    g->count[kind]++;
}

static void note_peak(gen_t *g) {
    if (g->live_bytes > g->peak_bytes)
        g->peak_bytes = g->live_bytes;
    if (g->nlive > g->peak_blocks)
        g->peak_blocks = g->nlive;
}

static uint32_t gen_alloc(gen_t *g, uint32_t size) {
    uint32_t id = g->unused[--g->nunused];
    if (id + 1 > g->nids)
        g->nids = id + 1;
    g->pos[id] = g->nlive;
    g->live[g->nlive++] = id;
    g->sizes[id] = size;
    g->live_bytes += size;
    note_peak(g);
    emit(g, OP_ALLOC, id, size);
    return id;
}

static void gen_free(gen_t *g, uint32_t id) {
    uint32_t i = g->pos[id];
    uint32_t last = g->live[--g->nlive];
    g->live[i] = last;
    g->pos[last] = i;
    g->unused[g->nunused++] = id;
    g->live_bytes -= g->sizes[id];
    emit(g, OP_FREE, id, 0);
}

static void gen_realloc(gen_t *g, uint32_t id, uint32_t size) {
    g->live_bytes = g->live_bytes - g->sizes[id] + size;
    g->sizes[id] = size;
    note_peak(g);
    emit(g, OP_REALLOC, id, size);
}

static uint32_t random_live(gen_t *g) {
    return g->live[rng_below(&g->rng, g->nlive)];
}

static void drain_random(gen_t *g) {
    while (g->nlive && !g->full)
        gen_free(g, random_live(g));
}

/* ---- the traces ------------------------------------------------------- */

#define KIB      1024u
#define MAIN_OPS 1000000u

/* (a) live count hovers around 150: below it allocate with probability 3/4,
 * at or above it with probability 1/4. */
static void gen_steady(gen_t *g) {
    while (g->n < MAIN_OPS && !g->full) {
        uint32_t p = g->nlive < 150 ? 3 : 1;
        if (g->nlive == 0 || rng_below(&g->rng, 4) < p)
            gen_alloc(g, draw_log(&g->rng, 3, 10));
        else
            gen_free(g, random_live(g));
    }
    drain_random(g);
}

/* (b) 8..64 B objects; the live count climbs to 2000 (allocate with
 * probability 3/4) then falls to 200 (probability 1/4), again and again. */
static void gen_small(gen_t *g) {
    int growing = 1;
    while (g->n < MAIN_OPS && !g->full) {
        if (growing && g->nlive >= 2000)
            growing = 0;
        else if (!growing && g->nlive <= 200)
            growing = 1;
        uint32_t p = growing ? 3 : 1;
        if (g->nlive == 0 || rng_below(&g->rng, 4) < p)
            gen_alloc(g, 8 + rng_below(&g->rng, 57));
        else
            gen_free(g, random_live(g));
    }
    drain_random(g);
}

/* (c) fill to 70 % of the arena in allocation order, free every other block
 * (in allocation order), refill with fresh sizes; 20 rounds. A size that
 * would pass 70 % ends the fill and is dropped. */
static void ramp_fill(gen_t *g, uint32_t *n, size_t target) {
    while (!g->full) {
        uint32_t s = draw_log(&g->rng, 4, 12);
        if (g->live_bytes + s > target)
            return;
        g->order[(*n)++] = gen_alloc(g, s);
    }
}

static void gen_ramp(gen_t *g, size_t arena) {
    size_t target = arena / 10 * 7;
    uint32_t n = 0;
    ramp_fill(g, &n, target);
    for (int round = 0; round < 20 && !g->full; round++) {
        uint32_t kept = 0;
        for (uint32_t i = 0; i < n && !g->full; i++) {
            if (i % 2 == 0)
                gen_free(g, g->order[i]);
            else
                g->order[kept++] = g->order[i];
        }
        n = kept;
        ramp_fill(g, &n, target);
    }
    for (uint32_t i = 0; i < n && !g->full; i++)
        gen_free(g, g->order[i]);
}

static void heap_push(gen_t *g, uint64_t key) {
    uint32_t i = g->nheap++;
    while (i > 0 && g->heap[(i - 1) / 2] > key) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = key;
}

static uint64_t heap_pop(gen_t *g) {
    uint64_t top = g->heap[0];
    uint64_t last = g->heap[--g->nheap];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= g->nheap)
            break;
        if (c + 1 < g->nheap && g->heap[c + 1] < g->heap[c])
            c++;
        if (g->heap[c] >= last)
            break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    g->heap[i] = last;
    return top;
}

/* (d) power-law sizes, each block lives a log-uniform 1..2047 steps; one
 * step frees what is due, then allocates, or (5 %) reallocates a random live
 * block to a fresh size. Live bytes are capped at half the arena: blocks
 * closest to their death are freed early to make room. */
static void gen_power(gen_t *g, size_t arena) {
    size_t cap = arena / 2;
    uint64_t t = 0;
    while (g->n < MAIN_OPS && !g->full) {
        t++;
        while (g->nheap && (g->heap[0] >> 32) <= t && !g->full)
            gen_free(g, (uint32_t)heap_pop(g));
        uint32_t s = draw_power(&g->rng);
        if (g->nlive && rng_below(&g->rng, 100) < 5) {
            uint32_t id = random_live(g);
            if (g->live_bytes - g->sizes[id] + s <= cap) {
                gen_realloc(g, id, s);
                continue;
            }
        }
        uint64_t life = draw_log(&g->rng, 0, 11);
        while (g->live_bytes + s > cap && !g->full)
            gen_free(g, (uint32_t)heap_pop(g));
        uint32_t id = gen_alloc(g, s);
        heap_push(g, (t + life) << 32 | id);
    }
    while (g->nheap && !g->full)
        gen_free(g, (uint32_t)heap_pop(g));
}

/* ---- table ------------------------------------------------------------ */

typedef struct {
    const char *key;
    const char *title;
    size_t arena;
    uint32_t min_size;
    uint64_t seed;
} spec_t;

static const spec_t specs[] = {
    {"steady",
     "(a) steady state: sizes log-uniform 8..1023 B, ~150 live, 1,000,000 ops "
     "then drain",
     256 * KIB, 8, 0x5EED0001u},
    {"small",
     "(b) small objects: sizes uniform 8..64 B, live count 200..2000, "
     "1,000,000 ops then drain",
     256 * KIB, 8, 0x5EED0002u},
    {"ramp",
     "(c) fragmentation ramp: sizes log-uniform 16..4095 B, fill to 70 % of "
     "the arena, free every other block, refill; 20 rounds, then drain",
     1024 * KIB, 16, 0x5EED0003u},
    {"power",
     "(d) power law: sizes 16..16383 B with density ~ x^-1.5, lifetimes "
     "log-uniform 1..2047 steps, 5 % realloc, 1,000,000 ops then drain",
     1024 * KIB, 16, 0x5EED0004u},
};

int bench_trace_count(void) {
    return (int)(sizeof specs / sizeof specs[0]);
}

const char *bench_trace_key(int i) {
    return specs[i].key;
}

int bench_trace_find(const char *key) {
    for (int i = 0; i < bench_trace_count(); i++) {
        const char *a = specs[i].key, *b = key;
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a == *b)
            return i;
    }
    return -1;
}

static void gen_run(gen_t *g, int i) {
    switch (i) {
    case 0:
        gen_steady(g);
        break;
    case 1:
        gen_small(g);
        break;
    case 2:
        gen_ramp(g, specs[i].arena);
        break;
    default:
        gen_power(g, specs[i].arena);
        break;
    }
}

static void gen_reset(gen_t *g, const spec_t *sp, size_t max) {
    g->rng = sp->seed;
    g->n = 0;
    g->max = max;
    g->full = 0;
    g->nlive = 0;
    g->nids = 0;
    g->nheap = 0;
    g->live_bytes = 0;
    g->peak_bytes = 0;
    g->peak_blocks = 0;
    for (int k = 0; k < OP_KINDS; k++)
        g->count[k] = 0;
    g->nunused = g->cap;
    for (uint32_t k = 0; k < g->cap; k++)
        g->unused[k] = g->cap - 1 - k;
}

int bench_trace_make(int i, size_t max_ops, bench_trace_t *out) {
    const spec_t *sp = &specs[i];
    gen_t g = {0};
    g.cap = (uint32_t)(sp->arena / sp->min_size) + 1;
    g.live = bench_mem(g.cap * sizeof *g.live);
    g.pos = bench_mem(g.cap * sizeof *g.pos);
    g.sizes = bench_mem(g.cap * sizeof *g.sizes);
    g.unused = bench_mem(g.cap * sizeof *g.unused);
    g.heap = bench_mem(g.cap * sizeof *g.heap);
    g.order = bench_mem(g.cap * sizeof *g.order);
    if (!g.live || !g.pos || !g.sizes || !g.unused || !g.heap || !g.order)
        return -1;
    size_t max = max_ops ? max_ops : (size_t)-1;

    /* First pass counts the operations, the second stores them. */
    gen_reset(&g, sp, max);
    gen_run(&g, i);
    size_t n = g.n;
    g.ops = bench_mem((n ? n : 1) * sizeof *g.ops);
    if (!g.ops)
        return -1;
    gen_reset(&g, sp, max);
    gen_run(&g, i);

    out->key = sp->key;
    out->title = sp->title;
    out->arena = sp->arena;
    out->nops = g.n;
    out->ops = g.ops;
    out->nids = g.nids;
    out->peak_live_bytes = g.peak_bytes;
    out->peak_live_blocks = g.peak_blocks;
    for (int k = 0; k < OP_KINDS; k++)
        out->count[k] = g.count[k];
    out->complete = !g.full;
    return 0;
}

int bench_trace_from_header(const uint32_t hdr[4], size_t max_ops,
                            bench_trace_t *t) {
    if (hdr[0] != BENCH_TRACE_MAGIC || hdr[1] >= (uint32_t)bench_trace_count())
        return -1;
    /* The description without the operations: generate one. */
    if (bench_trace_make((int)hdr[1], 1, t) != 0)
        return -1;
    t->nops = max_ops && max_ops < hdr[2] ? max_ops : hdr[2];
    t->nids = hdr[3];
    /* Unknown without the whole trace. */
    t->peak_live_bytes = 0;
    t->peak_live_blocks = 0;
    for (int k = 0; k < OP_KINDS; k++)
        t->count[k] = 0;
    t->complete = t->nops == hdr[2];
    t->ops = bench_mem((t->nops ? t->nops : 1) * sizeof *t->ops);
    return t->ops ? 0 : -1;
}

uint32_t bench_trace_hash(const bench_trace_t *t) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < t->nops; i++) {
        uint32_t w[2] = {t->ops[i].idk, t->ops[i].size};
        for (int k = 0; k < 2; k++)
            for (int b = 0; b < 32; b += 8)
                h = (h ^ ((w[k] >> b) & 0xFFu)) * 16777619u;
    }
    return h;
}
