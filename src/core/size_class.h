/*
 * size_class.h - size classes: which list a free block of a given size
 * belongs to, and the bit scans that find a non-empty one.
 *
 * Sizes below 2 * SL_COUNT units of A have one class per unit; above, each
 * power of two is cut into SL_COUNT equal classes (SL_COUNT =
 * 2^CAPHEAP_SL_LOG2). Every block of class b is at least bin_floor(b), so a
 * request whose size exceeds bin_floor(b) is sure to fit any block of a
 * class above b: an allocation searches only its own class boundedly and
 * then takes the first block of the next non-empty class.
 */
#ifndef CAPHEAP_CORE_SIZE_CLASS_H
#define CAPHEAP_CORE_SIZE_CLASS_H

#include "block.h"

#define SL_COUNT ((size_t)1 << CAPHEAP_SL_LOG2)

static inline unsigned bit_ctz(word_t x) { /* x != 0 */
#if CAPHEAP_USE_BUILTINS
#if UINTPTR_MAX > 0xFFFFFFFFu
    return (unsigned)__builtin_ctzll((unsigned long long)x);
#else
    return (unsigned)__builtin_ctzl((unsigned long)x);
#endif
#else
    unsigned n = 0;
    while (!(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

static inline unsigned bit_log2(word_t x) { /* x != 0 */
#if CAPHEAP_USE_BUILTINS
#if UINTPTR_MAX > 0xFFFFFFFFu
    return 63u - (unsigned)__builtin_clzll((unsigned long long)x);
#else
    return 31u - (unsigned)__builtin_clzl((unsigned long)x);
#endif
#else
    unsigned n = 0;
    for (unsigned step = WORD_BITS / 2; step; step /= 2) {
        if (x >> step) {
            x >>= step;
            n += step;
        }
    }
    return n;
#endif
}

/** Class of a block of @p size bytes. */
static inline size_t bin_of(size_t size) {
    size_t u = size / ALIGN;
    if (u < 2 * SL_COUNT)
        return u;
    unsigned shift = bit_log2(u) - CAPHEAP_SL_LOG2;
    return ((size_t)shift << CAPHEAP_SL_LOG2) + (u >> shift);
}

/** Smallest block size in class @p b. */
static inline size_t bin_floor(size_t b) {
    if (b < 2 * SL_COUNT)
        return b * ALIGN;
    size_t shift = (b >> CAPHEAP_SL_LOG2) - 1;
    return ((SL_COUNT + (b & (SL_COUNT - 1))) << shift) * ALIGN;
}

/** Bitmap words for @p nbins classes. */
static inline size_t bitmap_words(size_t nbins) {
    return (nbins + WORD_BITS - 1) / WORD_BITS;
}

#endif /* CAPHEAP_CORE_SIZE_CLASS_H */
