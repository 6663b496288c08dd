/*
 * test_attacks.c - the attack suite (attack_suite.h) against the default
 * build: hardened free lists, links stored plain.
 */
#define _DEFAULT_SOURCE
#include "attack_suite.h"

int main(void) {
    return run_attacks("attacks (links plain)");
}
