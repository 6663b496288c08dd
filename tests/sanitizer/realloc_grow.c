/* Grow a block in place, then write past its new size. The bytes it had
 * keep their (defined) contents: Valgrind must not complain about them. */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    void *above = capheap_heap_alloc(h, 0, 400);
    vbyte *p = capheap_heap_alloc(h, 0, 40);
    san_require(above && p, "alloc");
    capheap_heap_free(h, above); /* free room after p */
    for (int i = 0; i < 40; i++)
        p[i] = (unsigned char)i;
    vbyte *q = capheap_heap_realloc(h, (void *)p, 200);
    san_require(q == p, "grow in place");
    int sum = 0;
    for (int i = 0; i < 40; i++)
        sum += q[i] == i; /* a branch on the kept bytes */
    san_require(sum == 40, "contents kept");
    san_expect("write past the grown size", q + 200);
    q[200] = 0;
    capheap_heap_free(h, (void *)q);
    return 0;
}
