/*
 * esp_heap_caps_init.c - ESP-IDF's heap start-up and runtime regions over
 * the system heap (capheap/system.h).
 */
#include "esp_heap_caps_init.h"

#include "capheap/system.h"
#include "esp_heap_caps_internal.h"
#include "esp_heap_caps_private.h"

void capheap_esp_set_chip(const capheap_chip_t *chip,
                          const capheap_chip_options_t *opts) {
    capheap_system_set_chip(chip, opts);
}

esp_err_t capheap_esp_reserve(intptr_t start, intptr_t end, const char *name) {
    capheap_err_t err =
        capheap_system_reserve((uintptr_t)start, (uintptr_t)end, name);
    if (err == CAPHEAP_ERR_NO_SLOT)
        return ESP_ERR_NO_MEM;
    return err ? ESP_ERR_INVALID_ARG : ESP_OK;
}

void heap_caps_init(void) {
    /* Every error was printed; the heap stays unusable (allocations fail
     * through the callback), or for a chip without malloc() memory serves
     * capability requests only. ESP-IDF's heap_caps_init() returns nothing. */
#if CAPHEAP_BOOT_LOG
    (void)capheap_system_init_report(NULL, NULL, capheap_esp_boot_log);
#else
    (void)capheap_system_start();
#endif
}

capheap_caps_t *heap_caps_capheap(void) {
    return capheap_system();
}

void heap_caps_enable_nonos_stack_heaps(void) {
    capheap_caps_t *ch = capheap_system();
    if (ch)
        capheap_caps_enable_nonos_stack_heaps(ch);
}

static esp_err_t to_esp_err(capheap_err_t err) {
    switch (err) {
    case CAPHEAP_OK:
        return ESP_OK;
    case CAPHEAP_ERR_INVALID_ARG:
        return ESP_ERR_INVALID_ARG;
    case CAPHEAP_ERR_FOREIGN_POINTER:
        return ESP_ERR_NOT_FOUND;
    case CAPHEAP_ERR_OVERLAP:
        return ESP_FAIL;
    case CAPHEAP_ERR_NO_SLOT:
        return ESP_ERR_NO_MEM;
    case CAPHEAP_ERR_TOO_SMALL:
    case CAPHEAP_ERR_TOO_LARGE:
        return ESP_ERR_INVALID_SIZE;
    default:
        return ESP_FAIL;
    }
}

esp_err_t heap_caps_add_region(intptr_t start, intptr_t end) {
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return ESP_ERR_INVALID_STATE;
    return to_esp_err(
        capheap_caps_add_region(ch, (uintptr_t)start, (uintptr_t)end));
}

esp_err_t heap_caps_add_region_with_caps(const uint32_t caps[], intptr_t start,
                                         intptr_t end) {
    if (end == 0)
        return ESP_ERR_INVALID_ARG;
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return ESP_ERR_INVALID_STATE;
    return to_esp_err(capheap_caps_add_region_with_caps(
        ch, caps, (uintptr_t)start, (uintptr_t)end));
}

bool heap_caps_check_add_region_allowed(intptr_t heap_start, intptr_t heap_end,
                                        intptr_t start, intptr_t end) {
    return capheap_caps_add_region_allowed((uintptr_t)heap_start,
                                           (uintptr_t)heap_end,
                                           (uintptr_t)start, (uintptr_t)end);
}
