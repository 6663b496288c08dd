/* Write a word just past a block that fills its usable size exactly: the
 * word is the header of the next block, which the tool must guard. */
#include "san_test.h"

static void *next; /* its header is damaged: never freed, kept reachable */

int main(void) {
    capheap_heap_t *h = san_heap();
    next = capheap_heap_alloc(h, 0, 24);
    /* Blocks are carved from the top of a free block, so the second one
     * lies just below the first. */
    unsigned char *p = capheap_heap_alloc(h, 0, 24);
    san_require(next && p, "alloc");
    size_t n = capheap_heap_usable_size(h, p);
    san_require(n == 24, "no slack after the block");
    vbyte *hdr = p + n;
    san_require(hdr + sizeof(uintptr_t) == (vbyte *)next,
                "the next block follows");
    san_expect("next header write", hdr);
    *(volatile uintptr_t *)(volatile void *)hdr = 0;
    capheap_heap_free(h, p);
    return 0;
}
