#define _POSIX_C_SOURCE 200809L
/*
 * test_walker.c - the heaps as ESP-IDF reports them, on the simulated
 * ESP32. Every report gives a heap as the range it was registered with:
 * the walker's heap bounds, heap_caps_print_heap_info() (ESP-IDF's lines,
 * "At 0x3ffae6e0 len 6432" for the first DRAM region) and heap_caps_dump().
 * And ESP-IDF's components/heap/test_apps/heap_tests/main/test_walker.c,
 * "heap walker corrupted heap detection": a block whose header is
 * overwritten with a size larger than the heap ends that heap's walk
 * without a crash; capheap's walker finds it itself, hands the callback
 * nothing past the damage, reports the block through the error hook and
 * walks the other heaps.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "caps/layout.h"
#include "esp_heap_caps.h"
#include "esp_test_env.h"

#define MAX_HEAPS 16

/* The ranges heap_caps_init() registered: the chip's layout with the
 * environment's options (what the system heap builds from), every piece
 * of which became a region. */
static size_t registered(capheap_avail_t *out) {
    const capheap_chip_t *named = NULL;
    capheap_chip_options_t opts;
    assert_int_equal(capheap_sim_options_from_env(&named, &opts), CAPHEAP_OK);
    size_t n = 0;
    assert_int_equal(capheap_layout_build(et_chip(), &opts, NULL, 0, out,
                                          MAX_HEAPS, &n, NULL),
                     CAPHEAP_OK);
    assert_int_equal(n, capheap_heap_region_count(heap_caps_capheap()->heap));
    return n;
}

#define PASS_CODE 0x9876BAABu

/* What a walk saw, heap by heap. It starts with a pass code, which the
 * callback checks it gets (ESP-IDF's test passes one as its user data). */
typedef struct {
    uint32_t code;
    intptr_t start[MAX_HEAPS], end[MAX_HEAPS];
    size_t blocks[MAX_HEAPS];
    size_t below[MAX_HEAPS]; /* blocks below `mark` */
    int heaps;
    const void *mark;
    bool mark_seen;
    bool past_end; /* a block reaching past its heap's end */
    bool user_ok;
} seen_t;

static bool record(walker_heap_into_t heap, walker_block_info_t block,
                   void *user) {
    seen_t *s = user;
    if (*(const uint32_t *)user != PASS_CODE)
        s->user_ok = false;
    int i = 0;
    while (i < s->heaps && s->start[i] != heap.start)
        i++;
    if (i == s->heaps) {
        assert_true(s->heaps < MAX_HEAPS);
        s->start[i] = heap.start;
        s->end[i] = heap.end;
        s->heaps++;
    }
    assert_int_equal(s->end[i], heap.end);
    /* ESP-IDF's test takes a block running past its heap's end for the
     * damage; capheap's walker never hands one over. */
    if ((intptr_t)block.ptr < heap.start ||
        heap.end - (intptr_t)block.ptr < (intptr_t)block.size)
        s->past_end = true;
    s->blocks[i]++;
    if ((const char *)block.ptr < (const char *)s->mark)
        s->below[i]++;
    if (block.ptr == s->mark)
        s->mark_seen = true;
    return true;
}

static void walk_all(seen_t *s, const void *mark) {
    memset(s, 0, sizeof *s);
    s->code = PASS_CODE;
    s->mark = mark;
    s->user_ok = true;
    heap_caps_walk_all(record, s);
}

/* Seen as s->start[i]: its index, or -1. */
static int heap_at(const seen_t *s, intptr_t start) {
    for (int i = 0; i < s->heaps; i++) {
        if (s->start[i] == start)
            return i;
    }
    return -1;
}

/* The walker's heaps are exactly the registered ranges, each block inside
 * its own. */
