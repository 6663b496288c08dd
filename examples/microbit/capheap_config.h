/*
 * capheap_config.h - capheap's configuration for the micro:bit's
 * Cortex-M0 (CAPHEAP_CONFIG_HEADER): ARMv6-M has no CLZ, so the portable
 * bit scan instead of a libgcc call per search.
 */
#ifndef MICROBIT_CAPHEAP_CONFIG_H
#define MICROBIT_CAPHEAP_CONFIG_H

#define CAPHEAP_USE_BUILTINS 0

#endif
