/* rng.h - a small, fast, seeded generator (xoshiro256** seeded through
 * splitmix64): the same seed gives the same numbers, everywhere. */
#ifndef SDKATA_RNG_H
#define SDKATA_RNG_H

#include <stdint.h>

typedef struct rng {
  uint64_t s[4];
} rng_t;

static inline uint64_t rng_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Seeds rng from one number. */
static inline void rng_seed(rng_t *rng, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    rng->s[i] = rng_splitmix64(&seed);
}

static inline uint64_t rng_rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits (xoshiro256**, Blackman and Vigna). */
static inline uint64_t rng_next(rng_t *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rng_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, bound), bound > 0, by Lemire's multiply-shift; the bias,
 * bound / 2^64, is far below anything a test or a load could see. */
static inline uint64_t rng_below(rng_t *rng, uint64_t bound) {
  return (uint64_t)(((unsigned __int128)rng_next(rng) * bound) >> 64);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_unit(rng_t *rng) {
  return (double)(rng_next(rng) >> 11) * 0x1.0p-53;
}

#endif /* SDKATA_RNG_H */
