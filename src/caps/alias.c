/*
 * alias.c - EXEC allocations served from dual-mapped D/IRAM.
 *
 * The block is allocated on the data bus with 4 bytes more than asked. The
 * instruction-bus word that starts the block keeps the block's offset from
 * the data window, and the caller gets the address just after it:
 *
 *   linear (I = D + k):   I-start = D-start + k
 *   inverted (ESP32):     the last data word is the first instruction word,
 *                         so I-start = alias(D-start + len - 4)
 *
 * The allocator itself only ever reads and writes through the data bus.
 */
#include "core/cstring.h"

#include "alias.h"

const capheap_alias_t *capheap_alias_window(const capheap_chip_t *chip,
                                            uintptr_t a, bool iram) {
    for (unsigned i = 0; i < chip->alias_count; i++) {
        const capheap_alias_t *w = &chip->aliases[i];
        if (a - (iram ? w->iram_lo : w->dram_lo) < w->dram_hi - w->dram_lo)
            return w;
    }
    return NULL;
}

/* Address @p a of window @p w seen from the other bus (to the instruction
 * bus when @p to_iram). Both directions are the same map: a shift, or on an
 * inverted window the word order reversed with the byte kept. */
static uintptr_t cross(const capheap_alias_t *w, uintptr_t a, bool to_iram) {
    uintptr_t to = to_iram ? w->iram_lo : w->dram_lo;
    uintptr_t off = a - (to_iram ? w->dram_lo : w->iram_lo);
    if (w->kind == CAPHEAP_ALIAS_LINEAR)
        return to + off;
    return to + (w->dram_hi - w->dram_lo) - 4 - (off & ~(uintptr_t)3) +
           (off & 3);
}

/* @p a seen from the other bus when a window holds it, else itself. */
static uintptr_t translate(const capheap_chip_t *chip, uintptr_t a,
                           bool to_iram) {
    const capheap_alias_t *w = capheap_alias_window(chip, a, !to_iram);
    return w ? cross(w, a, to_iram) : a;
}

uintptr_t capheap_caps_dram_to_iram(const capheap_chip_t *chip, uintptr_t d) {
    return translate(chip, d, true);
}

uintptr_t capheap_caps_iram_to_dram(const capheap_chip_t *chip, uintptr_t i) {
    return translate(chip, i, false);
}

void *capheap_alias_alloc_exec(capheap_caps_t *ch, unsigned t, size_t alignment,
                               size_t size) {
    if (alignment < 4)
        alignment = 4;
    if (size > SIZE_MAX / 4 || alignment > SIZE_MAX / 4)
        return NULL;
    /* Whole words, one more for the block's offset, and room to slide the
     * first instruction word until the pointer after it is aligned. */
    size_t words = (size + 3) & ~(size_t)3;
    size_t len = words + 4 + (alignment - 4);
    char *d = capheap_heap_alloc(ch->heap, t, len);
    if (!d)
        return NULL;
    const capheap_alias_t *w =
        capheap_alias_window(ch->chip, (uintptr_t)d, false);
    if (!w || (uintptr_t)d + len > w->dram_hi) {
        capheap_heap_free(ch->heap, d); /* plain data RAM: not an alias */
        return NULL;
    }
    /* The caller's bytes follow the first word on the instruction bus:
     * above it in data addresses (linear) or below it (inverted). */
    uintptr_t lo = (uintptr_t)d, hi = lo + len - 4;
    uintptr_t first = w->kind == CAPHEAP_ALIAS_INVERTED ? lo + words : lo;
    uintptr_t last = w->kind == CAPHEAP_ALIAS_INVERTED ? hi : hi - words;
    /* at most alignment / 4 steps (a power of two) */
    while (first <= last && ((cross(w, first, true) + 4) & (alignment - 1)))
        first += 4;
    if (first > last) {
        capheap_heap_free(ch->heap, d);
        return NULL;
    }
    uint32_t off = (uint32_t)((uintptr_t)d - w->dram_lo);
    memcpy((void *)first, &off, sizeof off);
    return (void *)(cross(w, first, true) + 4);
}

/* The block behind @p iptr: the word before it must name a live block of
 * the same window that contains that word. O(1). */
static char *lookup(capheap_caps_t *ch, const void *iptr, size_t *usable) {
    uintptr_t i = (uintptr_t)iptr;
    const capheap_alias_t *w = capheap_alias_window(ch->chip, i - 4, true);
    if (!w || i % 4 != 0)
        return NULL;
    uintptr_t first = cross(w, i - 4, false);
    uint32_t off;
    memcpy(&off, (const void *)first, sizeof off);
    if (off >= w->dram_hi - w->dram_lo)
        return NULL;
    char *d = (char *)(w->dram_lo + off);
    size_t len = capheap_heap_live_size(ch->heap, d);
    if (len < 4 || first < (uintptr_t)d || first > (uintptr_t)d + len - 4)
        return NULL;
    /* Linear: the data words above the stored one; inverted: those below
     * it, which the instruction bus sees above it. */
    *usable = w->kind == CAPHEAP_ALIAS_INVERTED
                  ? (size_t)(first - (uintptr_t)d)
                  : (size_t)((uintptr_t)d + len - first - 4);
    return d;
}

void capheap_alias_copy(capheap_caps_t *ch, void *dst, const void *src,
                        size_t n) {
    /* Word by word, through the data bus: instruction RAM takes only whole
     * words, and on the ESP32 the word order of the two buses differs. A
     * size that is not whole words only comes from byte-accessible memory
     * (word-only memory is always asked for in words), and its last bytes
     * are copied as bytes: with poisoning the tail canary follows them. */
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    size_t k = 0;
    for (; n - k >= 4; k += 4) {
        uint32_t v;
        memcpy(&v, (const void *)capheap_caps_iram_to_dram(ch->chip, s + k), 4);
        memcpy((void *)capheap_caps_iram_to_dram(ch->chip, d + k), &v, 4);
    }
    for (; k < n; k++)
        *(char *)capheap_caps_iram_to_dram(ch->chip, d + k) =
            *(const char *)capheap_caps_iram_to_dram(ch->chip, s + k);
}

void *capheap_alias_block(capheap_caps_t *ch, const void *iptr,
                          const char *op) {
    size_t usable;
    char *d = lookup(ch, iptr, &usable);
    if (!d)
        capheap_report_error(CAPHEAP_ERR_NOT_BLOCK, iptr, op);
    return d;
}

#if CAPHEAP_HOOKS
bool capheap_alias_live(capheap_caps_t *ch, const void *iptr) {
    size_t usable;
    return lookup(ch, iptr, &usable) != NULL;
}
#endif

size_t capheap_alias_usable(capheap_caps_t *ch, const void *iptr) {
    size_t usable = 0;
    if (!lookup(ch, iptr, &usable))
        capheap_report_error(CAPHEAP_ERR_NOT_BLOCK, iptr, "usable_size");
    return usable;
}
