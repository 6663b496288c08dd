/* Write the byte before the block: its own header, which must stay
 * inaccessible while the block is live. */
#include "san_test.h"

static vbyte *keep; /* reachable: the header is damaged, so never freed */

int main(void) {
    capheap_heap_t *h = san_heap();
    keep = capheap_heap_alloc(h, 0, 24);
    san_require(keep != NULL, "alloc");
    san_expect("header write", keep - 1);
    keep[-1] = 0;
    return 0;
}
