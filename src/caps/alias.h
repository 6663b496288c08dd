/*
 * alias.h - dual-mapped D/IRAM: the same RAM on the data and instruction bus.
 */
#ifndef CAPHEAP_CAPS_ALIAS_H
#define CAPHEAP_CAPS_ALIAS_H

#include "capheap/caps.h"

/** The alias window whose instruction-bus side (@p iram) or data-bus side
 * holds @p a, or NULL. O(the chip's windows). */
const capheap_alias_t *capheap_alias_window(const capheap_chip_t *chip,
                                            uintptr_t a, bool iram);

/** An EXEC block from D/IRAM type @p t, returned by its instruction-bus
 * address. */
void *capheap_alias_alloc_exec(capheap_caps_t *ch, unsigned t, size_t alignment,
                               size_t size);

/** The data-bus block behind an instruction-bus pointer, or NULL after the
 * error hook (naming @p op) if it is not one. */
void *capheap_alias_block(capheap_caps_t *ch, const void *iptr, const char *op);

/** Copy @p n bytes between blocks, either of which may be given by its
 * instruction-bus address: word by word through the data bus. Both must be
 * word-aligned with usable sizes that are whole words. */
void capheap_alias_copy(capheap_caps_t *ch, void *dst, const void *src,
                        size_t n);

/** Usable bytes behind an instruction-bus pointer (0 if it is not one). */
size_t capheap_alias_usable(capheap_caps_t *ch, const void *iptr);

#if CAPHEAP_HOOKS
/** Whether @p iptr is an instruction-bus pointer to a live block; reports
 * nothing. O(1). For the observer of frees (CAPHEAP_HOOKS). */
bool capheap_alias_live(capheap_caps_t *ch, const void *iptr);
#endif

#endif
