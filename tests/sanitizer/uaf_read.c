/* Read a block after freeing it. */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 40);
    san_require(p != NULL, "alloc");
    p[20] = 1;
    capheap_heap_free(h, (void *)p);
    san_expect("use after free read", p + 20);
    return p[20] == 1;
}
