/*
 * test_mangled_attacks.c - the attack suite (attack_suite.h) against the
 * build with CAPHEAP_MANGLE=1: links stored XORed with the heap's secret,
 * so the self-consistent forge must be caught as well.
 */
#define _DEFAULT_SOURCE
#include "attack_suite.h"

int main(void) {
    return run_attacks("attacks (links mangled)");
}
