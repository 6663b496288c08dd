#define _POSIX_C_SOURCE 200809L
/*
 * test_add_region_allowed.c - heap_caps_check_add_region_allowed(), the
 * rule by which ESP-IDF refuses a runtime heap that overlaps an existing
 * one: every case ESP-IDF's "Add heap region address range checks" tests
 * (in its current and its earlier form) and the ones between them, then
 * the same rule as heap_caps_add_region_with_caps() applies it on the
 * simulated ESP32.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_caps_internal.h"
#include "esp_test_env.h"

/* The existing heap of every case: [0x1000, 0x3000), as in ESP-IDF's test. */
#define HEAP_START 0x1000
#define HEAP_END   0x3000

typedef struct {
    intptr_t start, end;
    bool allowed;
    bool inside; /* lies inside the heap: the add functions ask for more */
    const char *what;
} range_case_t;

static const range_case_t cases[] = {
    {0x0000, 0x1000, true, false, "ends where the heap starts"},
    {0x3000, 0x4000, true, false, "starts where the heap ends"},
    {0x4000, 0x5000, true, false, "lies apart, above"},
    {0x0100, 0x0800, true, false, "lies apart, below"},
    {0x1000, 0x2999, true, true, "inside, sharing the start"},
    {0x1000, 0x2000, true, true, "inside, sharing the start (earlier test)"},
    {0x1001, 0x3000, true, true, "inside, sharing the end"},
    {0x1001, 0x2999, true, true, "inside, sharing neither end"},
    {0x0000, 0x2000, false, false, "straddles the start"},
    {0x0000, 0x4000, false, false, "covers the heap and more"},
    {0x1000, 0x4000, false, false, "shares the start, straddles the end"},
    {0x2000, 0x4000, false, false, "straddles the end"},
    {0x0000, 0x3000, false, false, "straddles the start, shares the end"},
    {0x1000, 0x3000, false, false, "is the heap itself again"},
};
#define NCASES (sizeof cases / sizeof cases[0])

static void every_case_of_the_rule(void **state) {
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const range_case_t *c = &cases[i];
        bool got = heap_caps_check_add_region_allowed(HEAP_START, HEAP_END,
                                                      c->start, c->end);
        if (got != c->allowed)
            fail_msg("[%#lx, %#lx) %s: %s, expected %s", (long)c->start,
                     (long)c->end, c->what, got ? "allowed" : "refused",
                     c->allowed ? "allowed" : "refused");
        /* The capability layer's rule is the same one. */
        assert_int_equal(capheap_caps_add_region_allowed(HEAP_START, HEAP_END,
                                                         (uintptr_t)c->start,
                                                         (uintptr_t)c->end),
                         c->allowed);
    }
}

/* Addresses are compared as unsigned: a heap across the middle of the
 * address space (where intptr_t changes sign) is one range. */
static void addresses_compare_unsigned(void **state) {
    (void)state;
    uintptr_t mid = (uintptr_t)INTPTR_MAX + 1;
    intptr_t hs = (intptr_t)(mid - 0x1000), he = (intptr_t)(mid + 0x1000);
    assert_true(heap_caps_check_add_region_allowed(hs, he, (intptr_t)mid,
                                                   (intptr_t)(mid + 0x800)));
    assert_false(heap_caps_check_add_region_allowed(
        hs, he, (intptr_t)(mid - 0x2000), (intptr_t)mid));
    assert_false(heap_caps_check_add_region_allowed(hs, he, (intptr_t)mid,
                                                    (intptr_t)(mid + 0x2000)));
    assert_true(heap_caps_check_add_region_allowed(
        hs, he, (intptr_t)(mid + 0x1000), (intptr_t)(mid + 0x2000)));
    assert_false(heap_caps_check_add_region_allowed(hs, he, hs, he));
}

/* heap_caps_add_region_with_caps() refuses exactly what the rule refuses,
 * and accepts the ranges outside the heap, each case on a fresh system
 * heap holding the heap [base + 0x1000, base + 0x3000). A range inside it
 * is refused too, although the rule allows it: the add functions also
 * demand that it lie within one live block (esp_heap_caps_internal.h). */
static void add_region_with_caps_applies_it(void **state) {
    (void)state;
    const uint32_t caps[3] = {1u << 29, 0, 0};
    for (size_t i = 0; i < NCASES; i++) {
        const range_case_t *c = &cases[i];
        et_boot("esp32");
        unsigned char *base = ts_arena(0x6000);
        intptr_t b = (intptr_t)base;
        assert_int_equal(
            heap_caps_add_region_with_caps(caps, b + HEAP_START, b + HEAP_END),
            ESP_OK);
        size_t total = heap_caps_get_total_size(1u << 29);
        esp_err_t want = c->allowed && !c->inside ? ESP_OK : ESP_FAIL;
        esp_err_t got =
            heap_caps_add_region_with_caps(caps, b + c->start, b + c->end);
        if (got != want)
            fail_msg("[%#lx, %#lx) %s: %d, expected %d", (long)c->start,
                     (long)c->end, c->what, got, want);
        if (got == ESP_OK)
            assert_true(heap_caps_get_total_size(1u << 29) > total);
        else
            assert_int_equal(heap_caps_get_total_size(1u << 29), total);
        assert_true(heap_caps_check_integrity_all(true));
        heap_caps_init(); /* forget the heaps in the arena before freeing */
        ts_arena_free(base);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_case_of_the_rule),
        cmocka_unit_test(addresses_compare_unsigned),
        cmocka_unit_test(add_region_with_caps_applies_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
