/*
 * check.c - replay a trace on capheap and verify what the allocator hands
 * out (see driver.h). Not a measurement: it guards the figures, on every
 * build including the freestanding one.
 */
#include "capheap/heap.h"
#include "driver.h"
#include "out.h"

#define CHECK_EVERY 1024u

/* Byte @p i of block @p id: differs between ids and along the block, so an
 * overlap or a stray write shows. */
static inline unsigned char pattern(uint32_t id, size_t i) {
    return (unsigned char)((id * 2654435761u >> 24) + i * 7u);
}

static void fill(unsigned char *p, uint32_t id, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(id, i);
}

static bool intact(const unsigned char *p, uint32_t id, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(id, i))
            return false;
    return true;
}

static const char *check_block(capheap_heap_t *h, const unsigned char *p,
                               size_t n, size_t arena) {
    const unsigned char *lo = bench_arena();
    if ((uintptr_t)p % CAPHEAP_ALIGNMENT != 0)
        return "misaligned block";
    if (p < lo || p + n > lo + arena)
        return "block outside the region";
    if (capheap_heap_usable_size(h, p) < n)
        return "usable size below the request";
    return 0;
}

static void report(const bench_trace_t *t, const char *what, size_t at,
                   size_t fails) {
    out_s("check.");
    out_s(t->key);
    if (what) {
        out_s(" FAILED at op ");
        out_u(at);
        out_s(": ");
        out_s(what);
    } else {
        out_s(" ok ops=");
        out_u(t->nops);
        out_s(" failed_allocs=");
        out_u(fails);
    }
    out_s("\n");
    out_flush();
}

int bench_check(const bench_trace_t *t, void **ptrs) {
    bench_alloc_t a;
    capheap_stats_t st0, st;
    capheap_check_report_t rep;
    uint32_t *sizes = bench_mem(t->nids * sizeof *sizes);
    const char *what = 0;
    size_t i = 0, live = 0, fails = 0;
    if (!sizes || !bench_capheap_open(&a, t->arena)) {
        report(t, "set-up", 0, 0);
        return -1;
    }
    capheap_heap_t *h = bench_capheap_heap();
    capheap_heap_stats(h, &st0);
    for (uint32_t k = 0; k < t->nids; k++)
        ptrs[k] = 0;
    for (; i < t->nops && !what; i++) {
        bench_op_t op = t->ops[i];
        uint32_t id = op_id(op);
        unsigned char *p = ptrs[id];
        switch (op_kind(op)) {
        case OP_ALLOC:
            p = capheap_heap_alloc(h, 0, op.size);
            if (!p) {
                fails++;
                break;
            }
            what = check_block(h, p, op.size, t->arena);
            fill(p, id, op.size);
            sizes[id] = op.size;
            ptrs[id] = p;
            live++;
            break;
        case OP_FREE:
            if (!p)
                break;
            if (!intact(p, id, sizes[id]))
                what = "block changed while live";
            capheap_heap_free(h, p);
            ptrs[id] = 0;
            live--;
            break;
        default: {
            if (!p)
                break;
            size_t keep = sizes[id] < op.size ? sizes[id] : op.size;
            if (!intact(p, id, sizes[id])) {
                what = "block changed while live";
                break;
            }
            unsigned char *q = capheap_heap_realloc(h, p, op.size);
            if (!q) {
                fails++;
                if (!intact(p, id, sizes[id]))
                    what = "failed realloc changed the block";
                break;
            }
            if (!intact(q, id, keep))
                what = "realloc lost the contents";
            else
                what = check_block(h, q, op.size, t->arena);
            fill(q, id, op.size);
            sizes[id] = op.size;
            ptrs[id] = q;
            break;
        }
        }
        if (!what && (i % CHECK_EVERY == 0 || i + 1 == t->nops)) {
            capheap_heap_stats(h, &st);
            if (capheap_heap_check(h, &rep) != CAPHEAP_OK)
                what = capheap_fault_str(rep.fault);
            else if (st.allocated_blocks != live)
                what = "allocated_blocks differs from the live count";
        }
    }
    if (!what && t->complete) {
        capheap_heap_stats(h, &st);
        if (st.free_bytes != st0.free_bytes ||
            st.largest_free_block != st0.largest_free_block ||
            st.free_blocks != st0.free_blocks)
            what = "drained heap differs from the fresh one";
    }
    report(t, what, i - 1, fails);
    return what ? -1 : 0;
}
