/*
 * esp_attr.h - a stand-in for ESP-IDF's, for the tests of
 * tests/sdkconfig: IRAM_ATTR puts a function in the section capheap_iram
 * (ESP-IDF's puts it in IRAM), whose bounds the linker names
 * __start_capheap_iram and __stop_capheap_iram.
 */
#pragma once
#define IRAM_ATTR __attribute__((section("capheap_iram"), noinline))
