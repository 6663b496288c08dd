/*
 * sim.c - back a chip's RAM with host memory at the chip's addresses.
 *
 * A plan lists what the chip needs: plain page ranges (its regions, merged)
 * and alias windows. Linear windows are one memfd mapped at both addresses;
 * inverted windows are two private mappings kept coherent by fault.c. The
 * plan is kept so that mapping the same thing again is a no-op.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "caps/layout.h"
#include "sim_internal.h"

/* Plain ranges after merging; the ESP32 needs up to three. */
#define SIM_MAX_SPANS 64

typedef struct {
    uintptr_t start, end;
} span_t;

typedef struct {
    capheap_alias_kind_t kind;
    uintptr_t d, i; /* page-rounded sides */
    size_t len;
} window_t;

typedef struct {
    span_t plain[SIM_MAX_SPANS];
    size_t plain_count;
    window_t win[SIM_MAX_WINDOWS];
    size_t win_count;
} plan_t;

static plan_t current;
static bool mapped;
/* What is mapped, for unmapping: plain ranges plus two per window. */
static span_t maps[SIM_MAX_SPANS + 2 * SIM_MAX_WINDOWS];
static size_t map_count;

static size_t page(void) {
    return (size_t)sysconf(_SC_PAGESIZE);
}

static uintptr_t page_down(uintptr_t a) {
    return a & ~(uintptr_t)(page() - 1);
}

/* 0 when rounding up would wrap. */
static uintptr_t page_up(uintptr_t a) {
    return (a + page() - 1) & ~(uintptr_t)(page() - 1);
}

/* Add [s, e) to a sorted set of disjoint ranges, merging what touches. */
static int add_span(span_t *r, size_t *n, uintptr_t s, uintptr_t e) {
    for (size_t i = 0; i < *n; i++) {
        if (s <= r[i].end && e >= r[i].start) {
            uintptr_t ns = s < r[i].start ? s : r[i].start;
            uintptr_t ne = e > r[i].end ? e : r[i].end;
            memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof *r);
            (*n)--;
            return add_span(r, n, ns, ne);
        }
    }
    if (*n == SIM_MAX_SPANS)
        return -1;
    size_t k = 0;
    while (k < *n && r[k].start < s)
        k++;
    memmove(&r[k + 1], &r[k], (*n - k) * sizeof *r);
    r[k] = (span_t){s, e};
    (*n)++;
    return 0;
}

static capheap_err_t bad(const capheap_chip_t *chip, const char *what,
                         uintptr_t s, uintptr_t e) {
    fprintf(stderr, "capheap sim: %s: %s %#" PRIxPTR "-%#" PRIxPTR "\n",
            chip->name, what, s, e);
    return CAPHEAP_ERR_INVALID_ARG;
}

static capheap_err_t plan_windows(const capheap_chip_t *chip, plan_t *pl,
                                  span_t *sides, size_t *side_count) {
    uintptr_t pg = page();
    if (chip->alias_count > SIM_MAX_WINDOWS) {
        fprintf(stderr, "capheap sim: %s: more than %d alias windows\n",
                chip->name, SIM_MAX_WINDOWS);
        return CAPHEAP_ERR_INVALID_ARG;
    }
    for (size_t k = 0; k < chip->alias_count; k++) {
        const capheap_alias_t *w = &chip->aliases[k];
        if (w->dram_hi <= w->dram_lo ||
            w->iram_lo + (w->dram_hi - w->dram_lo) < w->iram_lo)
            return bad(chip, "empty or wrapping alias window", w->dram_lo,
                       w->dram_hi);
        window_t v = {w->kind, 0, 0, 0};
        if (w->kind == CAPHEAP_ALIAS_INVERTED) {
            /* Word inversion maps whole pages to whole pages only when the
             * window is page-aligned. */
            if ((w->dram_lo | w->dram_hi | w->iram_lo) & (pg - 1))
                return bad(chip, "inverted window not page-aligned", w->dram_lo,
                           w->dram_hi);
            v.d = w->dram_lo;
            v.i = w->iram_lo;
            v.len = w->dram_hi - w->dram_lo;
        } else {
            /* One page must be at the same offset in both views. */
            if ((w->iram_lo - w->dram_lo) & (pg - 1))
                return bad(chip, "linear window sides differ by a part page",
                           w->dram_lo, w->dram_hi);
            v.d = page_down(w->dram_lo);
            v.i = w->iram_lo - (w->dram_lo - v.d);
            v.len = page_up(w->dram_hi) - v.d;
            if (!page_up(w->dram_hi) || v.i + v.len < v.i)
                return bad(chip, "window wraps", w->dram_lo, w->dram_hi);
        }
        sides[(*side_count)++] = (span_t){v.d, v.d + v.len};
        sides[(*side_count)++] = (span_t){v.i, v.i + v.len};
        pl->win[pl->win_count++] = v;
    }
    /* The sides are subtracted from the plain ranges: they must not share
     * a page, or one page would need two backings. */
    for (size_t a = 0; a < *side_count; a++) {
        for (size_t b = a + 1; b < *side_count; b++) {
            if (sides[a].start < sides[b].end && sides[b].start < sides[a].end)
                return bad(chip, "alias windows share the page range",
                           sides[b].start, sides[b].end);
        }
    }
    return CAPHEAP_OK;
}

