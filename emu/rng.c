/*
 * xoshiro256** (Blackman & Vigna) seeded with splitmix64: fast, 256 bits of
 * state, and fully specified, so replays are identical across machines.
 */
#include "xballoon/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void xb_rng_seed(struct xb_rng *rng, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

uint64_t xb_rng_next(struct xb_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t xb_rng_below(struct xb_rng *rng, uint64_t bound)
{
	/* Lemire's nearly divisionless method, exact (rejects the biased tail).
	 */
	unsigned __int128 m = (unsigned __int128)xb_rng_next(rng) * bound;
	uint64_t low = (uint64_t)m;

	if (low < bound) {
		uint64_t threshold = -bound % bound;

		while (low < threshold) {
			m = (unsigned __int128)xb_rng_next(rng) * bound;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double xb_rng_unit(struct xb_rng *rng)
{
	return (double)(xb_rng_next(rng) >> 11) * 0x1.0p-53;
}
