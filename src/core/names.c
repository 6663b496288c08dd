/*
 * names.c - the words for error and fault codes. In a file of its own so
 * that firmware which never prints them links none of the text.
 */
#include "capheap/heap.h"

const char *capheap_err_str(capheap_err_t err) {
    static const char *const names[] = {
        [CAPHEAP_OK] = "ok",
        [CAPHEAP_ERR_INVALID_ARG] = "invalid argument",
        [CAPHEAP_ERR_TOO_SMALL] = "region too small",
        [CAPHEAP_ERR_TOO_LARGE] = "region too large",
        [CAPHEAP_ERR_OVERLAP] = "region overlaps existing memory",
        [CAPHEAP_ERR_NO_SLOT] = "no free region slot",
        [CAPHEAP_ERR_FOREIGN_POINTER] = "pointer outside every region",
        [CAPHEAP_ERR_NOT_BLOCK] = "pointer is not the start of a live block",
        [CAPHEAP_ERR_DOUBLE_FREE] = "double free",
        [CAPHEAP_ERR_CORRUPT] = "heap corrupt",
        [CAPHEAP_ERR_NO_CHIP] = "no chip named for the system heap",
        [CAPHEAP_ERR_NO_MALLOC] = "no memory type offers what malloc asks",
    };
    return (unsigned)err < sizeof names / sizeof names[0] ? names[err]
                                                          : "unknown error";
}

const char *capheap_fault_str(capheap_fault_t fault) {
    static const char *const names[] = {
        [CAPHEAP_FAULT_NONE] = "no fault",
        [CAPHEAP_FAULT_REGION] = "bad region record",
        [CAPHEAP_FAULT_BLOCK] = "bad block size or region index",
        [CAPHEAP_FAULT_PREV_FREE] = "PREV_FREE disagrees with the block before",
        [CAPHEAP_FAULT_ADJACENT_FREE] = "two adjacent free blocks",
        [CAPHEAP_FAULT_FOOTER] = "free block footer differs from its size",
        [CAPHEAP_FAULT_LIST] = "bad free list entry",
        [CAPHEAP_FAULT_BITMAP] = "bitmap disagrees with the free lists",
        [CAPHEAP_FAULT_COUNTERS] = "counters disagree with the blocks",
        [CAPHEAP_FAULT_END_MARKER] = "region end marker damaged",
        [CAPHEAP_FAULT_CONTROL] = "bad control block",
        [CAPHEAP_FAULT_HEAD_CANARY] = "bad head canary",
        [CAPHEAP_FAULT_TAIL_CANARY] = "bad tail canary",
        [CAPHEAP_FAULT_FREE_FILL] = "free memory modified",
        [CAPHEAP_FAULT_LINK] = "free-list link broken",
    };
    return (unsigned)fault < sizeof names / sizeof names[0] ? names[fault]
                                                            : "unknown fault";
}
