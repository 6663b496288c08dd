/*
 * test_harden2_attacks.c - the attack suite (attack_suite.h) against
 * CAPHEAP_HARDEN=2, where every linked block is proved a free block of its
 * tag: a free block's size enlarged over a live neighbour is caught too.
 */
#define _DEFAULT_SOURCE
#include "attack_suite.h"

int main(void) {
    return run_attacks("attacks (hardening level 2)");
}
