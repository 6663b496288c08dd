/*
 * test_config.c - ESP-IDF's Kconfig names select capheap's diagnostics
 * options (config.h), and capheap's own names win over them.
 */
/* This file sets its own configuration, whatever the build's is. */
#undef CAPHEAP_POISONING
#undef CAPHEAP_TRACE
#undef CAPHEAP_HOOKS
#undef CAPHEAP_OWNERS
#define CONFIG_HEAP_POISONING_COMPREHENSIVE 1
#define CONFIG_HEAP_TRACING_STANDALONE      1
#define CONFIG_HEAP_TASK_TRACKING           1
#define CAPHEAP_OWNERS                      0 /* set by hand: wins over the Kconfig name */
#include "capheap/config.h"

#include "test_support.h"

static void kconfig_names_map_to_options(void **state) {
    (void)state;
    assert_int_equal(CAPHEAP_POISONING, 2);
    assert_int_equal(CAPHEAP_TRACE, 1);
    assert_int_equal(CAPHEAP_HOOKS, 1); /* tracing needs the hooks */
    assert_int_equal(CAPHEAP_OWNERS, 0);
    assert_int_equal(CAPHEAP_BLOCK_PREFIX_BYTES, 2 * sizeof(void *));
    assert_int_equal(CAPHEAP_VALGRIND, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kconfig_names_map_to_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
