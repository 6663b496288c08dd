// esp_idf_api_cxx.cpp - the ESP-IDF API program compiled as C++: ESP-IDF
// code is often C++, and the headers and the calls must mean the same.
#include "../../examples/common/esp_idf_api.c"
