/*
 * poison.h - heap poisoning (CAPHEAP_POISONING), inline in the core's paths.
 *
 * Light (1): the block prefix ends with a head canary, HEAD_MAGIC and then the
 * requested size; the four bytes after the requested size hold TAIL_MAGIC,
 * stored bytewise (they are rarely aligned). Comprehensive (2) adds fills:
 * ALLOC_FILL over a new allocation, FREE_FILL over the body of every free
 * block (all but its header, list links and footer), verified when a block is
 * handed out and by the integrity check.
 *
 *   live:  | hdr | (owner) | HEAD_MAGIC | requested | payload.. | tail | slack
 * | free:  | hdr | next | pprev | FREE_FILL ........................ | size |
 *
 * With the option 0 every function here is empty and costs nothing.
 */
#ifndef CAPHEAP_CORE_POISON_H
#define CAPHEAP_CORE_POISON_H

#include "cstring.h"

#include "heap_internal.h"

#define HEAD_MAGIC ((word_t)0x5EA1AB1Eu)
#define TAIL_MAGIC 0x7A11F00Du
#define ALLOC_FILL 0xCE
#define FREE_FILL  0xFE

#if CAPHEAP_POISONING
#define TAIL_BYTES ((size_t)4)
_Static_assert(CAPHEAP_BLOCK_PREFIX_BYTES >= 2 * sizeof(word_t),
               "poisoning needs two prefix words");
#else
#define TAIL_BYTES ((size_t)0)
#endif

/** The head canary: the two words just before the payload. */
static inline word_t *head_canary(const char *blk) {
    return (word_t *)(void *)(uintptr_t)(payload_of((char *)(uintptr_t)blk) -
                                         2 * WORD_BYTES);
}

/*
 * Word-only memory (the ESP32's IRAM) faults on byte accesses, so canaries
 * and fills go by aligned words wherever the range allows; there it always
 * does, as the capability layer asks for whole words (caps.c).
 */
static inline void put_tail(char *at) {
    uint32_t m = TAIL_MAGIC;
    if ((uintptr_t)at % 4 == 0)
        *(uint32_t *)(void *)at = m;
    else
        memcpy(at, &m, sizeof m);
}

static inline uint32_t get_tail(const char *at) {
    uint32_t m;
    if ((uintptr_t)at % 4 == 0)
        return *(const uint32_t *)(const void *)at;
    memcpy(&m, at, sizeof m);
    return m;
}

static inline void fill(char *p, size_t n, uint8_t v) {
    for (; n && (uintptr_t)p % 4; n--)
        *p++ = (char)v;
    for (; n >= 4; n -= 4, p += 4)
        *(uint32_t *)(void *)p = v * 0x01010101u;
    for (; n; n--)
        *p++ = (char)v;
}

/** Record a fault in @p rep; returns @p f. */
static inline capheap_fault_t poison_fault(capheap_check_report_t *rep,
                                           capheap_fault_t f, const void *at,
                                           uintptr_t expected,
                                           uintptr_t found) {
    rep->error = CAPHEAP_ERR_CORRUPT;
    rep->fault = f;
    rep->addr = at;
    rep->expected = expected;
    rep->found = found;
    return f;
}

/** First byte of [from, to) that is not @p v, as a fault: read by words
 * where aligned, the bad byte then found in a copy of its word. */
static inline capheap_fault_t poison_check_fill(const char *from,
                                                const char *to, uint8_t v,
                                                capheap_check_report_t *rep) {
    const char *c = from;
    for (; c < to && (uintptr_t)c % 4; c++) {
        if ((uint8_t)*c != v)
            return poison_fault(rep, CAPHEAP_FAULT_FREE_FILL, c, v,
                                (uint8_t)*c);
    }
    for (; to - c >= 4; c += 4) {
        uint32_t w = *(const uint32_t *)(const void *)c;
        if (w != v * 0x01010101u) {
            unsigned char b[4];
            memcpy(b, &w, sizeof b);
            unsigned k = 0;
            while (b[k] == v)
                k++;
            return poison_fault(rep, CAPHEAP_FAULT_FREE_FILL, c + k, v, b[k]);
        }
    }
    for (; c < to; c++) {
        if ((uint8_t)*c != v)
            return poison_fault(rep, CAPHEAP_FAULT_FREE_FILL, c, v,
                                (uint8_t)*c);
    }
    return CAPHEAP_FAULT_NONE;
}

