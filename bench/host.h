/*
 * host.h - the parts of the benchmark that need a Linux host: glibc as the
 * reference allocator, a null allocator, the ptrace instruction counter and
 * latencies.
 */
#ifndef BENCH_HOST_H
#define BENCH_HOST_H

#include <stdio.h>

#include "driver.h"

/** glibc malloc/free/realloc (warmed up by one malloc/free pair). */
void bench_glibc_open(bench_alloc_t *a);

/** Does nothing; returns a static buffer. The baseline for latencies. */
void bench_null_open(bench_alloc_t *a);

/**
 * Replay the first @p nops operations of @p t in a child stopped at every
 * begin marker and single-stepped to the end marker; print the
 * distribution of instructions executed outside the driver ("steps.*"
 * lines, see opstats.h). Linux x86-64 and i386 only. 0 on success.
 */
int bench_opcount(const bench_trace_t *t, const bench_alloc_t *a, size_t nops,
                  void **ptrs, FILE *out);

/** Time every allocator call with clock_gettime, after one untimed pass
 * ("ns.<trace>.<alloc>.*" lines). */
int bench_latency(const bench_trace_t *t, const bench_alloc_t *a, void **ptrs,
                  FILE *out);

#endif /* BENCH_HOST_H */
