#define _POSIX_C_SOURCE 200809L
/*
 * test_port_write.c - an application's own capheap_port_write() replaces
 * the default (stdout) one: everything heap_caps_print_heap_info(),
 * heap_caps_dump(), multi_heap_dump(), the integrity reports and
 * heap_trace_dump() print arrives there, in pieces of at most 64 bytes,
 * and nothing reaches stdout. The figures in the text are checked against
 * the heap's own (formatted here by glibc's snprintf).
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "../compat/esp_test_env.h"
#include "capheap/output.h"
#include "esp_heap_caps.h"
#include "esp_heap_trace.h"
#include "multi_heap.h"

#if !CAPHEAP_TRACE || CAPHEAP_POISONING < 1
#error "tests/debug/ builds with CAPHEAP_TRACE=1 and poisoning"
#endif

static char out[1 << 16];
static size_t out_len, out_writes;
/* Between begin() and end(): the reports' pieces are checked. (What else
 * prints, heap_caps_init()'s boot log in et_boot(), writes whole strings.) */
static bool reporting;

void capheap_port_write(const char *text, size_t len) {
    assert_true(len > 0);
    if (reporting)
        assert_true(len <= 64);
    assert_true(out_len + len < sizeof out);
    memcpy(out + out_len, text, len);
    out_len += len;
    out[out_len] = '\0';
    out_writes++;
}

/* Run the calls between begin and end with stdout captured too: what the
 * default output function would have printed must not appear there. */
static ts_capture_t std;

static void begin(void) {
    out_len = out_writes = 0;
    out[0] = '\0';
    reporting = true;
    ts_capture_begin(&std, false);
}

static const char *end(void) {
    char *s = ts_capture_end(&std);
    reporting = false;
    assert_string_equal(s, "");
    free(s);
    assert_true(out_writes >= (out_len + 63) / 64);
    return out;
}

static bool has(const char *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool has(const char *text, const char *fmt, ...) {
    char want[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    return strstr(text, want) != NULL;
}

typedef struct {
    int heaps;
    intptr_t start[16], end[16];
    int blocks;
} walk_t;

static bool walk_cb(walker_heap_into_t h, walker_block_info_t b, void *user) {
    walk_t *w = user;
    (void)b;
    if (w->heaps == 0 || w->start[w->heaps - 1] != h.start) {
        w->start[w->heaps] = h.start;
        w->end[w->heaps] = h.end;
        w->heaps++;
    }
    w->blocks++;
    return true;
}

static void heap_info_and_dump(void **state) {
    (void)state;
    et_boot("esp32");
    void *p = heap_caps_malloc(1000, MALLOC_CAP_DMA);
    assert_non_null(p);
    static walk_t w;
    memset(&w, 0, sizeof w);
    heap_caps_walk(MALLOC_CAP_DMA, walk_cb, &w);
    assert_true(w.heaps > 0);

    begin();
    heap_caps_print_heap_info(MALLOC_CAP_DMA);
    const char *t = end();
    assert_true(has(t, "Heap summary for capabilities 0x%08X:\n",
                    (unsigned)MALLOC_CAP_DMA));
    for (int i = 0; i < w.heaps; i++)
        assert_true(has(t, "  At 0x%08lx len %zu free ",
                        (unsigned long)w.start[i],
                        (size_t)(w.end[i] - w.start[i])));
    multi_heap_info_t info;
    heap_caps_get_info(&info, MALLOC_CAP_DMA);
    assert_true(has(t,
                    "  Totals:\n    free %zu allocated %zu min_free %zu "
                    "largest_free_block %zu\n",
                    info.total_free_bytes, info.total_allocated_bytes,
                    info.minimum_free_bytes, info.largest_free_block));

    begin();
    heap_caps_dump(MALLOC_CAP_DMA);
    t = end();
    for (int i = 0; i < w.heaps; i++)
        assert_true(has(t, "Showing data for heap: %p \n", (void *)w.start[i]));
    assert_true(has(t, "Block %p data, size: %zu bytes, Free: No \n", p,
                    heap_caps_get_allocated_size(p)));
    int lines = 0;
    for (const char *l = strstr(t, "Block "); l; l = strstr(l + 1, "Block "))
        lines++;
    assert_int_equal(lines, w.blocks);
    heap_caps_free(p);
}

static void multi_heap_reports(void **state) {
    (void)state;
    char *arena = ts_arena(4096);
    multi_heap_handle_t h = multi_heap_register(arena, 4096);
    assert_non_null(h);
    char *a = multi_heap_malloc(h, 100);
    char *b = multi_heap_malloc(h, 200);
    assert_non_null(a);
    assert_non_null(b);

    begin();
    multi_heap_dump(h);
    const char *t = end();
    assert_true(has(t, "Showing data for heap: %p \n", (void *)arena));
    assert_true(has(t, "Block %p data, size: %zu bytes, Free: No \n", (void *)a,
                    multi_heap_get_allocated_size(h, a)));
    assert_true(has(t, "Block %p data, size: %zu bytes, Free: No \n", (void *)b,
                    multi_heap_get_allocated_size(h, b)));

    /* One byte past a: its tail canary. */
    size_t n = 100;
    a[n] ^= 0x40;
    begin();
    assert_false(multi_heap_check(h, true));
    t = end();
    assert_true(
        has(t, "CORRUPT HEAP: multi_heap %p: bad tail canary at ", (void *)h));
    begin();
    assert_false(multi_heap_check(h, false));
    t = end();
    assert_string_equal(t, "");
    a[n] ^= 0x40;
    assert_true(multi_heap_check(h, true));
    multi_heap_free(h, a);
    multi_heap_free(h, b);
    ts_arena_free(arena);
}

static void integrity_report(void **state) {
    (void)state;
    et_boot("esp32");
    unsigned char *d = heap_caps_malloc(40, MALLOC_CAP_DMA);
    assert_non_null(d);
    d[40] ^= 0x10;
    begin();
    assert_false(heap_caps_check_integrity_all(true));
    const char *t = end();
    assert_true(has(t, "CORRUPT HEAP: bad tail canary at %p, expected 0x",
                    (void *)(d + 40)));
    assert_int_equal(t[strlen(t) - 1], '\n');
    d[40] ^= 0x10;
    heap_caps_free(d);
}

static void trace_dump(void **state) {
    (void)state;
    (void)heap_trace_stop();
    capheap_trace_set_output(NULL); /* the port's output function */
    et_boot("esp32");
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    void *x = heap_caps_malloc(123, MALLOC_CAP_INTERNAL);
    void *y = heap_caps_malloc(77, MALLOC_CAP_8BIT);
    assert_non_null(x);
    assert_non_null(y);
    begin();
    heap_trace_dump();
    const char *t = end();
    assert_true(has(t, "heap trace (leaks): 2 of 8 records\n"));
    assert_true(has(t, "  %p 123 bytes, caps 0x%08x, time ", x,
                    (unsigned)MALLOC_CAP_INTERNAL));
    assert_true(has(t, "  %p 77 bytes, caps 0x%08x, time ", y,
                    (unsigned)MALLOC_CAP_8BIT));
    assert_true(has(t, "2 records shown, 200 bytes in 2 blocks not freed\n"));
    heap_caps_free(x);
    heap_caps_free(y);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_info_and_dump),
        cmocka_unit_test(multi_heap_reports),
        cmocka_unit_test(integrity_report),
        cmocka_unit_test(trace_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