static void walker_reports_registered_ranges(void **state) {
    (void)state;
    et_boot("esp32");
    void *p = heap_caps_malloc(100, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    capheap_avail_t av[MAX_HEAPS];
    size_t n = registered(av);
    static seen_t s;
    walk_all(&s, NULL);
    assert_true(s.user_ok);
    assert_false(s.past_end);
    assert_int_equal(s.heaps, (int)n);
    for (size_t k = 0; k < n; k++) {
        int i = heap_at(&s, (intptr_t)av[k].start);
        assert_true(i >= 0);
        assert_int_equal(s.end[i], (intptr_t)av[k].end);
        assert_true(s.blocks[i] > 0);
    }
    /* ESP-IDF's first DRAM heap on the ESP32 starts past the ROM's data:
     * 0x3FFAE6E0, 0x1920 bytes. capheap's blocks start 8 bytes in. */
    int d = heap_at(&s, 0x3FFAE6E0);
    assert_true(d >= 0);
    assert_int_equal(s.end[d], 0x3FFAE6E0 + 0x1920);
    heap_caps_free(p);
}

/* heap_caps_print_heap_info(): ESP-IDF's lines with each registered range;
 * heap_caps_dump(): each heap by its registered start. */
static void print_and_dump_give_registered_ranges(void **state) {
    (void)state;
    et_boot("esp32");
    capheap_avail_t av[MAX_HEAPS];
    size_t n = registered(av);

    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_INVALID);
    char *text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "  At 0x3ffae6e0 len 6432 free "));
    assert_int_equal(et_count(text, "  At 0x"), (int)n);
    for (size_t k = 0; k < n; k++) {
        char at[64];
        snprintf(at, sizeof at, "  At 0x%08lx len %zu free ",
                 (unsigned long)av[k].start, (size_t)(av[k].end - av[k].start));
        assert_non_null(strstr(text, at));
    }
    free(text);

    ts_capture_begin(&cap, false);
    heap_caps_dump_all();
    text = ts_capture_end(&cap);
    assert_int_equal(et_count(text, "Showing data for heap: "), (int)n);
    for (size_t k = 0; k < n; k++) {
        char at[64];
        snprintf(at, sizeof at, "Showing data for heap: %p \n",
                 (void *)av[k].start);
        assert_non_null(strstr(text, at));
    }
    free(text);
}

/* Each heap's min_free: its memory type's low-water mark where the type
 * has one region; where it has several, the lowest the region can have
 * been: the type's mark less the other regions' registered lengths, at
 * least 0. */
static void print_gives_each_heap_a_minimum(void **state) {
    (void)state;
    et_boot("esp32");
    /* Lower the marks: a block in each of two types, freed. */
    heap_caps_free(heap_caps_malloc(5000, MALLOC_CAP_8BIT));
    heap_caps_free(heap_caps_malloc(3000, MALLOC_CAP_EXEC));
    capheap_heap_t *h = heap_caps_capheap()->heap;
    unsigned n = capheap_heap_region_count(h);
    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_INVALID);
    char *text = ts_capture_end(&cap);
    int lines = 0, alone = 0;
    for (const char *l = strstr(text, "At 0x"); l; l = strstr(l + 1, "At 0x")) {
        unsigned long addr;
        size_t len, fr, al, mn;
        assert_int_equal(sscanf(l,
                                "At 0x%lx len %zu free %zu allocated %zu "
                                "min_free %zu\n",
                                &addr, &len, &fr, &al, &mn),
                         5);
        lines++;
        capheap_region_info_t r;
        unsigned i = 0;
        for (; i < n; i++) {
            assert_int_equal(capheap_heap_region_info(h, i, &r), CAPHEAP_OK);
            if ((uintptr_t)r.registered_start == addr)
                break;
        }
        assert_true(i < n);
        capheap_stats_t t;
        assert_int_equal(capheap_heap_tag_stats(h, r.tag, &t), CAPHEAP_OK);
        size_t others = 0;
        int peers = 0;
        for (unsigned k = 0; k < n; k++) {
            capheap_region_info_t o;
            assert_int_equal(capheap_heap_region_info(h, k, &o), CAPHEAP_OK);
            if (k != i && o.tag == r.tag) {
                others += (size_t)((char *)o.registered_end -
                                   (char *)o.registered_start);
                peers++;
            }
        }
        if (!peers) {
            alone++;
            assert_int_equal(mn, t.minimum_free_bytes);
        } else {
            assert_int_equal(mn, t.minimum_free_bytes > others
                                     ? t.minimum_free_bytes - others
                                     : 0);
        }
        assert_true(mn <= fr);
    }
    assert_int_equal(lines, (int)n);
    assert_true(alone > 0); /* IRAM, at least */
    free(text);
}

