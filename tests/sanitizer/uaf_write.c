/* Write a block after freeing it (where the free list keeps no link, so the
 * heap itself survives). */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 40);
    void *q = capheap_heap_alloc(h, 0, 40); /* keeps p from merging */
    san_require(p && q, "alloc");
    capheap_heap_free(h, (void *)p);
    san_expect("use after free write", p + 20);
    p[20] = 1;
    capheap_heap_free(h, q);
    return 0;
}
