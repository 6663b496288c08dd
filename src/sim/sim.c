/*
 * sim.c - back a chip's RAM with host memory at the chip's addresses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capheap/sim.h"

#define MAX_MAPS 64

typedef struct {
    uintptr_t start, end;
} range_t;

static range_t maps[MAX_MAPS];
static size_t map_count;
static const capheap_chip_t *mapped_chip;

static uintptr_t page_down(uintptr_t a) {
    return a & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
}

static uintptr_t page_up(uintptr_t a) {
    uintptr_t p = (uintptr_t)sysconf(_SC_PAGESIZE);
    return (a + p - 1) & ~(p - 1);
}

/* Add [s, e) to a sorted set of disjoint page ranges, merging overlaps. */
static int add_range(range_t *r, size_t *n, uintptr_t s, uintptr_t e) {
    s = page_down(s);
    e = page_up(e);
    for (size_t i = 0; i < *n; i++) {
        if (s <= r[i].end && e >= r[i].start) {
            uintptr_t ns = s < r[i].start ? s : r[i].start;
            uintptr_t ne = e > r[i].end ? e : r[i].end;
            memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof *r);
            (*n)--;
            return add_range(r, n, ns, ne);
        }
    }
    if (*n == MAX_MAPS)
        return -1;
    size_t k = 0;
    while (k < *n && r[k].start < s)
        k++;
    memmove(&r[k + 1], &r[k], (*n - k) * sizeof *r);
    r[k] = (range_t){s, e};
    (*n)++;
    return 0;
}

static int map_fixed(uintptr_t s, uintptr_t e) {
    void *p = mmap((void *)s, e - s, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uintptr_t)p != s) {
        if (p != MAP_FAILED)
            munmap(p, e - s);
        fprintf(stderr,
                "capheap sim: cannot map %#lx-%#lx at the chip's address: %s\n",
                (unsigned long)s, (unsigned long)e,
                p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
        return -1;
    }
    return 0;
}

void capheap_sim_unmap(void) {
    for (size_t i = 0; i < map_count; i++)
        munmap((void *)maps[i].start, maps[i].end - maps[i].start);
    map_count = 0;
    mapped_chip = NULL;
}

capheap_err_t capheap_sim_map(const capheap_chip_t *chip,
                              const capheap_chip_options_t *opts) {
    static const capheap_chip_options_t none = {0, 0, 0, 0};
    if (!chip)
        return CAPHEAP_ERR_INVALID_ARG;
    if (!opts)
        opts = &none;
    if (mapped_chip == chip)
        return CAPHEAP_OK;
    capheap_sim_unmap();
    range_t want[MAX_MAPS];
    size_t n = 0;
    for (size_t i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *d = &chip->regions[i];
        if ((opts->flags & d->when) != d->when || (opts->flags & d->unless))
            continue;
        if (add_range(want, &n, d->start, d->start + d->size))
            return CAPHEAP_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < chip->alias_count; i++) {
        const capheap_alias_t *w = &chip->aliases[i];
        if (add_range(want, &n, w->dram_lo, w->dram_hi) ||
            add_range(want, &n, w->iram_lo,
                      w->iram_lo + (w->dram_hi - w->dram_lo)))
            return CAPHEAP_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        if (map_fixed(want[i].start, want[i].end)) {
            capheap_sim_unmap();
            return CAPHEAP_ERR_OVERLAP;
        }
        maps[map_count++] = want[i];
    }
    mapped_chip = chip;
    return CAPHEAP_OK;
}
