/*
 * check.c - integrity checks by capability and by address: the core's
 * per-tag check over the types a mask or an address selects.
 */
#include "capheap/caps.h"

capheap_err_t capheap_caps_check(capheap_caps_t *ch, uint32_t caps,
                                 capheap_check_report_t *report) {
    /* The unknown tag type_count checks the region records alone, so that
     * a mask no type offers still vouches for them. */
    capheap_err_t err =
        capheap_heap_check_tag(ch->heap, ch->type_count, report);
    for (unsigned t = 0; t < ch->type_count && !err; t++) {
        if ((ch->types[t].all & caps) == caps)
            err = capheap_heap_check_tag(ch->heap, t, report);
    }
    return err;
}

capheap_err_t capheap_caps_check_addr(capheap_caps_t *ch, uintptr_t addr,
                                      capheap_check_report_t *report) {
    /* An instruction-bus alias is checked where its data-bus view lies. */
    if (addr - ch->iram_lo < ch->iram_span) {
        uintptr_t d = capheap_caps_iram_to_dram(ch->chip, addr);
        addr = d ? d : addr;
    }
    /* Regions nest only inside live blocks: the innermost starts last. */
    capheap_region_info_t best = {0, 0, 0};
    for (unsigned r = 0; r < capheap_heap_region_count(ch->heap); r++) {
        capheap_region_info_t ri;
        if (capheap_heap_region_info(ch->heap, r, &ri) != CAPHEAP_OK)
            continue;
        if (addr >= (uintptr_t)ri.start && addr < (uintptr_t)ri.end &&
            (!best.start || ri.start > best.start))
            best = ri;
    }
    if (!best.start)
        return CAPHEAP_ERR_FOREIGN_POINTER;
    return capheap_heap_check_tag(ch->heap, best.tag, report);
}