static capheap_err_t make_plan(const capheap_chip_t *chip,
                               const capheap_chip_options_t *opts, plan_t *pl) {
    span_t sides[2 * SIM_MAX_WINDOWS], regions[SIM_MAX_SPANS];
    size_t side_count = 0, region_count = 0;
    memset(pl, 0, sizeof *pl);
    capheap_err_t err = plan_windows(chip, pl, sides, &side_count);
    if (err)
        return err;
    for (size_t i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *d = &chip->regions[i];
        if (!capheap_layout_selected(opts->flags, d->when, d->unless))
            continue;
        /* As the layout does: only the PSRAM that is fitted. */
        size_t size = d->size;
        if ((d->when & CAPHEAP_OPT_PSRAM) && opts->psram_size &&
            opts->psram_size < size)
            size = opts->psram_size;
        if (size == 0)
            continue;
        uintptr_t end = d->start + size;
        if (end < d->start || !page_up(end))
            return bad(chip, "region wraps", d->start, d->start + size);
        if (add_span(regions, &region_count, page_down(d->start), page_up(end)))
            return bad(chip, "too many separate ranges, at", d->start, end);
    }
    /* Plain = regions minus window sides (those pages have their own
     * backing, whether or not a region covers them). */
    for (size_t i = 0; i < region_count; i++) {
        uintptr_t pos = regions[i].start, end = regions[i].end;
        while (pos < end) {
            uintptr_t cut = end, resume = end;
            for (size_t k = 0; k < side_count; k++) {
                if (sides[k].end <= pos || sides[k].start >= cut)
                    continue;
                cut = sides[k].start > pos ? sides[k].start : pos;
                resume = sides[k].end;
            }
            if (cut > pos) {
                if (pl->plain_count == SIM_MAX_SPANS)
                    return bad(chip, "too many separate ranges, at", pos, cut);
                pl->plain[pl->plain_count++] = (span_t){pos, cut};
            }
            pos = resume;
        }
    }
    return CAPHEAP_OK;
}

static bool same_plan(const plan_t *a, const plan_t *b) {
    if (a->plain_count != b->plain_count || a->win_count != b->win_count)
        return false;
    for (size_t i = 0; i < a->plain_count; i++) {
        if (a->plain[i].start != b->plain[i].start ||
            a->plain[i].end != b->plain[i].end)
            return false;
    }
    for (size_t i = 0; i < a->win_count; i++) {
        if (a->win[i].kind != b->win[i].kind || a->win[i].d != b->win[i].d ||
            a->win[i].i != b->win[i].i || a->win[i].len != b->win[i].len)
            return false;
    }
    return true;
}

/* Whether [lo, hi) lies within what this simulation has mapped (the kernel
 * shows touching mappings as one line). */
static bool ours(uintptr_t lo, uintptr_t hi) {
    bool advanced = true;
    while (lo < hi && advanced) {
        advanced = false;
        for (size_t i = 0; i < map_count; i++) {
            if (maps[i].start <= lo && lo < maps[i].end) {
                lo = maps[i].end;
                advanced = true;
            }
        }
    }
    return lo >= hi;
}

/* The first line of /proc/self/maps overlapping [s, e) that is not ours,
 * to say who holds the range. */
static bool occupant(uintptr_t s, uintptr_t e, char *out, size_t size) {
    bool found = false;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    char line[512];
    while (!found && fgets(line, sizeof line, f)) {
        uintmax_t lo, hi;
        if (sscanf(line, "%jx-%jx", &lo, &hi) == 2 && lo < e && s < hi &&
            !ours((uintptr_t)lo, (uintptr_t)hi)) {
            line[strcspn(line, "\n")] = '\0';
            if (out && size)
                snprintf(out, size, "%#" PRIxPTR "-%#" PRIxPTR " taken by: %s",
                         s, e, line);
            found = true;
        }
    }
    fclose(f);
    return found;
}

capheap_err_t capheap_sim_probe(const capheap_chip_t *chip,
                                const capheap_chip_options_t *opts, char *who,
                                size_t who_size) {
    static const capheap_chip_options_t none = {0, 0, 0, 0, 0};
    plan_t pl;
    chip = capheap_sim_chip(chip);
    if (!chip)
        return CAPHEAP_ERR_INVALID_ARG;
    capheap_err_t err = make_plan(chip, opts ? opts : &none, &pl);
    if (err)
        return err;
    for (size_t i = 0; i < pl.plain_count; i++) {
        if (occupant(pl.plain[i].start, pl.plain[i].end, who, who_size))
            return CAPHEAP_ERR_OVERLAP;
    }
    for (size_t k = 0; k < pl.win_count; k++) {
        const window_t *w = &pl.win[k];
        if (occupant(w->d, w->d + w->len, who, who_size) ||
            occupant(w->i, w->i + w->len, who, who_size))
            return CAPHEAP_ERR_OVERLAP;
    }
    return CAPHEAP_OK;
}

