/*
 * trace.h - what feeds heap tracing (trace.c): the events of the capability
 * heap, as the system heap's observer (src/system/system_hooks.c)
 * passes them on. Only with CAPHEAP_TRACE.
 */
#ifndef CAPHEAP_DEBUG_TRACE_H
#define CAPHEAP_DEBUG_TRACE_H

#include "capheap/caps.h"
#include "esp_heap_trace.h"

#if CAPHEAP_TRACE
/** The heap whose memory heap_trace_dump_caps() asks about. The caller
 * holds the port's default lock (the trace's own), as heap_caps_init() does. */
void capheap_trace_attach(capheap_caps_t *ch);

/** @p ptr was allocated; @p caller is the application's call site. */
void capheap_trace_alloc(void *ptr, size_t size, uint32_t caps,
                         const void *caller);

/** @p ptr is about to be freed. */
void capheap_trace_free(void *ptr, const void *caller);

/** A realloc of @p old_ptr succeeded: in place when @p new_ptr equals it. */
void capheap_trace_realloc(void *old_ptr, void *new_ptr, size_t size,
                           uint32_t caps, const void *caller);
#endif

#endif
