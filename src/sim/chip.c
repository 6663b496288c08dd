/*
 * chip.c - a chip's description as the host simulation places it.
 *
 * A host cannot map the lowest addresses (vm.mmap_min_addr), where some
 * chips keep RAM (the STM32H743's ITCM at 0). Regions starting there move up
 * by CAPHEAP_SIM_LOW_OFFSET, and everything inside them moves along.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>

#include "sim_internal.h"

#define SIM_MAX_REGIONS  128
#define SIM_MAX_RESERVED 64
#define SIM_MAX_COPIES   4

typedef struct {
    const capheap_chip_t *of;
    capheap_chip_t chip;
    capheap_region_desc_t regions[SIM_MAX_REGIONS];
    capheap_reserved_t reserved[SIM_MAX_RESERVED];
    capheap_alias_t aliases[SIM_MAX_WINDOWS];
} copy_t;

static copy_t copies[SIM_MAX_COPIES];
static size_t copy_count;

static bool low(uintptr_t a) {
    return a < CAPHEAP_SIM_LOW_LIMIT;
}

/* The region starting below the limit that holds @p a, or NULL. */
static const capheap_region_desc_t *low_region(const capheap_chip_t *chip,
                                               uintptr_t a) {
    for (size_t i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *r = &chip->regions[i];
        if (low(r->start) && a - r->start < r->size)
            return r;
    }
    return NULL;
}

static bool moves(const capheap_chip_t *chip, uintptr_t a) {
    return low(a) || low_region(chip, a);
}

static bool needs_copy(const capheap_chip_t *chip) {
    for (size_t i = 0; i < chip->region_count; i++) {
        if (low(chip->regions[i].start))
            return true;
    }
    for (size_t i = 0; i < chip->alias_count; i++) {
        if (low(chip->aliases[i].dram_lo) || low(chip->aliases[i].iram_lo))
            return true;
    }
    return false;
}

uintptr_t capheap_sim_addr(const capheap_chip_t *chip, uintptr_t addr) {
    if (!chip || !needs_copy(chip) || !moves(chip, addr))
        return addr;
    return addr + CAPHEAP_SIM_LOW_OFFSET;
}

/* An optional address (0: none) moves if what it points at does. */
static uintptr_t point(const capheap_chip_t *chip, uintptr_t a) {
    return a && moves(chip, a) ? a + CAPHEAP_SIM_LOW_OFFSET : a;
}

static void sort_regions(capheap_region_desc_t *r, size_t n) {
    for (size_t i = 1; i < n; i++) {
        capheap_region_desc_t x = r[i];
        size_t j = i;
        for (; j > 0 && r[j - 1].start > x.start; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* A moved range [s, e) must not land on a range that stayed. */
static bool collides(const copy_t *c, uintptr_t s, uintptr_t e) {
    const capheap_chip_t *o = c->of;
    for (size_t i = 0; i < o->region_count; i++) {
        const capheap_region_desc_t *r = &o->regions[i];
        if (!moves(o, r->start) && s < r->start + r->size && r->start < e)
            return true;
    }
    for (size_t i = 0; i < o->alias_count; i++) {
        const capheap_alias_t *w = &o->aliases[i];
        size_t len = w->dram_hi - w->dram_lo;
        if ((!moves(o, w->dram_lo) && s < w->dram_hi && w->dram_lo < e) ||
            (!moves(o, w->iram_lo) && s < w->iram_lo + len && w->iram_lo < e))
            return true;
    }
    return false;
}

static bool fill(copy_t *c) {
    const capheap_chip_t *o = c->of;
    c->chip = *o;
    for (size_t i = 0; i < o->region_count; i++) {
        capheap_region_desc_t r = o->regions[i];
        if (moves(o, r.start)) {
            r.start += CAPHEAP_SIM_LOW_OFFSET;
            if (collides(c, r.start, r.start + r.size))
                return false;
        }
        c->regions[i] = r;
    }
    sort_regions(c->regions, o->region_count);
    for (size_t i = 0; i < o->reserved_count; i++) {
        capheap_reserved_t r = o->reserved[i];
        if (moves(o, r.start)) {
            r.start += CAPHEAP_SIM_LOW_OFFSET;
            r.end += CAPHEAP_SIM_LOW_OFFSET;
        }
        c->reserved[i] = r;
    }
    for (size_t i = 0; i < o->alias_count; i++) {
        capheap_alias_t w = o->aliases[i];
        size_t len = w.dram_hi - w.dram_lo;
        if (moves(o, w.dram_lo)) {
            w.dram_lo += CAPHEAP_SIM_LOW_OFFSET;
            w.dram_hi += CAPHEAP_SIM_LOW_OFFSET;
            if (collides(c, w.dram_lo, w.dram_hi))
                return false;
        }
        if (moves(o, w.iram_lo)) {
            w.iram_lo += CAPHEAP_SIM_LOW_OFFSET;
            if (collides(c, w.iram_lo, w.iram_lo + len))
                return false;
        }
        c->aliases[i] = w;
    }
    /* The DMA range moves only if it lies inside one moved region: a range
     * reaching beyond it cannot follow. */
    const capheap_region_desc_t *r = low_region(o, o->dma_lo);
    if (r && o->dma_hi > o->dma_lo && o->dma_hi - r->start <= r->size) {
        c->chip.dma_lo += CAPHEAP_SIM_LOW_OFFSET;
        c->chip.dma_hi += CAPHEAP_SIM_LOW_OFFSET;
    }
    c->chip.app_dram_start = point(o, o->app_dram_start);
    c->chip.app_dram_start_bt = point(o, o->app_dram_start_bt);
    c->chip.app_iram_start = point(o, o->app_iram_start);
    c->chip.regions = c->regions;
    c->chip.reserved = c->reserved;
    c->chip.aliases = c->aliases;
    return true;
}

const capheap_chip_t *capheap_sim_chip(const capheap_chip_t *chip) {
    if (!chip)
        return NULL;
    if (!needs_copy(chip))
        return chip;
    for (size_t i = 0; i < copy_count; i++) {
        if (copies[i].of == chip)
            return &copies[i].chip;
    }
    if (chip->region_count > SIM_MAX_REGIONS ||
        chip->reserved_count > SIM_MAX_RESERVED ||
        chip->alias_count > SIM_MAX_WINDOWS || copy_count == SIM_MAX_COPIES) {
        fprintf(stderr,
                "capheap sim: cannot move %s's low memory: more regions, "
                "reservations, windows or chips than the tables hold\n",
                chip->name);
        return NULL;
    }
    copy_t *c = &copies[copy_count];
    c->of = chip;
    if (!fill(c)) {
        fprintf(stderr,
                "capheap sim: %s's memory below %#" PRIxPTR
                " would land on other memory of the chip when moved up by "
                "%#" PRIxPTR "\n",
                chip->name, (uintptr_t)CAPHEAP_SIM_LOW_LIMIT,
                (uintptr_t)CAPHEAP_SIM_LOW_OFFSET);
        return NULL;
    }
    copy_count++;
    return &c->chip;
}
