#define _POSIX_C_SOURCE 200809L
/*
 * check_flash.c - an application with an sdkconfig.h (tests/sdkconfig/
 * flash) and an esp_attr.h (tests/sdkconfig/attr) on its include path,
 * linked with a library built with the same path and nothing else
 * (capheap_sdkconfig). The options reach the application's view of the
 * headers (checked as the compiler sees them) and the library (checked by
 * what it does: the hooks are called, a tail canary catches an overflow).
 */
#include <stdio.h>
#include <string.h>

#include "capheap/config.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

#include "hook_record.h"
#include "sim_host.h"

/* The application's view. */
#if !CAPHEAP_SDKCONFIG
#error "sdkconfig.h was on the include path but not included"
#endif
#ifndef CONFIG_HEAP_USE_HOOKS
#error "capheap/config.h did not bring in sdkconfig.h"
#endif
#ifndef IRAM_ATTR
#error "esp_heap_caps.h did not bring in esp_attr.h"
#endif
_Static_assert(CAPHEAP_POISONING == 1, "CONFIG_HEAP_POISONING_LIGHT: light");
_Static_assert(CAPHEAP_HOOKS == 1, "CONFIG_HEAP_USE_HOOKS: the hooks");
/* Owners may be forced for the whole suite (make owners: -DCAPHEAP_OWNERS=1).
 */
_Static_assert(CAPHEAP_TRACE == 0, "no option that the sdkconfig.h leaves off");

#define STR(x)  STR_(x)
#define STR_(x) #x
/* CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH: nothing, although IRAM_ATTR is
 * there to be used. */
_Static_assert(sizeof STR(HEAP_IRAM_ATTR) == 1, "HEAP_IRAM_ATTR is empty");

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            failures++;                                                        \
        }                                                                      \
    } while (0)

int main(void) {
    if (!sim_host_boot())
        return 0;
    memset(&hook_record, 0, sizeof hook_record);
    /* The hooks (defined in C++, flash_hooks.cpp) hear what the library
     * does: it was built with CAPHEAP_HOOKS from the same sdkconfig.h. */
    unsigned char *p = heap_caps_malloc(10, MALLOC_CAP_8BIT);
    CHECK(p != NULL);
    if (!p)
        return 1;
    CHECK(hook_record.allocs == 1);
    CHECK(hook_record.alloc_ptr == p);
    CHECK(hook_record.alloc_size == 10);
    CHECK(hook_record.alloc_caps == MALLOC_CAP_8BIT);
    /* Light poisoning in the library: a canary right after the 10 bytes. */
    CHECK(heap_caps_check_integrity_all(false));
    unsigned char saved = p[10];
    p[10] = (unsigned char)~saved;
    CHECK(!heap_caps_check_integrity_all(false));
    p[10] = saved;
    CHECK(heap_caps_check_integrity_all(true));
    heap_caps_free(p);
    CHECK(hook_record.frees == 1);
    CHECK(hook_record.free_ptr == p);
    printf("%s\n",
           failures ? "sdkconfig (flash): FAILED" : "sdkconfig (flash): ok");
    return failures ? 1 : 0;
}
