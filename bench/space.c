/*
 * space.c - space figures and the smallest-arena search (see space.h).
 *
 * Only capheap's public API is used: what a block costs is read from the
 * drop in free bytes and from the walk, not from the private layout.
 */
#include "space.h"

#include "capheap/heap.h"
#include "out.h"

#define SPACE_REGION ((size_t)64 * 1024)
#define SPACE_COUNT  64u

static void line(const char *key, uint64_t v) {
    out_s("space.");
    out_s(key);
    out_s(" ");
    out_u(v);
    out_s("\n");
}

static void line_n(const char *key, uint64_t n, uint64_t v) {
    out_s("space.");
    out_s(key);
    out_u(n);
    out_s(" ");
    out_u(v);
    out_s("\n");
}

/* A fresh heap with one SPACE_REGION region at the start of the arena. */
static capheap_heap_t *fresh(void) {
    bench_alloc_t a;
    return bench_capheap_open(&a, SPACE_REGION) ? bench_capheap_heap() : 0;
}

static size_t free_bytes(capheap_heap_t *h) {
    capheap_stats_t st;
    capheap_heap_stats(h, &st);
    return st.free_bytes;
}

/* Bytes of region one allocation of @p n bytes takes, from the drop in free
 * bytes over SPACE_COUNT allocations; 0 if that does not agree with the
 * distance between consecutive blocks (either direction: the core may
 * carve from either end of a free block). */
static size_t consumed(size_t n) {
    capheap_heap_t *h = fresh();
    if (!h)
        return 0;
    size_t before = free_bytes(h);
    uintptr_t prev = 0;
    size_t step = 0;
    for (unsigned i = 0; i < SPACE_COUNT; i++) {
        uintptr_t p = (uintptr_t)capheap_heap_alloc(h, 0, n);
        if (!p)
            return 0;
        if (prev) {
            size_t d = (size_t)(p > prev ? p - prev : prev - p);
            if (step && d != step)
                return 0;
            step = d;
        }
        prev = p;
    }
    size_t per = (before - free_bytes(h)) / SPACE_COUNT;
    return per == step ? per : 0;
}

typedef struct {
    unsigned n;
    capheap_block_info_t b[4];
} blocks_t;

static bool collect(const capheap_block_info_t *b, void *user) {
    blocks_t *bs = user;
    if (bs->n < 4)
        bs->b[bs->n] = *b;
    bs->n++;
    return true;
}

int bench_space_report(void) {
    static const size_t sizes[] = {1, 8, 32};
    size_t header = (size_t)-1;
    for (size_t n = 1; n <= 256; n++) {
        size_t c = consumed(n);
        if (!c)
            return -1;
        if (c - n < header)
            header = c - n;
    }
    line("alignment", CAPHEAP_ALIGNMENT);
    line("pointer", sizeof(void *));
    line("header", header);
    for (unsigned i = 0; i < 3; i++)
        line_n("consumed.", sizes[i], consumed(sizes[i]));

    /* The 64 KiB heap right after init: | pad | control | free | end |. */
    capheap_heap_t *h = fresh();
    capheap_region_info_t ri;
    capheap_stats_t st;
    blocks_t bs = {0};
    if (!h || capheap_heap_region_info(h, 0, &ri) != CAPHEAP_OK)
        return -1;
    capheap_heap_stats(h, &st);
    capheap_heap_walk(h, collect, &bs);
    if (bs.n != 2 || !bs.b[0].control || bs.b[1].used)
        return -1;
    const char *buf = (const char *)bench_arena();
    size_t lead = (size_t)((const char *)ri.start - buf);
    size_t ctl = (size_t)((char *)bs.b[1].ptr - (char *)bs.b[0].ptr);
    size_t fblock = st.free_bytes + header;
    size_t tail = SPACE_REGION - lead - ctl - fblock;
    size_t object = CAPHEAP_HEAP_STORAGE_SIZE(1, 1);
    line("heap_object", object);
    line("region", SPACE_REGION);
    line("lead_pad", lead);
    line("control_block", ctl);
    line("free_block", fblock);
    line("end_marker_and_tail", tail);
    line("region_loss", SPACE_REGION - fblock);
    line("control_total", object + SPACE_REGION - fblock);
    line("usable_after_init", st.free_bytes);
    line("largest_after_init", st.largest_free_block);
    out_flush();
    return 0;
}

static bool fits(const bench_trace_t *t, void **ptrs, size_t arena) {
    bench_alloc_t a;
    bench_result_t r;
    if (!bench_capheap_open(&a, arena))
        return false;
    bench_drv_replay(t, &a, 0, ptrs, true, &r);
    return r.fails == 0;
}

size_t bench_fit(const bench_trace_t *t, void **ptrs) {
    const size_t g = 8;
    size_t lo = t->peak_live_bytes / g * g; /* cannot hold peak live */
    size_t hi = t->arena;
    while (!fits(t, ptrs, hi)) {
        if (hi >= BENCH_ARENA_MAX)
            return 0;
        hi *= 2;
    }
    while (hi - lo > g) {
        size_t mid = (lo + (hi - lo) / 2) / g * g;
        if (fits(t, ptrs, mid))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

void bench_fit_report(const bench_trace_t *t, void **ptrs) {
    bench_alloc_t a;
    bench_result_t r = {{0}, 0};
    if (bench_capheap_open(&a, t->arena))
        bench_drv_replay(t, &a, 0, ptrs, false, &r);
    size_t best = bench_fit(t, ptrs);
    out_s("fit.");
    out_s(t->key);
    out_s(" ");
    out_u(best);
    out_s(" ");
    out_u(t->peak_live_bytes);
    out_s(" ");
    out_ratio(best, t->peak_live_bytes);
    out_s(" ");
    out_u(r.fails);
    out_s("\n");
    out_flush();
}