/* ESP-IDF's damage and two more: the 32-bit word before the payload set to
 * 0xFF000000 (the upper half of a 64-bit header, where the region index
 * lives; the whole header on a 32-bit heap), the whole header all ones (a
 * size past the heap's end), the whole header zero. */
enum { IDF_WORD, ALL_ONES, ZERO, DAMAGES };

static void damage(void *p, int how) {
    char *hdr = (char *)p - CAPHEAP_BLOCK_PREFIX_BYTES - sizeof(uintptr_t);
    if (how == IDF_WORD) {
        uint32_t w = 0xFF000000u;
        memcpy(hdr + sizeof(uintptr_t) - sizeof w, &w, sizeof w);
    } else {
        memset(hdr, how == ALL_ONES ? 0xFF : 0, sizeof(uintptr_t));
    }
}

static void walker_stops_at_a_damaged_block(void **state) {
    (void)state;
    et_boot("esp32");
    for (int how = 0; how < DAMAGES; how++) {
        uint32_t *p = heap_caps_malloc(16, MALLOC_CAP_DEFAULT);
        assert_non_null(p);
        *p = PASS_CODE;
        static seen_t clean, hurt;
        walk_all(&clean, p);
        assert_true(clean.mark_seen);
        assert_true(clean.user_ok);

        char *hdr = (char *)p - CAPHEAP_BLOCK_PREFIX_BYTES - sizeof(uintptr_t);
        uintptr_t saved;
        memcpy(&saved, hdr, sizeof saved);
        damage(p, how);
        ts_errors_reset();
        walk_all(&hurt, p);
        /* The damaged block and what follows it in its heap are not
         * handed over; nothing reaches past a heap's end. */
        assert_false(hurt.mark_seen);
        assert_false(hurt.past_end);
        assert_true(hurt.user_ok);
        /* Reported once: the block's header. */
        assert_int_equal(ts_errors()->count, 1);
        assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
        assert_string_equal(ts_errors()->last_op, "walk");
        assert_ptr_equal(ts_errors()->last_addr, hdr);
        const capheap_check_report_t *d = capheap_error_detail();
        assert_non_null(d);
        assert_ptr_equal(d->addr, hdr);
        assert_int_equal(d->fault, CAPHEAP_FAULT_BLOCK);
        /* Its heap up to it, every other heap whole. */
        assert_int_equal(hurt.heaps, clean.heaps);
        for (int i = 0; i < clean.heaps; i++) {
            int j = heap_at(&hurt, clean.start[i]);
            assert_true(j >= 0);
            bool holds =
                (intptr_t)p >= clean.start[i] && (intptr_t)p < clean.end[i];
            assert_int_equal(hurt.blocks[j],
                             holds ? clean.below[i] : clean.blocks[i]);
        }
        assert_false(heap_caps_check_integrity_all(false));

        memcpy(hdr, &saved, sizeof saved);
        ts_errors_reset();
        walk_all(&hurt, p);
        assert_true(hurt.mark_seen);
        assert_int_equal(ts_errors()->count, 0);
        assert_true(heap_caps_check_integrity_all(true));
        heap_caps_free(p);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walker_reports_registered_ranges),
        cmocka_unit_test(print_and_dump_give_registered_ranges),
        cmocka_unit_test(print_gives_each_heap_a_minimum),
        cmocka_unit_test(walker_stops_at_a_damaged_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
