/* Read through the old pointer after realloc moved the block. */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 40);
    void *below = capheap_heap_alloc(h, 0, 40);
    san_require(p && below, "alloc");
    /* p's successor is the region's end marker: it cannot grow in place. */
    p[20] = 7;
    vbyte *q = capheap_heap_realloc(h, (void *)p, 4000);
    san_require(q && q != p && q[20] == 7, "realloc moves");
    san_expect("read through the stale pointer", p + 20);
    int stale = p[20];
    capheap_heap_free(h, (void *)q);
    capheap_heap_free(h, below);
    return stale == 7;
}
