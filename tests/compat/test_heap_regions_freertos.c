/*
 * test_heap_regions_freertos.c - heap_regions.h after FreeRTOS's headers:
 * BaseType_t must come from FreeRTOS, not from capheap. The checks are at
 * compile time; a clash or a wrong type fails the build.
 */
#include "test_support.h"

/* What FreeRTOS.h leaves behind, with a type unlike capheap's fallback. */
#define INC_FREERTOS_H
typedef int BaseType_t;

#include "heap_regions.h"

#ifdef CAPHEAP_BASETYPE_T_DEFINED
#error "heap_regions.h defined BaseType_t although FreeRTOS had"
#endif
_Static_assert(_Generic((BaseType_t)0, int : 1, default : 0),
               "BaseType_t is FreeRTOS's");
_Static_assert(_Generic(((HeapRegionTagged_t *)0)->xTag, int : 1, default : 0),
               "xTag has FreeRTOS's BaseType_t");

/* Only calls without BaseType_t in their signature: the library itself was
 * built with the fallback type. */
static void links(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_regions_reset_for_test();
    vPortFreeTagged(NULL);
    assert_int_equal(ts_errors()->count, 0);
    assert_null(capheap_heap_regions_heap());
    assert_int_equal(capheap_heap_regions_count(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(links)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
