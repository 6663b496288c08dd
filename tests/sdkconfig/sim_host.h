/*
 * sim_host.h - the system heap on the simulated "host" chip for the
 * programs of tests/sdkconfig, or the reason it cannot be mapped here.
 */
#ifndef CAPHEAP_TEST_SIM_HOST_H
#define CAPHEAP_TEST_SIM_HOST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "capheap/sim.h"
#include "esp_heap_caps_init.h"

/** Build the system heap over the simulated host chip; false (with the
 * reason printed, which the test's skip expression matches) when its
 * addresses are taken in this process. */
static inline bool sim_host_boot(void) {
    setenv("CAPHEAP_CHIP", "host", 1);
    const capheap_chip_t *chip = NULL;
    capheap_chip_options_t opts;
    if (capheap_sim_options_from_env(&chip, &opts) != CAPHEAP_OK) {
        printf("FAIL: the host chip is unknown\n");
        exit(1);
    }
    char who[700] = "";
    if (capheap_sim_probe(chip, &opts, who, sizeof who) ==
        CAPHEAP_ERR_OVERLAP) {
        printf("cannot map the simulated chip's memory: %s\n", who);
        return false;
    }
    heap_caps_init();
    return true;
}

#endif
