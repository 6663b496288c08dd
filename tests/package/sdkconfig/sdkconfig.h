/*
 * sdkconfig.h - an ESP-IDF application's configuration for
 * tools/package-test.sh (CAPHEAP_SDKCONFIG_DIR, or an -I of capheap.mk's
 * users): light heap poisoning.
 */
#pragma once
#define CONFIG_HEAP_POISONING_LIGHT 1
