/*
 * api_main.c - examples/common/esp_idf_api.c on the simulated ESP32: the
 * program of issue #12's "done when", built as C (this file) and as C++
 * (esp_idf_api_cxx.cpp), against the library as built.
 */
#include <stdalign.h>
#include <stdio.h>

#include "esp_heap_caps_init.h"
#include "esp_idf_api.h"

#ifndef API_LANGUAGE
#define API_LANGUAGE "C"
#endif

static alignas(16) unsigned char scratch[8192];

int main(void) {
    heap_caps_init();
    int failed = esp_idf_api_check(scratch, sizeof scratch);
    printf("ESP-IDF heap API (%s): %d checks, %d failed\n", API_LANGUAGE,
           esp_idf_api_checks_made(), failed);
    return failed != 0;
}
