/* Free a block twice: capheap itself reports it (error hook, then abort);
 * the tool must not add a report of its own about the heap's header read. */
#include "san_test.h"

int main(void) {
    capheap_heap_t *h = san_heap();
    void *p = capheap_heap_alloc(h, 0, 40);
    void *q = capheap_heap_alloc(h, 0, 40); /* keeps p from merging */
    san_require(p && q, "alloc");
    capheap_heap_free(h, p);
    san_expect("double free", p);
    capheap_heap_free(h, p);
    capheap_heap_free(h, q);
    return 0;
}
