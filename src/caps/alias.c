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
#include <string.h>

#include "alias.h"

static uintptr_t to_iram(const capheap_alias_t *w, uintptr_t d) {
    uintptr_t off = d - w->dram_lo;
    if (w->kind == CAPHEAP_ALIAS_LINEAR)
        return w->iram_lo + off;
    return w->iram_lo + (w->dram_hi - w->dram_lo) - 4 - (off & ~(uintptr_t)3) +
           (off & 3);
}

static uintptr_t to_dram(const capheap_alias_t *w, uintptr_t i) {
    uintptr_t off = i - w->iram_lo;
    if (w->kind == CAPHEAP_ALIAS_LINEAR)
        return w->dram_lo + off;
    return w->dram_lo + (w->dram_hi - w->dram_lo) - 4 - (off & ~(uintptr_t)3) +
           (off & 3);
}

uintptr_t capheap_caps_dram_to_iram(const capheap_chip_t *chip, uintptr_t d) {
    const capheap_alias_t *w = capheap_alias_of_dram(chip, d);
    return w ? to_iram(w, d) : d;
}

uintptr_t capheap_caps_iram_to_dram(const capheap_chip_t *chip, uintptr_t i) {
    const capheap_alias_t *w = capheap_alias_of_iram(chip, i);
    return w ? to_dram(w, i) : i;
}

void *capheap_alias_alloc_exec(capheap_caps_t *ch, unsigned t, size_t alignment,
                               size_t size) {
    /* The instruction address is fixed by the data address: only word
     * alignment can be promised. */
    if (alignment > 4 || size > SIZE_MAX - 8)
        return NULL;
    size_t len = ((size + 3) & ~(size_t)3) + 4; /* whole words, plus one */
    char *d = capheap_heap_alloc(ch->heap, t, len);
    if (!d)
        return NULL;
    const capheap_alias_t *w = capheap_alias_of_dram(ch->chip, (uintptr_t)d);
    if (!w) { /* a region of the type outside the window: plain data RAM */
        capheap_heap_free(ch->heap, d);
        return NULL;
    }
    /* The data address of the block's first instruction word. */
    uintptr_t first = w->kind == CAPHEAP_ALIAS_INVERTED ? (uintptr_t)d + len - 4
                                                        : (uintptr_t)d;
    uint32_t off = (uint32_t)((uintptr_t)d - w->dram_lo);
    memcpy((void *)first, &off, sizeof off);
    return (void *)(to_iram(w, first) + 4);
}

/* The block behind @p iptr: the word before it must name a live block of
 * the same window that contains that word. O(1). */
static char *lookup(capheap_caps_t *ch, const void *iptr, size_t *usable) {
    uintptr_t i = (uintptr_t)iptr;
    const capheap_alias_t *w = capheap_alias_of_iram(ch->chip, i - 4);
    if (!w || i % 4 != 0)
        return NULL;
    uintptr_t first = to_dram(w, i - 4);
    uint32_t off;
    memcpy(&off, (const void *)first, sizeof off);
    if (off >= w->dram_hi - w->dram_lo)
        return NULL;
    char *d = (char *)(w->dram_lo + off);
    size_t len = capheap_heap_live_size(ch->heap, d);
    if (len < 4 || first < (uintptr_t)d || first > (uintptr_t)d + len - 4)
        return NULL;
    /* Linear: everything after the stored word; inverted: the data words
     * below it, which the instruction bus sees above it. */
    *usable = w->kind == CAPHEAP_ALIAS_INVERTED ? (size_t)(first - (uintptr_t)d)
                                                : len - 4;
    return d;
}

void *capheap_alias_block(capheap_caps_t *ch, const void *iptr,
                          const char *op) {
    size_t usable;
    char *d = lookup(ch, iptr, &usable);
    if (!d)
        capheap_report_error(CAPHEAP_ERR_NOT_BLOCK, iptr, op);
    return d;
}

size_t capheap_alias_usable(capheap_caps_t *ch, const void *iptr) {
    size_t usable = 0;
    if (!lookup(ch, iptr, &usable))
        capheap_report_error(CAPHEAP_ERR_NOT_BLOCK, iptr, "usable_size");
    return usable;
}
