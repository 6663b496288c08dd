/*
 * target_pattern.h - the byte pattern the target tests write into their
 * blocks and check later: byte i of a block with @p seed.
 */
#ifndef CAPHEAP_TEST_TARGET_PATTERN_H
#define CAPHEAP_TEST_TARGET_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline unsigned char tp_byte(size_t i, uint32_t seed) {
    return (unsigned char)((i * 131u) ^ seed ^ (seed >> 8));
}

static inline void tp_fill(unsigned char *p, size_t size, uint32_t seed) {
    for (size_t i = 0; i < size; i++)
        p[i] = tp_byte(i, seed);
}

/** 1 when all @p size bytes still hold the pattern. */
static inline int tp_intact(const unsigned char *p, size_t size,
                            uint32_t seed) {
    for (size_t i = 0; i < size; i++) {
        if (p[i] != tp_byte(i, seed))
            return 0;
    }
    return 1;
}

#endif
