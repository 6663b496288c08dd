/* Shrink a block in place, then write past its new size (inside the old). */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 100);
    san_require(p != NULL, "alloc");
    for (int i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    vbyte *q = capheap_heap_realloc(h, (void *)p, 40);
    san_require(q == p, "shrink in place");
    san_expect("write past the shrunk size", q + 40);
    q[40] = 0;
    capheap_heap_free(h, (void *)q);
    return 0;
}
