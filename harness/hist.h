/* hist.h - log-linear latency histogram (HDR-style): at most 1% relative
 * error from 10 ns to 100 s, mergeable, allocation-free on the record path. */
#ifndef SDKATA_HIST_H
#define SDKATA_HIST_H

#include <stdint.h>

/* Values below HIST_LINEAR are kept exactly; above, each power of two is cut
 * into HIST_SUB_BUCKETS equal buckets, so a bucket is at most 1/64 of its
 * values wide and its midpoint is within 0.8% of any value in it. */
#define HIST_SUB_BUCKETS 64
#define HIST_LINEAR (2 * HIST_SUB_BUCKETS)
#define HIST_MAX_EXPONENT 40 /* values below 2^47 ns (~39 h) */
#define HIST_BUCKETS (HIST_LINEAR + HIST_MAX_EXPONENT * HIST_SUB_BUCKETS)

typedef struct hist {
  uint64_t count;
  uint64_t min;
  uint64_t max;
  uint64_t overflow; /* values past the last bucket, counted at max */
  double sum;
  uint64_t buckets[HIST_BUCKETS];
} hist_t;

/* Empties h (no allocation: hist_t is plain memory, embed or allocate it). */
void hist_reset(hist_t *h);

/* Adds one value, in ns. Constant time, no allocation, not thread-safe:
 * give each thread its own histogram and merge them. */
void hist_record(hist_t *h, uint64_t value);

/* Adds every value of from into into. */
void hist_merge(hist_t *into, const hist_t *from);

/* The value at quantile q in [0, 1]: the smallest recorded value v such that
 * at least q * count values are <= v, to within the bucket's precision
 * (reported as the bucket's midpoint, clamped to [min, max]).
 * Returns 0 for an empty histogram. q = 1 returns max exactly. */
uint64_t hist_quantile(const hist_t *h, double q);

/* Mean of the recorded values; 0 when empty. */
double hist_mean(const hist_t *h);

#endif /* SDKATA_HIST_H */
