/*
 * error.c - the error hook and the names of error codes.
 */
#include "block.h"
#include "capheap/port.h"

static capheap_error_hook_t error_hook;
static void *error_hook_user;

void capheap_set_error_hook(capheap_error_hook_t hook, void *user) {
    error_hook = hook;
    error_hook_user = user;
}

void capheap_report_error(capheap_err_t err, const void *addr, const char *op) {
    if (error_hook)
        error_hook(err, addr, op, error_hook_user);
    else
        capheap_port_report_error(err, addr, op);
}

const char *capheap_err_str(capheap_err_t err) {
    switch (err) {
    case CAPHEAP_OK:
        return "ok";
    case CAPHEAP_ERR_INVALID_ARG:
        return "invalid argument";
    case CAPHEAP_ERR_TOO_SMALL:
        return "region too small";
    case CAPHEAP_ERR_TOO_LARGE:
        return "region too large";
    case CAPHEAP_ERR_OVERLAP:
        return "region overlaps existing memory";
    case CAPHEAP_ERR_NO_SLOT:
        return "no free region slot";
    case CAPHEAP_ERR_FOREIGN_POINTER:
        return "pointer outside every region";
    case CAPHEAP_ERR_NOT_BLOCK:
        return "pointer is not the start of a live block";
    case CAPHEAP_ERR_DOUBLE_FREE:
        return "double free";
    case CAPHEAP_ERR_CORRUPT:
        return "heap corrupt";
    }
    return "unknown error";
}
