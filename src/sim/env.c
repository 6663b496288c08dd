/*
 * env.c - the simulated chip and its options, from the environment.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_internal.h"

/* Every name a chip table may carry; the message lists those linked in. */
static const char *const chip_names[] = {"esp32", "esp32s3", "esp32c3",
                                         "stm32h743", "host"};

static const char *var(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static capheap_err_t reject(const char *name, const char *value,
                            const char *why) {
    fprintf(stderr, "capheap sim: %s=\"%s\": %s\n", name, value, why);
    return CAPHEAP_ERR_INVALID_ARG;
}

/* Decimal or 0x-hex digits up to @p *end, no sign, no blanks, no octal. */
static bool number(const char *s, const char **end, uintmax_t max,
                   uintmax_t *out) {
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uintmax_t v = 0;
    const char *p = s;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            break;
        if (v > (max - d) / base)
            return false;
        v = v * base + d;
    }
    *end = p;
    *out = v;
    return p != s;
}

static capheap_err_t address(const char *name, uintptr_t *out) {
    const char *v = var(name), *end;
    uintmax_t x;
    if (!v)
        return CAPHEAP_OK;
    if (!number(v, &end, UINTPTR_MAX, &x) || *end)
        return reject(name, v, "not an address (decimal or 0x-hex)");
    *out = (uintptr_t)x;
    return CAPHEAP_OK;
}

static capheap_err_t flag(const char *name, uint32_t bit, uint32_t *flags) {
    const char *v = var(name);
    if (!v || (v[0] == '0' && !v[1]))
        return CAPHEAP_OK;
    if (v[0] == '1' && !v[1]) {
        *flags |= bit;
        return CAPHEAP_OK;
    }
    return reject(name, v, "not 0 or 1");
}

static capheap_err_t psram(const capheap_chip_t *chip, size_t *out) {
    const char *v = var("CAPHEAP_PSRAM"), *end;
    uintmax_t x;
    if (!v)
        return CAPHEAP_OK;
    if (!number(v, &end, SIZE_MAX, &x))
        return reject("CAPHEAP_PSRAM", v, "not a size");
    uintmax_t unit = 1;
    if (*end == 'K' || *end == 'k')
        unit = 1024;
    else if (*end == 'M' || *end == 'm')
        unit = 1024 * 1024;
    if ((unit > 1 && end[1]) || (unit == 1 && *end))
        return reject("CAPHEAP_PSRAM", v,
                      "not a size (bytes, optional K or M suffix)");
    if (x > SIZE_MAX / unit)
        return reject("CAPHEAP_PSRAM", v, "too large");
    x *= unit;
    size_t most = 0;
    for (size_t i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *r = &chip->regions[i];
        if ((r->when & CAPHEAP_OPT_PSRAM) && r->size > most)
            most = r->size;
    }
    if (x && !most)
        return reject("CAPHEAP_PSRAM", v, "this chip has no PSRAM");
    if (x > most)
        return reject("CAPHEAP_PSRAM", v, "more than the chip's PSRAM window");
    *out = (size_t)x;
    return CAPHEAP_OK;
}

static const capheap_chip_t *find_chip(const char *name) {
    const capheap_chip_t *chip = capheap_chip_find(name);
    if (chip)
        return chip;
    fprintf(stderr,
            "capheap sim: CAPHEAP_CHIP=\"%s\": unknown chip; valid:", name);
    const char *sep = " ";
    for (size_t i = 0; i < sizeof chip_names / sizeof chip_names[0]; i++) {
        if (capheap_chip_find(chip_names[i])) {
            fprintf(stderr, "%s%s", sep, chip_names[i]);
            sep = ", ";
        }
    }
    fputc('\n', stderr);
    return NULL;
}

/* An end address given by the user: not before the start of its range,
 * and placed where the simulation puts the byte before it. */
static capheap_err_t end_address(const char *name, const capheap_chip_t *chip,
                                 uintptr_t start, uintptr_t *end) {
    if (!*end)
        return CAPHEAP_OK;
    const char *v = var(name);
    if (!start)
        return reject(name, v, "this chip reserves no such range");
    if (*end < start)
        return reject(name, v, "before the start of the range");
    *end = *end == start ? capheap_sim_addr(chip, start)
                         : capheap_sim_addr(chip, *end - 1) + 1;
    return CAPHEAP_OK;
}

capheap_err_t capheap_sim_options_from_env(const capheap_chip_t **chip,
                                           capheap_chip_options_t *opts) {
    if (!chip || !opts)
        return CAPHEAP_ERR_INVALID_ARG;
    const char *name = var("CAPHEAP_CHIP");
    const capheap_chip_t *c = find_chip(name ? name : "esp32");
    if (!c)
        return CAPHEAP_ERR_INVALID_ARG;
    capheap_chip_options_t o = {0, 0, 0, 0, 0};
    capheap_err_t err = psram(c, &o.psram_size);
    if (!err && o.psram_size)
        o.flags |= CAPHEAP_OPT_PSRAM;
    if (!err)
        err = flag("CAPHEAP_BT", CAPHEAP_OPT_BT, &o.flags);
    if (!err)
        err = flag("CAPHEAP_RTC_HEAP", CAPHEAP_OPT_RTC_HEAP, &o.flags);
    if (!err)
        err = flag("CAPHEAP_SINGLE_CORE", CAPHEAP_OPT_SINGLE_CORE, &o.flags);
    if (!err)
        err = flag("CAPHEAP_TRACE_MEM", CAPHEAP_OPT_TRACE_MEM, &o.flags);
    if (!err)
        err = flag("CAPHEAP_IRAM_8BIT", CAPHEAP_OPT_IRAM_8BIT, &o.flags);
    if (!err)
        err = address("CAPHEAP_APP_DRAM_START", &o.app_dram_start);
    if (!err)
        err = address("CAPHEAP_APP_DRAM_END", &o.app_dram_end);
    if (!err)
        err = address("CAPHEAP_APP_IRAM_END", &o.app_iram_end);
    /* Where .data/.bss start, as the layout decides it. */
    uintptr_t dstart = (o.flags & CAPHEAP_OPT_BT) && c->app_dram_start_bt
                           ? c->app_dram_start_bt
                           : c->app_dram_start;
    if (o.app_dram_start)
        dstart = o.app_dram_start;
    if (!err)
        err = end_address("CAPHEAP_APP_DRAM_END", c, dstart, &o.app_dram_end);
    if (!err)
        err = end_address("CAPHEAP_APP_IRAM_END", c, c->app_iram_start,
                          &o.app_iram_end);
    if (o.app_dram_start)
        o.app_dram_start = capheap_sim_addr(c, o.app_dram_start);
    const capheap_chip_t *sim = err ? NULL : capheap_sim_chip(c);
    if (!sim)
        return CAPHEAP_ERR_INVALID_ARG;
    *chip = sim;
    *opts = o;
    return CAPHEAP_OK;
}
