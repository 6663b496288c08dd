/*
 * esp_heap_caps_init.c - ESP-IDF's heap start-up over capheap: one global
 * capability heap, built for the chip of the build (on a Linux host, the
 * simulated chip named in the environment).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "capheap/port.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_caps_private.h"

#ifdef __linux__
#include "capheap/sim.h"
#endif

static capheap_caps_t global;
/* Set (release) once the global heap is built; capheap_esp() loads it with
 * acquire, so a thread that sees it set sees the whole heap. Building
 * happens under the port's default lock, re-checked there: of threads
 * racing to the first allocation exactly one builds. A plain load and
 * store: no read-modify-write, which the ESP32-C3 and Cortex-M0+ lack. */
static atomic_bool ready;
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

/* Build the global heap (default lock held: it is also the trace's lock,
 * and the heap gets it only at the end). */
static void build(void) {
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
    atomic_store_explicit(&ready, true, memory_order_release);
}

static void default_lock(bool take) {
    void *l = capheap_port_default_lock();
    if (l && take)
        capheap_port_lock(l);
    else if (l)
        capheap_port_unlock(l);
}

void heap_caps_init(void) {
    default_lock(true);
    build();
    default_lock(false);
}

/* Out of line: the test of the flag is all capheap_esp() costs. */
CAPHEAP_NOINLINE static void build_once(void) {
    default_lock(true);
    if (!atomic_load_explicit(&ready, memory_order_relaxed))
        build();
    default_lock(false);
}

capheap_caps_t *capheap_esp(void) {
    if (!atomic_load_explicit(&ready, memory_order_acquire))
        build_once();
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
