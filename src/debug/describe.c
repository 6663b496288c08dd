/*
 * describe.c - one line of words for a check report, for the hosted ports
 * and the compatible APIs' printed reports.
 */
#include <stdio.h>

#include "capheap/debug.h"

int capheap_describe_fault(char *buf, size_t size,
                           const capheap_check_report_t *rep) {
    switch (rep->fault) {
    case CAPHEAP_FAULT_HEAD_CANARY:
    case CAPHEAP_FAULT_TAIL_CANARY:
    case CAPHEAP_FAULT_FREE_FILL:
        return snprintf(buf, size, "%s at %p, expected 0x%llx, found 0x%llx",
                        capheap_fault_str(rep->fault), rep->addr,
                        (unsigned long long)rep->expected,
                        (unsigned long long)rep->found);
    default:
        return snprintf(buf, size, "%s at %p", capheap_fault_str(rep->fault),
                        rep->addr);
    }
}
