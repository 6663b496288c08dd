/*
 * test_light_poisoning.c - light heap poisoning (CAPHEAP_POISONING 1): the
 * canaries catch overflows; free memory is not filled, so writes to it go
 * unseen (poison_cases.h asserts both).
 */
#include "poison_cases.h"

#if CAPHEAP_POISONING != 1
#error "built against the light-poisoning library"
#endif

int main(void) {
    const struct CMUnitTest tests[] = {POISON_TESTS};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
