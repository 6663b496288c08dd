/*
 * layout.c - from a chip description to the regions that become heaps.
 *
 * Freestanding: allocates nothing and copies nothing. The reservations
 * (the chip's, the application's two, the caller's) are read in place
 * through one accessor; each region is cut in one sweep that takes the
 * lowest reservation still ahead of it. Tables are a few dozen entries, so
 * the repeated scans cost less than sorting a copy would in code.
 */
#include "layout.h"

typedef struct {
    const capheap_chip_t *chip;
    const capheap_chip_options_t *opts;
    const capheap_caps_reservation_t *extra;
    size_t count;                 /* chip's + 2 + extra */
    uintptr_t dstart, dend, iend; /* the application's */
} resv_src_t;

typedef struct {
    uintptr_t start, end;
} span_t;

/* Reservation @p i, in whole words (what the hardware and the heap cut
 * at); an unselected or empty one is {0, 0}, which touches nothing. false
 * if it ends before it starts. */
static bool resv_at(const resv_src_t *s, size_t i, span_t *r,
                    const char **name) {
    const capheap_chip_t *chip = s->chip;
    size_t nchip = chip->reserved_count;
    uintptr_t a = 0, b = 0;
    *name = "chip reservation";
    if (i < nchip) {
        const capheap_reserved_t *c = &chip->reserved[i];
        if (capheap_layout_selected(s->opts->flags, c->when, c->unless)) {
            a = c->start;
            b = c->end;
        }
    } else if (i == nchip) {
        if (s->dstart) {
            a = s->dstart;
            b = s->dend;
        }
        *name = "application .data/.bss";
    } else if (i == nchip + 1) {
        if (chip->app_iram_start) {
            a = chip->app_iram_start;
            b = s->iend;
        }
        *name = "application IRAM code";
    } else {
        a = s->extra[i - nchip - 2].start;
        b = s->extra[i - nchip - 2].end;
        *name = s->extra[i - nchip - 2].name;
    }
    *r = (span_t){0, 0};
    if (b < a)
        return false;
    if (b > a)
        *r = (span_t){a & ~(uintptr_t)3, (b + 3) & ~(uintptr_t)3};
    return true;
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
    resv_src_t s = {
        chip, opts, extra, (size_t)chip->reserved_count + 2 + extra_count,
        0,    0,    0};
    s.dstart = chip->app_dram_start;
    if ((opts->flags & CAPHEAP_OPT_BT) && chip->app_dram_start_bt)
        s.dstart = chip->app_dram_start_bt;
    if (opts->app_dram_start)
        s.dstart = opts->app_dram_start;
    s.dend = opts->app_dram_end ? opts->app_dram_end
                                : s.dstart + chip->app_dram_size;
    s.iend = opts->app_iram_end
                 ? capheap_caps_iram_to_dram(chip, opts->app_iram_end)
                 : chip->app_iram_start + chip->app_iram_size;
    *count = 0;
    if (bad_out)
        *bad_out = NULL;
    span_t r, q;
    const char *name, *other;
    /* All of them well formed first, then pairwise disjoint. */
    for (size_t i = 0; i < s.count; i++) {
        if (!resv_at(&s, i, &r, &name))
            return CAPHEAP_ERR_INVALID_ARG;
    }
    for (size_t i = 1; i < s.count; i++) {
        resv_at(&s, i, &r, &name);
        for (size_t j = 0; j < i; j++) {
            resv_at(&s, j, &q, &other);
            if (r.start < q.end && q.start < r.end) {
                if (bad_out)
                    *bad_out = name;
                return CAPHEAP_ERR_OVERLAP;
            }
        }
    }
    for (size_t k = 0; k < chip->region_count; k++) {
        const capheap_region_desc_t *d = &chip->regions[k];
        if (!capheap_layout_selected(opts->flags, d->when, d->unless))
            continue;
        if (d->type >= chip->type_count)
            return CAPHEAP_ERR_INVALID_ARG;
        size_t size = d->size;
        if ((d->when & CAPHEAP_OPT_PSRAM) && opts->psram_size &&
            opts->psram_size < size)
            size = opts->psram_size;
        uintptr_t pos = d->start, end = d->start + size;
        /* Disjoint reservations: the lowest one still ahead ends a piece. */
        for (;;) {
            span_t next = {end, end};
            for (size_t i = 0; i < s.count; i++) {
                resv_at(&s, i, &r, &name);
                if (r.end > pos && r.start < next.start)
                    next = r;
            }
            capheap_err_t err = CAPHEAP_OK;
            if (next.start > pos)
                err = emit(out, cap, count, pos, next.start, d->type,
                           d->startup_stack);
            if (err)
                return err;
            if (next.end >= end)
                break;
            pos = next.end;
        }
    }
    return CAPHEAP_OK;
}
