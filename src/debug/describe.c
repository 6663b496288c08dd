/*
 * describe.c - one line of words for a check report, for the ports and the
 * compatible APIs' printed reports. capheap's own formatter: no libc
 * printf, so it serves firmware too.
 */
#include "capheap/debug.h"
#include "capheap/output.h"

int capheap_describe_fault(char *buf, size_t size,
                           const capheap_check_report_t *rep) {
    switch (rep->fault) {
    case CAPHEAP_FAULT_HEAD_CANARY:
    case CAPHEAP_FAULT_TAIL_CANARY:
    case CAPHEAP_FAULT_FREE_FILL:
        return capheap_snprintf(
            buf, size, "%s at %p, expected 0x%llx, found 0x%llx",
            capheap_fault_str(rep->fault), rep->addr,
            (unsigned long long)rep->expected, (unsigned long long)rep->found);
    default:
        return capheap_snprintf(buf, size, "%s at %p",
                                capheap_fault_str(rep->fault), rep->addr);
    }
}
