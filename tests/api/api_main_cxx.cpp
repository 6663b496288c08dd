// api_main_cxx.cpp - the runner of the ESP-IDF API program, as C++.
#include <cstdio>

#include "esp_heap_caps_init.h"
#include "esp_idf_api.h"

alignas(16) static unsigned char scratch[8192];

int main() {
    heap_caps_init();
    int failed = esp_idf_api_check(scratch, sizeof scratch);
    std::printf("ESP-IDF heap API (C++): %d checks, %d failed\n",
                esp_idf_api_checks_made(), failed);
    return failed != 0;
}
