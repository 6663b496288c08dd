/*
 * san_test.h - what the sanitizer test programs share: a heap over a static
 * arena, and a line naming the address where a mistake will land, so that
 * run.sh can check the tool reports that very address.
 *
 * Each program makes one mistake on purpose (clean.c makes none). They are
 * not cmocka tests: the tool's report is the result, and run.sh reads it.
 */
#ifndef SAN_TEST_H
#define SAN_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "capheap/heap.h"

/* Through a volatile pointer, so that the compiler keeps every mistake. */
typedef volatile unsigned char vbyte;

static void *san_storage[CAPHEAP_HEAP_STORAGE_SIZE(4, 2) / sizeof(void *)];
static _Alignas(64) unsigned char san_arena[2][64 * 1024];

/* Tag 0 and tag 1, one region each. */
static inline capheap_heap_t *san_heap(void) {
    capheap_heap_t *h =
        capheap_heap_init(san_storage, sizeof san_storage, 4, 2);
    if (!h ||
        capheap_heap_add_region(h, san_arena[0], sizeof san_arena[0], 0) !=
            CAPHEAP_OK ||
        capheap_heap_add_region(h, san_arena[1], sizeof san_arena[1], 1) !=
            CAPHEAP_OK) {
        fprintf(stderr, "san-test: cannot set up the heap\n");
        exit(2);
    }
    return h;
}

/* Announce the address the next access will hit. */
static inline void san_expect(const char *what, const volatile void *addr) {
    fprintf(stderr, "san-test: %s at %p\n", what, (const void *)addr);
    fflush(stderr);
}

/* Stop with status 2 (a broken test, not a tool report) unless @p ok. */
static inline void san_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "san-test: setup failed: %s\n", what);
        exit(2);
    }
}

#endif
