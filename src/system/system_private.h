/*
 * system_private.h - what the system heap's files share.
 */
#ifndef CAPHEAP_SYSTEM_PRIVATE_H
#define CAPHEAP_SYSTEM_PRIVATE_H

#include "capheap/caps.h"

#if CAPHEAP_HOOKS
/** Observe @p ch for tracing and ESP-IDF's weak allocation hooks
 * (system_hooks.c). Called with the port's default lock held, at every
 * build of the system heap (capheap_caps_init() clears the observer). */
void capheap_system_hooks_attach(capheap_caps_t *ch);
#endif

#endif
