/* Write one byte past the 13 bytes asked for: the block has slack up to its
 * usable size, and the tool must still report the write. */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 13);
    san_require(p != NULL, "alloc");
    for (int i = 0; i < 13; i++)
        p[i] = (unsigned char)i;
    san_expect("overflow write", p + 13);
    p[13] = 0xAA;
    capheap_heap_free(h, (void *)p);
    return 0;
}