/** Body of a free block: what FREE_FILL covers. */
static inline char *free_body(char *blk) {
    return blk + sizeof(node_t);
}

/** Mark the live block @p blk as holding @p requested bytes; with
 * comprehensive poisoning fill them. */
static inline void poison_live(char *blk, size_t requested) {
#if CAPHEAP_POISONING
    word_t *h = head_canary(blk);
    h[0] = HEAD_MAGIC;
    h[1] = (word_t)requested;
    put_tail(payload_of(blk) + requested);
#if CAPHEAP_POISONING >= 2
    fill(payload_of(blk), requested, ALLOC_FILL);
#endif
#else
    (void)blk;
    (void)requested;
#endif
}

/** Add (@p sign 1) or remove (0) the requested size of the live block
 * @p blk to or from its tag @p t's sum, which the statistics report as the
 * allocated bytes, so that they agree with the size queries. */
static inline void poison_count(tagctl_t *t, const char *blk, int sign) {
#if CAPHEAP_POISONING
    size_t n = (size_t)head_canary(blk)[1];
    t->requested = sign ? t->requested + n : t->requested - n;
#else
    (void)t;
    (void)blk;
    (void)sign;
#endif
}

/** The requested size of a live block (its usable size without poisoning). */
static inline size_t live_bytes(const char *blk) {
#if CAPHEAP_POISONING
    return (size_t)head_canary(blk)[1];
#else
    return hdr_size(*hdr_at(blk)) - HDR_BYTES;
#endif
}

/** Verify the canaries of the live block @p blk. */
static inline capheap_fault_t poison_check_live(const char *blk,
                                                capheap_check_report_t *rep) {
#if CAPHEAP_POISONING
    const word_t *h = head_canary(blk);
    if (h[0] != HEAD_MAGIC)
        return poison_fault(rep, CAPHEAP_FAULT_HEAD_CANARY, &h[0], HEAD_MAGIC,
                            h[0]);
    /* The size word is part of the head canary: it must leave room for the
     * tail inside the block. */
    size_t room = hdr_size(*hdr_at(blk)) - HDR_BYTES;
    if (h[1] > room - TAIL_BYTES)
        return poison_fault(rep, CAPHEAP_FAULT_HEAD_CANARY, &h[1],
                            room - TAIL_BYTES, h[1]);
    const char *tail = payload_of((char *)(uintptr_t)blk) + h[1];
    if (get_tail(tail) != TAIL_MAGIC)
        return poison_fault(rep, CAPHEAP_FAULT_TAIL_CANARY, tail, TAIL_MAGIC,
                            get_tail(tail));
#else
    (void)blk;
    (void)rep;
#endif
    return CAPHEAP_FAULT_NONE;
}

/** Fill the body of the free block [blk, blk + size) (comprehensive). */
static inline void poison_free(char *blk, size_t size) {
#if CAPHEAP_POISONING >= 2
    fill(free_body(blk), (size_t)(blk + size - WORD_BYTES - free_body(blk)),
         FREE_FILL);
#else
    (void)blk;
    (void)size;
#endif
}

/** Verify the fill of the free block [blk, blk + size) (comprehensive). */
static inline capheap_fault_t poison_check_free(char *blk, size_t size,
                                                capheap_check_report_t *rep) {
#if CAPHEAP_POISONING >= 2
    return poison_check_fill(free_body(blk), blk + size - WORD_BYTES, FREE_FILL,
                             rep);
#else
    (void)blk;
    (void)size;
    (void)rep;
    return CAPHEAP_FAULT_NONE;
#endif
}

#endif /* CAPHEAP_CORE_POISON_H */
