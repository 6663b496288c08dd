/*
 * out.h - the little output the shared code needs, so that it also runs
 * freestanding (the Cortex-M build has no stdio). Integers only.
 */
#ifndef BENCH_OUT_H
#define BENCH_OUT_H

#include <stdint.h>

void out_s(const char *s);
void out_u(uint64_t v);
/** num / den with three decimals, rounded to nearest. */
void out_ratio(uint64_t num, uint64_t den);
void out_flush(void);

#endif /* BENCH_OUT_H */