static capheap_err_t map_at(const capheap_chip_t *chip, const char *what,
                            uintptr_t s, size_t len, int prot, int flags,
                            int fd) {
    void *p = mmap((void *)s, len, prot, flags | MAP_FIXED_NOREPLACE, fd, 0);
    if (p == (void *)s) {
        maps[map_count++] = (span_t){s, s + len};
        return CAPHEAP_OK;
    }
    /* A kernel before 4.17 (or qemu-user) takes the flag as a hint and
     * places the mapping elsewhere when the address is taken. */
    int e = p == MAP_FAILED ? errno : EEXIST;
    if (p != MAP_FAILED)
        munmap(p, len);
    char who[600] = "";
    if (e == EEXIST && occupant(s, s + len, who + 2, sizeof who - 2))
        memcpy(who, ": ", 2);
    fprintf(stderr,
            "capheap sim: cannot map %s %s %#" PRIxPTR "-%#" PRIxPTR
            " at the chip's address: %s%s\n",
            chip->name, what, s, (uintptr_t)(s + len),
            e == EEXIST ? "already taken in this process" : strerror(e),
            e == EPERM ? " (below vm.mmap_min_addr?)" : who);
    return e == EEXIST ? CAPHEAP_ERR_OVERLAP : CAPHEAP_ERR_INVALID_ARG;
}

static capheap_err_t map_linear(const capheap_chip_t *chip, const window_t *w) {
    int fd = memfd_create("capheap-sim", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)w->len) != 0) {
        perror("capheap sim: memfd for a linear alias window");
        if (fd >= 0)
            close(fd);
        return CAPHEAP_ERR_INVALID_ARG;
    }
    capheap_err_t err = map_at(chip, "alias window (data side)", w->d, w->len,
                               PROT_READ | PROT_WRITE, MAP_SHARED, fd);
    if (!err)
        err = map_at(chip, "alias window (instruction side)", w->i, w->len,
                     PROT_READ | PROT_WRITE, MAP_SHARED, fd);
    close(fd); /* the mappings keep the memory */
    return err;
}

static capheap_err_t map_plan(const capheap_chip_t *chip, const plan_t *pl) {
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    sim_inverted_t inv[SIM_MAX_WINDOWS];
    size_t inv_count = 0;
    capheap_err_t err = CAPHEAP_OK;
    for (size_t i = 0; i < pl->plain_count && !err; i++)
        err = map_at(chip, "RAM", pl->plain[i].start,
                     pl->plain[i].end - pl->plain[i].start,
                     PROT_READ | PROT_WRITE, anon, -1);
    for (size_t k = 0; k < pl->win_count && !err; k++) {
        const window_t *w = &pl->win[k];
        if (w->kind == CAPHEAP_ALIAS_LINEAR) {
            err = map_linear(chip, w);
            continue;
        }
        /* The data side owns every page first: it is where the heap's
         * metadata lives, so the allocator alone never moves a page. */
        err = map_at(chip, "inverted window (data side)", w->d, w->len,
                     PROT_READ | PROT_WRITE, anon, -1);
        if (!err)
            err = map_at(chip, "inverted window (instruction side)", w->i,
                         w->len, PROT_NONE, anon, -1);
        inv[inv_count++] = (sim_inverted_t){w->d, w->i, w->len};
    }
    if (!err && inv_count &&
        (sim_fault_track(inv, inv_count, page()) || sim_fault_install()))
        err = CAPHEAP_ERR_INVALID_ARG;
    return err;
}

void capheap_sim_unmap(void) {
    sim_fault_untrack();
    for (size_t i = 0; i < map_count; i++)
        munmap((void *)maps[i].start, maps[i].end - maps[i].start);
    map_count = 0;
    mapped = false;
    sim_fault_uninstall();
}

capheap_err_t capheap_sim_map(const capheap_chip_t *chip,
                              const capheap_chip_options_t *opts) {
    static const capheap_chip_options_t none = {0, 0, 0, 0, 0};
    if (!opts)
        opts = &none;
    plan_t pl;
    chip = capheap_sim_chip(chip);
    capheap_err_t err =
        chip ? make_plan(chip, opts, &pl) : CAPHEAP_ERR_INVALID_ARG;
    if (err) {
        capheap_sim_unmap();
        return err;
    }
    if (mapped && same_plan(&pl, &current)) {
        /* Someone (a test framework) may have replaced the handler. */
        for (size_t k = 0; k < pl.win_count; k++) {
            if (pl.win[k].kind == CAPHEAP_ALIAS_INVERTED)
                return sim_fault_install() ? CAPHEAP_ERR_INVALID_ARG
                                           : CAPHEAP_OK;
        }
        return CAPHEAP_OK;
    }
    capheap_sim_unmap();
    err = map_plan(chip, &pl);
    if (err) {
        capheap_sim_unmap();
        return err;
    }
    current = pl;
    mapped = true;
    return CAPHEAP_OK;
}
