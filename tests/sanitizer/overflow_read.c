/* Read one byte past the 13 bytes asked for, inside the block's slack. */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 13);
    san_require(p != NULL, "alloc");
    for (int i = 0; i < 13; i++)
        p[i] = (unsigned char)i;
    san_expect("overflow read", p + 13);
    unsigned char c = p[13];
    capheap_heap_free(h, (void *)p);
    return c == 0xAA; /* uses c; the status is not what is tested */
}
