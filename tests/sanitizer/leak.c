/* Drop the only pointer to a block. */
#include "san_test.h"

/* Out of line, so that no register or stack slot of main keeps the pointer. */
__attribute__((noinline)) static void lose(capheap_heap_t *h) {
    vbyte *p = capheap_heap_alloc(h, 0, 100);
    san_require(p != NULL, "alloc");
    for (int i = 0; i < 100; i++)
        p[i] = 0;
    san_expect("leak of 100 bytes", p);
}

/* Overwrites the stack lose() used. */
__attribute__((noinline)) static void scrub(void) {
    volatile char junk[512];
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

int main(void) {
    capheap_heap_t *h = san_heap();
    lose(h);
    scrub();
    return 0;
}
