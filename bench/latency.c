/*
 * latency.c - wall-clock time of each allocator call (clock_gettime around
 * the call). Noisy on a shared VM; instruction counts are the figures to
 * compare.
 */
#define _GNU_SOURCE
#include <time.h>

#include "host.h"
#include "opstats.h"

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t since(uint64_t t0) {
    uint64_t d = now_ns() - t0;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static inline void touch(void *p, uint32_t size) {
    unsigned char *c = p;
    c[0] = 1;
    c[size - 1] = 2;
}

int bench_latency(const bench_trace_t *t, const bench_alloc_t *a, void **ptrs,
                  FILE *out) {
    opstats_t s = {{0}, {0}, {0}};
    bench_result_t r;
    if (opstats_reserve(&s, t->count) != 0)
        return -1;
    /* One untimed pass first: page faults and cold caches out. */
    bench_drv_replay(t, a, 0, ptrs, false, &r);
    for (uint32_t i = 0; i < t->nids; i++)
        ptrs[i] = NULL;
    for (size_t i = 0; i < t->nops; i++) {
        bench_op_t op = t->ops[i];
        uint32_t id = op_id(op);
        uint64_t t0;
        void *p;
        switch (op_kind(op)) {
        case OP_ALLOC:
            t0 = now_ns();
            p = a->alloc(a->ctx, op.size);
            opstats_add(&s, OP_ALLOC, since(t0));
            if (p)
                touch(p, op.size);
            ptrs[id] = p;
            break;
        case OP_FREE:
            if (!ptrs[id])
                break;
            t0 = now_ns();
            a->free(a->ctx, ptrs[id]);
            opstats_add(&s, OP_FREE, since(t0));
            ptrs[id] = NULL;
            break;
        default:
            if (!ptrs[id])
                break;
            t0 = now_ns();
            p = a->realloc(a->ctx, ptrs[id], op.size);
            opstats_add(&s, OP_REALLOC, since(t0));
            if (p) {
                touch(p, op.size);
                ptrs[id] = p;
            }
            break;
        }
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "ns.%s.%s", t->key, a->name);
    opstats_print(&s, prefix, out);
    opstats_free(&s);
    return 0;
}
