/*
 * esp_heap_caps_init.c - ESP-IDF's heap start-up over capheap: one global
 * capability heap, built for the chip of the build (on a Linux host, the
 * simulated chip named in the environment).
 */
#include <stdio.h>
#include <stdlib.h>

#include "capheap/port.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_caps_private.h"

#ifdef __linux__
#include "capheap/sim.h"
#endif

static capheap_caps_t global;
static bool ready;
static const capheap_chip_t *target_chip = &capheap_chip_esp32;
static capheap_chip_options_t target_opts;
static capheap_caps_reservation_t reservations[CAPHEAP_CAPS_MAX_RESERVED];
static size_t reservation_count;

void capheap_esp_set_chip(const capheap_chip_t *chip,
                          const capheap_chip_options_t *opts) {
    target_chip = chip ? chip : &capheap_chip_esp32;
    if (opts)
        target_opts = *opts;
}

esp_err_t capheap_esp_reserve(intptr_t start, intptr_t end, const char *name) {
    if (reservation_count == CAPHEAP_CAPS_MAX_RESERVED)
        return ESP_ERR_NO_MEM;
    reservations[reservation_count++] =
        (capheap_caps_reservation_t){(uintptr_t)start, (uintptr_t)end, name};
    return ESP_OK;
}

static void fatal(const char *what, capheap_err_t err) {
    fprintf(stderr, "heap_caps_init: %s: %s\n", what, capheap_err_str(err));
    abort();
}

void heap_caps_init(void) {
    const capheap_chip_t *chip = target_chip;
    capheap_chip_options_t opts = target_opts;
    capheap_err_t err;
#ifdef __linux__
    err = capheap_sim_options_from_env(&chip, &opts);
    if (err)
        fatal("CAPHEAP_CHIP or an option in the environment", err);
    chip = capheap_sim_chip(chip);
    err = capheap_sim_map(chip, &opts);
    if (err)
        fatal("cannot map the simulated chip's memory", err);
#endif
    err = capheap_caps_init(&global, chip, &opts, reservations,
                            reservation_count);
    if (err)
        fatal("cannot build the heaps", err);
    capheap_heap_set_lock(global.heap, capheap_port_default_lock());
#if CAPHEAP_HOOKS
    capheap_esp_hooks_attach(&global); /* tracing and the weak hooks */
#endif
    ready = true;
}

capheap_caps_t *capheap_esp(void) {
    if (!ready)
        heap_caps_init();
    return &global;
}

capheap_caps_t *heap_caps_capheap(void) {
    return capheap_esp();
}

void heap_caps_enable_nonos_stack_heaps(void) {
    capheap_caps_enable_nonos_stack_heaps(capheap_esp());
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
    return to_esp_err(capheap_caps_add_region(capheap_esp(), (uintptr_t)start,
                                              (uintptr_t)end));
}

esp_err_t heap_caps_add_region_with_caps(const uint32_t caps[], intptr_t start,
                                         intptr_t end) {
    if (end == 0)
        return ESP_ERR_INVALID_ARG;
    return to_esp_err(capheap_caps_add_region_with_caps(
        capheap_esp(), caps, (uintptr_t)start, (uintptr_t)end));
}
