/*
 * out_host.c - out.h over stdio, and bench_mem() over mmap so that the
 * benchmark's own memory never comes from glibc's heap (the reference).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "out.h"
#include "trace.h"

void out_s(const char *s) {
    fputs(s, stdout);
}

void out_u(uint64_t v) {
    printf("%llu", (unsigned long long)v);
}

void out_ratio(uint64_t num, uint64_t den) {
    uint64_t m = den ? (num * 1000 + den / 2) / den : 0;
    printf("%llu.%03llu", (unsigned long long)(m / 1000),
           (unsigned long long)(m % 1000));
}

void out_flush(void) {
    fflush(stdout);
}

void *bench_mem(size_t bytes) {
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
