/*
 * trace_map.h - the trace's table from a block's address to its record, so
 * that a free finds the record without scanning the buffer.
 *
 * A fixed array of CAPHEAP_TRACE_HASH_BUCKETS chain heads; the chains run
 * through the records themselves (links.hash_next), so the table costs one
 * 32-bit index per bucket and nothing per record beyond the link. Records
 * are named by index + 1 (0: none), as in the rest of the trace. Only live
 * records are in the table: a freed record of a HEAP_TRACE_ALL trace is
 * taken out, so a later block at the same address finds its own record.
 */
#ifndef CAPHEAP_DEBUG_TRACE_MAP_H
#define CAPHEAP_DEBUG_TRACE_MAP_H

#include <stdint.h>

#include "esp_heap_trace.h"

typedef struct {
    uint32_t head[CAPHEAP_TRACE_HASH_BUCKETS];
} trace_map_t;

#define TRACE_REC(buf, ref) (&(buf)[(ref)-1])

/* Addresses differ in their middle bits (low ones are alignment, high ones
 * the region): mix them all into the bucket index. */
static inline uint32_t trace_map_bucket(const void *address) {
    uintptr_t a = (uintptr_t)address;
    uint32_t h = (uint32_t)a;
#if UINTPTR_MAX > 0xFFFFFFFFu
    h ^= (uint32_t)(a >> 32);
#endif
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h & (CAPHEAP_TRACE_HASH_BUCKETS - 1);
}

/* Newest first: should two records of one address be in the table, a free
 * means the newer. */
static inline void trace_map_insert(trace_map_t *m, heap_trace_record_t *buf,
                                    uint32_t ref) {
    uint32_t *head = &m->head[trace_map_bucket(TRACE_REC(buf, ref)->address)];
    TRACE_REC(buf, ref)->links.hash_next = *head;
    *head = ref;
}

/* Take the record of @p address out of the table; 0 if there is none. */
static inline uint32_t trace_map_take(trace_map_t *m, heap_trace_record_t *buf,
                                      const void *address) {
    uint32_t *link = &m->head[trace_map_bucket(address)];
    while (*link) {
        uint32_t ref = *link;
        heap_trace_record_t *r = TRACE_REC(buf, ref);
        if (r->address == address) {
            *link = r->links.hash_next;
            r->links.hash_next = 0;
            return ref;
        }
        link = &r->links.hash_next;
    }
    return 0;
}

/* The record of @p address, left in the table; 0 if there is none. */
static inline uint32_t trace_map_find(const trace_map_t *m,
                                      heap_trace_record_t *buf,
                                      const void *address) {
    uint32_t ref = m->head[trace_map_bucket(address)];
    while (ref && TRACE_REC(buf, ref)->address != address)
        ref = TRACE_REC(buf, ref)->links.hash_next;
    return ref;
}

/* Take record @p ref (known to be in the table) out of it. */
static inline void trace_map_remove(trace_map_t *m, heap_trace_record_t *buf,
                                    uint32_t ref) {
    uint32_t *link = &m->head[trace_map_bucket(TRACE_REC(buf, ref)->address)];
    while (*link && *link != ref)
        link = &TRACE_REC(buf, *link)->links.hash_next;
    if (*link)
        *link = TRACE_REC(buf, ref)->links.hash_next;
    TRACE_REC(buf, ref)->links.hash_next = 0;
}

#endif
