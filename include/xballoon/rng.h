/*
 * The simulation's one seeded random generator: xoshiro256** seeded through
 * splitmix64. Same seed, same sequence, on every machine. emu/ and policy/
 * never call rand() or read a clock; they take a struct xb_rng.
 */
#ifndef XBALLOON_RNG_H
#define XBALLOON_RNG_H

#include <stdint.h>

struct xb_rng {
	uint64_t s[4];
};

void xb_rng_seed(struct xb_rng *rng, uint64_t seed);
uint64_t xb_rng_next(struct xb_rng *rng);
/* Uniform in [0, bound), bound > 0, without modulo bias (Lemire). */
uint64_t xb_rng_below(struct xb_rng *rng, uint64_t bound);
/* Uniform double in [0, 1). */
double xb_rng_unit(struct xb_rng *rng);

#endif
