/*
 * test_poisoning.c - comprehensive heap poisoning (CAPHEAP_POISONING 2):
 * canaries, fills, and the reports they lead to. The cases are shared with
 * test_light_poisoning.c (poison_cases.h).
 */
#include "poison_cases.h"

#if CAPHEAP_POISONING != 2
#error "built against the comprehensive-poisoning library"
#endif

int main(void) {
    const struct CMUnitTest tests[] = {POISON_TESTS};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
