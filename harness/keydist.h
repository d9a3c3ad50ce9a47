/* keydist.h - key choosers for load: uniform, Zipf (YCSB, theta 0.99),
 * hotspot. Each thread owns one chooser; choosing never allocates. */
#ifndef SDKATA_KEYDIST_H
#define SDKATA_KEYDIST_H

#include <stdint.h>

#include "rng.h"

typedef enum keydist_kind {
  KEYDIST_UNIFORM,
  KEYDIST_ZIPF,   /* YCSB's ZipfianGenerator, scrambled so hot keys spread */
  KEYDIST_HOTSPOT /* hot_fraction of keys get hot_share of requests */
} keydist_kind_t;

typedef struct keydist_params {
  keydist_kind_t kind;
  uint64_t key_count;
  double theta;        /* Zipf skew; 0.99 as in YCSB */
  double hot_fraction; /* hotspot: e.g. 0.01 of the keys ... */
  double hot_share;    /* ... receive e.g. 0.9 of the requests */
} keydist_params_t;

/* Shared, read-only after keydist_prepare: the Zipf constants (zeta(n) takes
 * a few ms for 1 M keys, so it is computed once, not per thread). */
typedef struct keydist_shared {
  keydist_params_t params;
  double zeta_n, zeta_2, alpha, eta;
} keydist_shared_t;

typedef struct keydist {
  const keydist_shared_t *shared;
  rng_t rng;
} keydist_t;

/* Validates params and computes the shared constants. Returns 0 or -EINVAL. */
int keydist_prepare(keydist_shared_t *shared, const keydist_params_t *params);

/* A per-thread chooser over shared, seeded (same seed, same keys). */
void keydist_init(keydist_t *chooser, const keydist_shared_t *shared,
                  uint64_t seed);

/* The next key number, in [0, key_count). */
uint64_t keydist_next(keydist_t *chooser);

/* Parses "uniform", "zipf" / "zipf:0.8", "hotspot" / "hotspot:0.01:0.9"
 * into params (key_count left as it is). Returns 0 or -EINVAL. */
int keydist_parse(keydist_params_t *params, const char *text);

/* Describes params for a table title: "1M keys Zipf 0.99". Writes into buf. */
const char *keydist_describe(const keydist_params_t *params, char *buf,
                             unsigned long size);

#endif /* SDKATA_KEYDIST_H */
