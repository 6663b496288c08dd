/* The control: every public function, used correctly, on two tags with
 * several regions (one added later, larger, so the tag's control block
 * moves). The tool must report nothing, and no block may leak. */
#include <string.h>

#include "san_test.h"

static _Alignas(64) unsigned char big[256 * 1024];

static bool count_block(const capheap_block_info_t *b, void *user) {
    *(size_t *)user += b->used && !b->control;
    return true;
}

/* Fill the @p n bytes asked for and check them back, with branches on the
 * contents, so that memcheck would see an undefined or inaccessible byte. */
static void fill(vbyte *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i);
    for (size_t i = 0; i < n; i++)
        san_require(p[i] == (unsigned char)(seed + i), "contents");
}

int main(void) {
    capheap_heap_t *h = san_heap();
    enum { N = 64 };
    vbyte *blk[N];
    size_t len[N];

    for (unsigned i = 0; i < N; i++) {
        len[i] = 1 + (i * 37) % 300;
        if (i % 8 == 3) {
            blk[i] =
                capheap_heap_aligned_alloc(h, i % 2, 64 << (i % 3), len[i]);
            san_require(blk[i] && (uintptr_t)blk[i] % (64u << (i % 3)) == 0,
                        "aligned_alloc");
        } else if (i % 8 == 5) {
            static const uint8_t order[] = {1, 0};
            blk[i] = capheap_heap_alloc_from(h, order, 2, len[i]);
        } else {
            blk[i] = capheap_heap_alloc(h, i % 2, len[i]);
        }
        san_require(blk[i] != NULL, "alloc");
        size_t n = capheap_heap_usable_size(h, (void *)blk[i]);
        san_require(n >= len[i], "usable_size");
        /* Every usable byte may be used, as with malloc_usable_size(). */
        fill(blk[i], n, i);
        len[i] = n;
    }

    /* A larger region for tag 0 takes over its control block. */
    san_require(capheap_heap_add_region(h, big, sizeof big, 0) == CAPHEAP_OK,
                "add_region");
    capheap_region_info_t ri;
    san_require(capheap_heap_region_info(h, 2, &ri) == CAPHEAP_OK &&
                    ri.tag == 0,
                "region_info");

    /* Resize every other block: grow, shrink, move; contents kept. */
    for (unsigned i = 0; i < N; i += 2) {
        size_t want = i % 4 ? len[i] / 2 + 1 : len[i] * 3 + 100;
        vbyte *q = capheap_heap_realloc(h, (void *)blk[i], want);
        san_require(q != NULL, "realloc");
        size_t kept = want < len[i] ? want : len[i];
        for (size_t k = 0; k < kept; k++)
            san_require(q[k] == (unsigned char)(i + k), "realloc kept data");
        fill(q, want, i + 1);
        blk[i] = q;
        len[i] = want;
    }

    /* A buffer memcpy'd in and out, as user code does. */
    unsigned char buf[300];
    memset(buf, 0x5A, sizeof buf);
    memcpy((void *)blk[1], buf, len[1]);
    memcpy(buf, (void *)blk[1], len[1]);

    for (unsigned i = 0; i < N; i++) {
        san_require(capheap_heap_live_size(h, (void *)blk[i]) >= len[i],
                    "live_size");
        san_require(capheap_heap_block_tag(h, (void *)blk[i]) >= 0,
                    "block_tag");
        san_require(capheap_heap_containing_block(
                        h, (void *)(blk[i] + len[i] - 1)) == (void *)blk[i],
                    "containing_block");
    }
    size_t live = 0;
    san_require(capheap_heap_walk(h, count_block, &live) && live == N, "walk");
    capheap_stats_t st;
    capheap_heap_stats(h, &st);
    san_require(st.allocated_blocks == N, "stats");
    san_require(capheap_heap_check(h, NULL) == CAPHEAP_OK, "check");

    for (unsigned i = 0; i < N; i++)
        capheap_heap_free(h, (void *)blk[i]);
    capheap_heap_stats(h, &st);
    san_require(st.allocated_blocks == 0, "all freed");
    san_require(capheap_heap_check(h, NULL) == CAPHEAP_OK, "check");
    puts("clean: ok");
    return 0;
}
