#define _POSIX_C_SOURCE 200809L
/*
 * check_iram.c - an application whose sdkconfig.h (tests/sdkconfig/iram)
 * keeps heap functions in IRAM and sets a trace depth, with an esp_attr.h
 * (tests/sdkconfig/attr) whose IRAM_ATTR names a section: HEAP_IRAM_ATTR
 * is IRAM_ATTR, and a function marked with it lies in that section; the
 * trace records have the depth asked for. Linked with the default library:
 * neither option changes a structure that library uses (tracing is off in
 * it). check_off.c, in the same program, switches the probes off.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capheap/config.h"
#include "esp_heap_caps.h"
#include "esp_heap_trace.h"

#include "sim_host.h"

#if !CAPHEAP_SDKCONFIG || !CAPHEAP_ESP_ATTR
#error "sdkconfig.h and esp_attr.h were on the include path, not included"
#endif
#if defined(CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH)
#error "the wrong sdkconfig.h"
#endif
_Static_assert(CAPHEAP_TRACE_DEPTH == 5, "CONFIG_HEAP_TRACING_STACK_DEPTH");
_Static_assert(sizeof(((heap_trace_record_t *)0)->alloced_by) ==
                   5 * sizeof(void *),
               "records keep five callers");
_Static_assert(CAPHEAP_POISONING == 0 && CAPHEAP_HOOKS == 0,
               "CONFIG_HEAP_POISONING_DISABLED, no hooks");

#define STR(x)  STR_(x)
#define STR_(x) #x

/* The other translation unit's view, with the probes off. */
int off_trace_depth(void);
const char *off_heap_iram_attr(void);
int off_sdkconfig(void);

/* Bounds of the section IRAM_ATTR names (the linker's). */
extern const char __start_capheap_iram[], __stop_capheap_iram[];

/* Where an ESP-IDF application puts what must run with the cache off. */
HEAP_IRAM_ATTR int in_iram(int x) {
    return x * 3 + 1;
}

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            failures++;                                                        \
        }                                                                      \
    } while (0)

int main(void) {
    /* HEAP_IRAM_ATTR is IRAM_ATTR, as the compiler sees it and as the
     * linker placed the function. */
    CHECK(strcmp(STR(HEAP_IRAM_ATTR), STR(IRAM_ATTR)) == 0);
    CHECK(strstr(STR(HEAP_IRAM_ATTR), "capheap_iram") != NULL);
    uintptr_t f = (uintptr_t)&in_iram;
    CHECK(f >= (uintptr_t)__start_capheap_iram &&
          f < (uintptr_t)__stop_capheap_iram);
    CHECK(in_iram(4) == 13);
    /* With the probes switched off the same headers see neither file. */
    CHECK(off_sdkconfig() == 0);
    CHECK(off_trace_depth() == 2);
    CHECK(strcmp(off_heap_iram_attr(), "") == 0);
    /* The default library serves the application as ever. */
    if (sim_host_boot()) {
        void *p = heap_caps_malloc(100, MALLOC_CAP_8BIT);
        CHECK(p != NULL);
        heap_caps_free(p);
        CHECK(heap_caps_check_integrity_all(true));
    }
    printf("%s\n",
           failures ? "sdkconfig (iram): FAILED" : "sdkconfig (iram): ok");
    return failures ? 1 : 0;
}
