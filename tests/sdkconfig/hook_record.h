/*
 * hook_record.h - what the allocation hooks of flash_hooks.cpp saw, for
 * check_flash.c.
 */
#ifndef CAPHEAP_TEST_HOOK_RECORD_H
#define CAPHEAP_TEST_HOOK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The hooks' record: calls and the arguments of the last of each. */
typedef struct {
    int allocs, frees;
    void *alloc_ptr, *free_ptr;
    size_t alloc_size;
    uint32_t alloc_caps;
} hook_record_t;

/** The record (defined beside the hooks). */
extern hook_record_t hook_record;

#ifdef __cplusplus
}
#endif

#endif
