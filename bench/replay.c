/*
 * replay.c - the trace replays and the markers (see driver.h).
 *
 * Parts of the replay loops run between the markers, so the loops and the
 * markers live in the "bench_drv" section, whose instructions are not
 * counted; the two helpers run outside the markers. Freestanding: no libc.
 */
#include "driver.h"

/* Written by the markers so that no two of them are identical (identical
 * code folding would give them one address). */
volatile unsigned bench_drv_last_marker;

BENCH_DRV void bench_drv_mark_alloc(void) {
    bench_drv_last_marker = 1;
}
BENCH_DRV void bench_drv_mark_free(void) {
    bench_drv_last_marker = 2;
}
BENCH_DRV void bench_drv_mark_realloc(void) {
    bench_drv_last_marker = 3;
}
BENCH_DRV void bench_drv_mark_end(void) {
    bench_drv_last_marker = 4;
}

/* Write the first and last requested byte, as a program would; outside the
 * markers. */
static inline void touch(void *p, uint32_t size, uint32_t id) {
    unsigned char *c = p;
    c[0] = (unsigned char)id;
    c[size - 1] = (unsigned char)(id >> 8);
}

static inline void clear(void **ptrs, uint32_t n, bench_result_t *res) {
    for (uint32_t i = 0; i < n; i++)
        ptrs[i] = 0;
    for (int k = 0; k < OP_KINDS; k++)
        res->calls[k] = 0;
    res->fails = 0;
}

BENCH_DRV void bench_drv_replay(const bench_trace_t *t, const bench_alloc_t *a,
                                size_t nops, void **ptrs, bool stop_on_fail,
                                bench_result_t *res) {
    size_t n = nops && nops < t->nops ? nops : t->nops;
    clear(ptrs, t->nids, res);
    for (size_t i = 0; i < n; i++) {
        bench_op_t op = t->ops[i];
        uint32_t id = op_id(op);
        void *p;
        switch (op_kind(op)) {
        case OP_ALLOC:
            p = a->alloc(a->ctx, op.size);
            res->calls[OP_ALLOC]++;
            if (p)
                touch(p, op.size, id);
            else if (res->fails++, stop_on_fail)
                return;
            ptrs[id] = p;
            break;
        case OP_FREE:
            if (!ptrs[id])
                break;
            a->free(a->ctx, ptrs[id]);
            res->calls[OP_FREE]++;
            ptrs[id] = 0;
            break;
        default:
            if (!ptrs[id])
                break;
            p = a->realloc(a->ctx, ptrs[id], op.size);
            res->calls[OP_REALLOC]++;
            if (p) {
                touch(p, op.size, id);
                ptrs[id] = p;
            } else if (res->fails++, stop_on_fail) {
                return;
            }
            break;
        }
    }
}

BENCH_DRV void bench_drv_replay_marked(const bench_trace_t *t,
                                       const bench_alloc_t *a, size_t nops,
                                       void **ptrs, bench_result_t *res) {
    size_t n = nops && nops < t->nops ? nops : t->nops;
    clear(ptrs, t->nids, res);
    for (size_t i = 0; i < n; i++) {
        bench_op_t op = t->ops[i];
        uint32_t id = op_id(op);
        void *p;
        switch (op_kind(op)) {
        case OP_ALLOC:
            bench_drv_mark_alloc();
            p = a->alloc(a->ctx, op.size);
            bench_drv_mark_end();
            res->calls[OP_ALLOC]++;
            if (p)
                touch(p, op.size, id);
            else
                res->fails++;
            ptrs[id] = p;
            break;
        case OP_FREE:
            if (!ptrs[id])
                break;
            bench_drv_mark_free();
            a->free(a->ctx, ptrs[id]);
            bench_drv_mark_end();
            res->calls[OP_FREE]++;
            ptrs[id] = 0;
            break;
        default:
            if (!ptrs[id])
                break;
            bench_drv_mark_realloc();
            p = a->realloc(a->ctx, ptrs[id], op.size);
            bench_drv_mark_end();
            res->calls[OP_REALLOC]++;
            if (p) {
                touch(p, op.size, id);
                ptrs[id] = p;
            } else {
                res->fails++;
            }
            break;
        }
    }
}
