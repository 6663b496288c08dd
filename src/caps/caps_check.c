/*
 * caps_check.c - integrity checks by capability and by address: the core's
 * per-tag check over the types a mask or an address selects.
 */
#include <stdatomic.h>

#include "capheap/caps.h"

capheap_err_t capheap_caps_check(capheap_caps_t *ch, uint32_t caps,
                                 capheap_check_report_t *report) {
    /* A mask no type offers checks nothing, as in ESP-IDF. */
    capheap_err_t err = CAPHEAP_OK;
    if (report)
        *report = (capheap_check_report_t){CAPHEAP_OK, CAPHEAP_FAULT_NONE, NULL,
                                           0, 0};
    /* Acquire: a type counted is complete (caps.c's add_region). */
    unsigned n = atomic_load_explicit(&ch->type_count, memory_order_acquire);
    for (unsigned t = 0; t < n && !err; t++) {
        if ((ch->types[t].all & caps) == caps)
            err = capheap_heap_check_tag(ch->heap, t, report);
    }
    return err;
}

capheap_err_t capheap_caps_check_addr(capheap_caps_t *ch, uintptr_t addr,
                                      capheap_check_report_t *report) {
    /* An instruction-bus alias is checked where its data-bus view lies. */
    addr = capheap_caps_iram_to_dram(ch->chip, addr);
    return capheap_heap_check_addr(ch->heap, (const void *)addr, report);
}
