/*
 * check_off.c - the probes of capheap's headers switched off
 * (CAPHEAP_SDKCONFIG=0, CAPHEAP_ESP_ATTR=0; tests/CMakeLists.txt sets them
 * for this file), with the same include path as check_iram.c: neither
 * sdkconfig.h nor esp_attr.h is read, so the defaults hold. What it sees
 * goes to check_iram.c.
 */
#include "capheap/config.h"
#include "esp_heap_caps.h"
#include "esp_heap_trace.h"

#if CAPHEAP_SDKCONFIG || CAPHEAP_ESP_ATTR
#error "the probes are on"
#endif
#if defined(CONFIG_HEAP_TRACING_STACK_DEPTH) &&                                \
    CONFIG_HEAP_TRACING_STACK_DEPTH != 2
#error "sdkconfig.h was read"
#endif
#ifdef IRAM_ATTR
#error "esp_attr.h was read"
#endif

#define STR(x)  STR_(x)
#define STR_(x) #x

int off_sdkconfig(void);
int off_trace_depth(void);
const char *off_heap_iram_attr(void);

int off_sdkconfig(void) {
    return CAPHEAP_SDKCONFIG;
}

int off_trace_depth(void) {
    return CAPHEAP_TRACE_DEPTH;
}

const char *off_heap_iram_attr(void) {
    return STR(HEAP_IRAM_ATTR);
}
