/**
 * @file esp_err.h
 * @brief ESP-IDF's error type and the codes the heap API returns.
 *
 * Only what capheap's compatible headers need; the values are ESP-IDF's.
 */
#ifndef CAPHEAP_COMPAT_ESP_ERR_H
#define CAPHEAP_COMPAT_ESP_ERR_H

#include <stdint.h>

typedef int esp_err_t;

#define ESP_OK                0     /**< success */
#define ESP_FAIL              -1    /**< generic failure */
#define ESP_ERR_NO_MEM        0x101 /**< out of memory */
#define ESP_ERR_INVALID_ARG   0x102 /**< invalid argument */
#define ESP_ERR_INVALID_STATE 0x103 /**< invalid state */
#define ESP_ERR_INVALID_SIZE  0x104 /**< invalid size */
#define ESP_ERR_NOT_FOUND     0x105 /**< requested resource not found */

#endif
