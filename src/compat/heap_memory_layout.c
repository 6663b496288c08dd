/*
 * heap_memory_layout.c - ESP-IDF's memory layout tables, made from the chip
 * description and options of the system heap's last build, and its
 * available regions, from the same layout capheap_caps_init() registered.
 */
#include "heap_memory_layout.h"

#include "capheap/output.h"
#include "capheap/port.h"
#include "caps/layout.h"

/* The chip of the system heap's last build (NULL before start-up) and its
 * options (none: all zero). */
static const capheap_chip_t *built(const capheap_chip_options_t **opts) {
    static const capheap_chip_options_t none;
    capheap_caps_t *ch = capheap_system();
    *opts = capheap_system_options();
    if (!*opts)
        *opts = &none;
    return ch ? ch->chip : NULL;
}

/* The lowest instruction-bus address of [start, end), when all of it is
 * dual-mapped: its first word's alias on a linear window, its last word's
 * on an inverted one. */
static intptr_t iram_of(const capheap_chip_t *chip, uintptr_t start,
                        uintptr_t end) {
    if (end - start < 4)
        return 0;
    uintptr_t first = capheap_caps_dram_to_iram(chip, start);
    uintptr_t last = capheap_caps_dram_to_iram(chip, end - 4);
    if (first == start || last == end - 4)
        return 0;
    return (intptr_t)(first < last ? first : last);
}

static soc_memory_region_t region(const capheap_chip_t *chip, uintptr_t start,
                                  uintptr_t end, uint8_t type, bool startup) {
    return (soc_memory_region_t){(intptr_t)start, end - start, type,
                                 iram_of(chip, start, end), startup};
}

const soc_memory_type_desc_t *capheap_soc_memory_types(void) {
    const capheap_chip_options_t *opts;
    const capheap_chip_t *chip = built(&opts);
    return chip ? chip->types : NULL;
}

size_t capheap_soc_memory_type_count(void) {
    const capheap_chip_options_t *opts;
    const capheap_chip_t *chip = built(&opts);
    return chip ? chip->type_count : 0;
}

static void default_lock(bool take) {
    void *l = capheap_port_default_lock();
    if (l && take)
        capheap_port_lock(l);
    else if (l)
        capheap_port_unlock(l);
}

/* The region table: rewritten where it differs from the chip's regions as
 * the last build's options select them, under the port's default lock, so
 * readers race with a write only across a rebuild (set-up). Compared, not
 * keyed by chip: a chip description may change between builds. */
static soc_memory_region_t table[CAPHEAP_SOC_MAX_REGIONS];

static size_t regions_now(void) {
    static bool told;
    const capheap_chip_options_t *opts;
    const capheap_chip_t *chip = built(&opts);
    size_t n = 0;
    default_lock(true);
    for (size_t i = 0; chip && i < chip->region_count; i++) {
        const capheap_region_desc_t *d = &chip->regions[i];
        if (!capheap_layout_selected(opts->flags, d->when, d->unless))
            continue;
        if (n == CAPHEAP_SOC_MAX_REGIONS) {
            if (!told)
                capheap_print_str("capheap: soc_memory_regions lists the "
                                  "first CAPHEAP_SOC_MAX_REGIONS regions\n");
            told = true;
            break;
        }
        soc_memory_region_t r = region(chip, d->start, d->start + d->size,
                                       d->type, d->startup_stack);
        soc_memory_region_t *t = &table[n++];
        if (t->start != r.start || t->size != r.size || t->type != r.type ||
            t->iram_address != r.iram_address ||
            t->startup_stack != r.startup_stack)
            *t = r;
    }
    default_lock(false);
    return n;
}

const soc_memory_region_t *capheap_soc_memory_regions(void) {
    (void)regions_now();
    return table;
}

size_t capheap_soc_memory_region_count(void) {
    return regions_now();
}

/* The layout of the last build, into @p av (room for
 * CAPHEAP_CAPS_MAX_REGIONS: a build that succeeded needed no more). */
static size_t available(capheap_avail_t *av, const capheap_chip_t **chip) {
    const capheap_chip_options_t *opts;
    const capheap_caps_reservation_t *extra;
    size_t n = 0;
    *chip = built(&opts);
    size_t extra_count = capheap_system_reservations(&extra);
    if (!*chip || capheap_layout_build(*chip, opts, extra, extra_count, av,
                                       CAPHEAP_CAPS_MAX_REGIONS, &n, NULL))
        return 0;
    return n;
}

size_t soc_get_available_memory_regions(soc_memory_region_t *regions) {
    capheap_avail_t av[CAPHEAP_CAPS_MAX_REGIONS];
    const capheap_chip_t *chip;
    size_t n = available(av, &chip);
    for (size_t i = 0; i < n; i++)
        regions[i] = region(chip, av[i].start, av[i].end, av[i].type,
                            av[i].startup_stack);
    return n;
}

size_t soc_get_available_memory_region_max_count(void) {
    capheap_avail_t av[CAPHEAP_CAPS_MAX_REGIONS];
    const capheap_chip_t *chip;
    return available(av, &chip);
}
