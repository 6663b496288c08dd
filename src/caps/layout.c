/*
 * layout.c - from a chip description to the regions that become heaps.
 *
 * Freestanding: works on arrays on the stack, allocates nothing.
 */
#include "layout.h"

typedef struct {
    uintptr_t start, end;
    const char *name;
} resv_t;

static void sort_resv(resv_t *r, size_t n) {
    for (size_t i = 1; i < n; i++) {
        resv_t x = r[i];
        size_t j = i;
        for (; j > 0 && r[j - 1].start > x.start; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

static capheap_err_t add_resv(resv_t *r, size_t *n, uintptr_t start,
                              uintptr_t end, const char *name) {
    if (end < start)
        return CAPHEAP_ERR_INVALID_ARG;
    if (end == start)
        return CAPHEAP_OK;
    if (*n == CAPHEAP_LAYOUT_MAX_RESERVED)
        return CAPHEAP_ERR_INVALID_ARG;
    /* Whole words: what the hardware and the heap can cut at. */
    r[*n].start = start & ~(uintptr_t)3;
    r[*n].end = (end + 3) & ~(uintptr_t)3;
    r[*n].name = name;
    (*n)++;
    return CAPHEAP_OK;
}

static capheap_err_t collect(const capheap_chip_t *chip,
                             const capheap_chip_options_t *opts,
                             const capheap_caps_reservation_t *extra,
                             size_t extra_count, resv_t *r, size_t *n) {
    capheap_err_t err = CAPHEAP_OK;
    for (size_t i = 0; i < chip->reserved_count && !err; i++) {
        const capheap_reserved_t *c = &chip->reserved[i];
        if (capheap_layout_selected(opts->flags, c->when, c->unless))
            err = add_resv(r, n, c->start, c->end, c->name);
    }
    uintptr_t dstart = chip->app_dram_start;
    if ((opts->flags & CAPHEAP_OPT_BT) && chip->app_dram_start_bt)
        dstart = chip->app_dram_start_bt;
    if (opts->app_dram_start)
        dstart = opts->app_dram_start;
    uintptr_t dend =
        opts->app_dram_end ? opts->app_dram_end : dstart + chip->app_dram_size;
    uintptr_t iend = opts->app_iram_end
                         ? capheap_caps_iram_to_dram(chip, opts->app_iram_end)
                         : chip->app_iram_start + chip->app_iram_size;
    if (!err && dstart)
        err = add_resv(r, n, dstart, dend, "application .data/.bss");
    if (!err && chip->app_iram_start)
        err =
            add_resv(r, n, chip->app_iram_start, iend, "application IRAM code");
    for (size_t i = 0; i < extra_count && !err; i++)
        err = add_resv(r, n, extra[i].start, extra[i].end, extra[i].name);
    return err;
}

static capheap_err_t emit(capheap_avail_t *out, size_t cap, size_t *count,
                          uintptr_t start, uintptr_t end, uint8_t type,
                          bool startup) {
    if (end - start < CAPHEAP_LAYOUT_MIN_PIECE)
        return CAPHEAP_OK;
    if (*count) {
        capheap_avail_t *last = &out[*count - 1];
        if (last->end == start && last->type == type &&
            last->startup_stack == startup) {
            last->end = end;
            return CAPHEAP_OK;
        }
    }
    if (*count == cap)
        return CAPHEAP_ERR_NO_SLOT;
    out[*count] = (capheap_avail_t){start, end, type, startup};
    (*count)++;
    return CAPHEAP_OK;
}

capheap_err_t capheap_layout_build(const capheap_chip_t *chip,
                                   const capheap_chip_options_t *opts,
                                   const capheap_caps_reservation_t *extra,
                                   size_t extra_count, capheap_avail_t *out,
                                   size_t cap, size_t *count,
                                   const char **bad_out) {
    resv_t r[CAPHEAP_LAYOUT_MAX_RESERVED];
    size_t n = 0;
    *count = 0;
    if (bad_out)
        *bad_out = NULL;
    capheap_err_t err = collect(chip, opts, extra, extra_count, r, &n);
    if (err)
        return err;
    sort_resv(r, n);
    for (size_t i = 1; i < n; i++) {
        if (r[i].start < r[i - 1].end) {
            if (bad_out)
                *bad_out = r[i].name;
            return CAPHEAP_ERR_OVERLAP;
        }
    }
    for (size_t i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *d = &chip->regions[i];
        if (!capheap_layout_selected(opts->flags, d->when, d->unless))
            continue;
        if (d->type >= chip->type_count)
            return CAPHEAP_ERR_INVALID_ARG;
        size_t size = d->size;
        if ((d->when & CAPHEAP_OPT_PSRAM) && opts->psram_size &&
            opts->psram_size < size)
            size = opts->psram_size;
        uintptr_t pos = d->start, end = d->start + size;
        /* Reservations are sorted and disjoint: one pass cuts the region. */
        for (size_t k = 0; k < n && pos < end && !err; k++) {
            if (r[k].end <= pos || r[k].start >= end)
                continue;
            if (r[k].start > pos)
                err = emit(out, cap, count, pos, r[k].start, d->type,
                           d->startup_stack);
            pos = r[k].end;
        }
        if (!err && pos < end)
            err = emit(out, cap, count, pos, end, d->type, d->startup_stack);
        if (err)
            return err;
    }
    return CAPHEAP_OK;
}
