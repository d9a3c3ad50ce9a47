/* hist.c - log-linear latency histogram, mergeable, ≤1% relative error. */
#include "hist.h"

#include <math.h>
#include <string.h>

/* Bucket layout. Values 0 .. HIST_LINEAR - 1 have a bucket each. A value v
 * with highest set bit e >= 7 goes to power-of-two group e - 6, which holds
 * HIST_SUB_BUCKETS buckets of width 2^(e - 6); inside the group the bucket is
 * picked by v >> (e - 6), which lies in [64, 128). Or-ing 127 into v before
 * taking the bit length makes every v < 128 land in "group 0" with shift 0,
 * so the same two lines index both ranges without a branch. */
#define HIST_SHIFT_BITS 6 /* log2(HIST_SUB_BUCKETS) */

static inline unsigned hist_shift_of(uint64_t value) {
  return 63 - HIST_SHIFT_BITS -
         (unsigned)__builtin_clzll(value | (HIST_LINEAR - 1));
}

static inline uint64_t hist_index_of(uint64_t value) {
  unsigned shift = hist_shift_of(value);
  return ((uint64_t)shift << HIST_SHIFT_BITS) + (value >> shift);
}

/* The value reported for bucket index: the middle of the integers it holds,
 * within 1/128 of every one of them. */
static uint64_t hist_midpoint_of(uint64_t index) {
  if (index < HIST_LINEAR)
    return index;
  unsigned shift = (unsigned)(index >> HIST_SHIFT_BITS) - 1;
  uint64_t low = (index - ((uint64_t)shift << HIST_SHIFT_BITS)) << shift;
  uint64_t width = (uint64_t)1 << shift;
  return low + (width - 1) / 2;
}

void hist_reset(hist_t *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

void hist_record(hist_t *h, uint64_t value) {
  uint64_t index = hist_index_of(value);
  if (index < HIST_BUCKETS)
    h->buckets[index]++;
  else
    h->overflow++;
  h->count++;
  h->sum += (double)value;
  h->min = value < h->min ? value : h->min;
  h->max = value > h->max ? value : h->max;
}

void hist_merge(hist_t *into, const hist_t *from) {
  for (unsigned i = 0; i < HIST_BUCKETS; i++)
    into->buckets[i] += from->buckets[i];
  into->count += from->count;
  into->overflow += from->overflow;
  into->sum += from->sum;
  into->min = from->min < into->min ? from->min : into->min;
  into->max = from->max > into->max ? from->max : into->max;
}

/* ceil(q * count), forgiving the rounding of q * count: 0.99 * 100000 is
 * 99000.00000000001 in doubles, and rank 99001 would not be the p99. */
static uint64_t hist_rank_of(double q, uint64_t count) {
  double exact = q * (double)count;
  return (uint64_t)ceil(exact - exact * 1e-12);
}

uint64_t hist_quantile(const hist_t *h, double q) {
  if (h->count == 0)
    return 0;
  if (!(q > 0))
    return h->min;
  if (q >= 1)
    return h->max;
  uint64_t rank = hist_rank_of(q, h->count);
  if (rank == 0)
    return h->min;
  uint64_t seen = 0;
  for (uint64_t i = 0; i < HIST_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= rank) {
      uint64_t value = hist_midpoint_of(i);
      if (value < h->min)
        return h->min;
      return value > h->max ? h->max : value;
    }
  }
  return h->max; /* the rank falls among the overflowed values */
}

double hist_mean(const hist_t *h) {
  return h->count ? h->sum / (double)h->count : 0;
}
