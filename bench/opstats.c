/*
 * opstats.c - distribution of per-operation instruction counts.
 */
#include "opstats.h"

#include <stdlib.h>
#include <string.h>

static int grow(opstats_t *s, unsigned kind, size_t cap) {
    uint32_t *v = realloc(s->v[kind], cap * sizeof *v);
    if (!v)
        return -1;
    s->v[kind] = v;
    s->cap[kind] = cap;
    return 0;
}

int opstats_reserve(opstats_t *s, const size_t n[OP_KINDS]) {
    for (unsigned k = 0; k < OP_KINDS; k++)
        if (n[k] > s->cap[k] && grow(s, k, n[k]) != 0)
            return -1;
    return 0;
}

int opstats_add(opstats_t *s, unsigned kind, uint32_t count) {
    if (s->n[kind] == s->cap[kind] &&
        grow(s, kind, s->cap[kind] ? 2 * s->cap[kind] : 4096) != 0)
        return -1;
    s->v[kind][s->n[kind]++] = count;
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least q/1000 of all values at
 * or below it. */
static uint32_t rank(const uint32_t *v, size_t n, unsigned q) {
    size_t r = (n * q + 999) / 1000;
    return v[r ? r - 1 : 0];
}

static void line(FILE *f, const char *prefix, const char *name, uint32_t *v,
                 size_t n) {
    unsigned long long sum = 0, tsum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    fprintf(f, "%s.%s n=%zu sum=%llu", prefix, name, n, sum);
    if (n) {
        qsort(v, n, sizeof *v, cmp_u32);
        /* The sum without the top 0.1 %: one preemption in a million
         * timed calls would otherwise move a mean of latencies. */
        size_t tn = (n * 999 + 999) / 1000;
        for (size_t i = 0; i < tn; i++)
            tsum += v[i];
        fprintf(f, " p50=%u p99=%u p999=%u max=%u tn=%zu tsum=%llu",
                (unsigned)rank(v, n, 500), (unsigned)rank(v, n, 990),
                (unsigned)rank(v, n, 999), (unsigned)v[n - 1], tn, tsum);
    }
    fprintf(f, "\n");
}

void opstats_print(opstats_t *s, const char *prefix, FILE *f) {
    static const char *const names[OP_KINDS] = {"alloc", "free", "realloc"};
    size_t total = 0;
    for (unsigned k = 0; k < OP_KINDS; k++)
        total += s->n[k];
    uint32_t *all = malloc((total ? total : 1) * sizeof *all);
    size_t m = 0;
    for (unsigned k = 0; k < OP_KINDS && all; k++) {
        if (s->n[k])
            memcpy(all + m, s->v[k], s->n[k] * sizeof *all);
        m += s->n[k];
    }
    if (all)
        line(f, prefix, "all", all, m);
    free(all);
    for (unsigned k = 0; k < OP_KINDS; k++)
        line(f, prefix, names[k], s->v[k], s->n[k]);
}

void opstats_free(opstats_t *s) {
    for (unsigned k = 0; k < OP_KINDS; k++)
        free(s->v[k]);
    memset(s, 0, sizeof *s);
}
