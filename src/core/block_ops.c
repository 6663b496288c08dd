/*
 * block_ops.c - the one copy of each block operation in builds for size
 * (CAPHEAP_CORE_OUTLINE, block_ops.h); empty otherwise.
 */
#include "block_ops.h"

#if CAPHEAP_CORE_OUTLINE
#define CORE_OP
#include "block_ops_impl.h"
#else
typedef int capheap_block_ops_inline; /* ISO C: no empty file */
#endif
