/*
 * opstats.h - per-operation instruction counts and their distribution
 * (shared by the ptrace counter and the qemu-log counter, hosted only).
 */
#ifndef BENCH_OPSTATS_H
#define BENCH_OPSTATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

typedef struct {
    uint32_t *v[OP_KINDS]; /* one count per call, in call order */
    size_t n[OP_KINDS];
    size_t cap[OP_KINDS];
} opstats_t;

/** Make room for @p n[k] calls of each kind up front, so that recording
 * allocates nothing while an allocator is being measured; -1 if out of
 * memory. */
int opstats_reserve(opstats_t *s, const size_t n[OP_KINDS]);

/** Record @p count instructions for a call of kind @p kind; -1 if out of
 * memory. */
int opstats_add(opstats_t *s, unsigned kind, uint32_t count);

/**
 * Print one line for all calls and one per kind:
 *   <prefix>.<kind> n=<calls> sum=<total> p50=.. p99=.. p999=.. max=..
 *                   tn=.. tsum=..
 * Percentiles are nearest-rank; tsum is the sum of the lowest tn values (all
 * but the top 0.1 %). Sorts the series in place.
 */
void opstats_print(opstats_t *s, const char *prefix, FILE *f);

void opstats_free(opstats_t *s);

#endif /* BENCH_OPSTATS_H */
