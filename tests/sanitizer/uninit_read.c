/* Branch on a byte realloc copied from the old block's slack: it was never
 * written, so Valgrind must call it uninitialised, as it would on glibc.
 * (ASan does not track initialisation: run.sh expects nothing from it.) */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    vbyte *p = capheap_heap_alloc(h, 0, 13);
    void *below = capheap_heap_alloc(h, 0, 40);
    san_require(p && below, "alloc");
    for (int i = 0; i < 13; i++)
        p[i] = 1;
    vbyte *q = capheap_heap_realloc(h, (void *)p, 200);
    san_require(q && q != p, "realloc moves");
    san_expect("uninitialised byte", q + 20);
    if (q[20] == 1) /* byte 20: in the old block's slack */
        puts("one");
    capheap_heap_free(h, (void *)q);
    capheap_heap_free(h, below);
    return 0;
}
