/* test_hist.c - the histogram's quantiles, merge and edge cases against exact
 * sorted samples. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

#define SAMPLE_COUNT 100000

/* A small seeded generator so every failure can be replayed from its seed. */
static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rng_unit(uint64_t *state) {
  return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

static double rng_normal(uint64_t *state) {
  double u = 1.0 - rng_unit(state); /* in (0, 1], so log(u) is finite */
  double v = rng_unit(state);
  return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

typedef uint64_t (*sample_fn)(uint64_t *state);

/* Log-uniform from 10 ns to 100 s: every decade equally likely. */
static uint64_t sample_log_uniform(uint64_t *state) {
  return (uint64_t)exp(log(10.0) + rng_unit(state) * (log(1e11) - log(10.0)));
}

/* Lognormal around 50 us with a factor-of-e spread. */
static uint64_t sample_lognormal(uint64_t *state) {
  return (uint64_t)(50000.0 * exp(rng_normal(state)));
}

static uint64_t sample_constant(uint64_t *state) {
  (void)state;
  return 12345;
}

/* 99% around 20 us, 1% stalled for 200 to 210 ms (a GC or fsync mode). */
static uint64_t sample_bimodal(uint64_t *state) {
  if (rng_unit(state) < 0.01)
    return (uint64_t)(200e6 * (1.0 + 0.05 * rng_unit(state)));
  return (uint64_t)(20000.0 * exp(0.3 * rng_normal(state)));
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The exact quantile of sorted samples by the histogram's definition: the
 * smallest v with at least ceil(q * n) samples <= v (same rounding slack). */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q) {
  if (q <= 0)
    return sorted[0];
  if (q >= 1)
    return sorted[n - 1];
  double rank = q * (double)n;
  size_t r = (size_t)ceil(rank - rank * 1e-12);
  return sorted[r == 0 ? 0 : r - 1];
}

static double relative_error(uint64_t exact, uint64_t got) {
  if (exact == got)
    return 0;
  double diff = fabs((double)got - (double)exact);
  return exact == 0 ? INFINITY : diff / (double)exact;
}

static const struct {
  double q;
  const char *name;
} quantiles[] = {{0, "min"},    {0.5, "p50"},     {0.9, "p90"},
                 {0.99, "p99"}, {0.999, "p99.9"}, {0.9999, "p99.99"},
                 {1, "max"}};

/* Records SAMPLE_COUNT samples and checks every quantile of interest, the
 * count, min, max and mean against the sorted samples. */
static void check_quantiles(const char *what, sample_fn sample, uint64_t seed) {
  static uint64_t values[SAMPLE_COUNT];
  static hist_t h;
  hist_reset(&h);
  uint64_t state = seed;
  double sum = 0;
  for (size_t i = 0; i < SAMPLE_COUNT; i++) {
    values[i] = sample(&state);
    sum += (double)values[i];
    hist_record(&h, values[i]);
  }
  qsort(values, SAMPLE_COUNT, sizeof values[0], compare_u64);
  cr_assert(h.count == SAMPLE_COUNT,
            "count of %d %s samples (seed %llu): expected %d, got %llu",
            SAMPLE_COUNT, what, (unsigned long long)seed, SAMPLE_COUNT,
            (unsigned long long)h.count);
  for (size_t i = 0; i < sizeof quantiles / sizeof quantiles[0]; i++) {
    uint64_t exact = exact_quantile(values, SAMPLE_COUNT, quantiles[i].q);
    uint64_t got = hist_quantile(&h, quantiles[i].q);
    double error = relative_error(exact, got);
    cr_assert(error <= 0.01,
              "%s of %d %s samples (seed %llu): exact %llu ns, histogram "
              "%llu ns, error %.2f%% > 1%%",
              quantiles[i].name, SAMPLE_COUNT, what, (unsigned long long)seed,
              (unsigned long long)exact, (unsigned long long)got, error * 100);
  }
  double mean = sum / SAMPLE_COUNT;
  cr_assert(fabs(hist_mean(&h) - mean) <= 1e-9 * mean,
            "mean of %d %s samples (seed %llu): exact %.3f ns, histogram "
            "%.3f ns",
            SAMPLE_COUNT, what, (unsigned long long)seed, mean, hist_mean(&h));
}

Test(hist, log_uniform_10ns_to_100s_quantiles_are_within_one_percent) {
  for (uint64_t seed = 7; seed < 10; seed++)
    check_quantiles("log-uniform 10 ns..100 s", sample_log_uniform, seed);
}

Test(hist, lognormal_quantiles_are_within_one_percent) {
  for (uint64_t seed = 11; seed < 14; seed++)
    check_quantiles("lognormal around 50 us", sample_lognormal, seed);
}

Test(hist, constant_samples_give_that_constant_at_every_quantile) {
  check_quantiles("constant 12345 ns", sample_constant, 1);
}

Test(hist, bimodal_quantiles_with_a_200ms_stall_mode_are_within_one_percent) {
  for (uint64_t seed = 21; seed < 24; seed++)
    check_quantiles("bimodal 20 us / 1% 200 ms", sample_bimodal, seed);
}

/* Alone between 0 and a far larger value, v is reported as its bucket's
 * midpoint, so this checks the bucket width at v itself. */
static void check_single_value(uint64_t v) {
  hist_t h;
  hist_reset(&h);
  hist_record(&h, 0);
  hist_record(&h, v);
  hist_record(&h, (uint64_t)1 << 50);
  uint64_t got = hist_quantile(&h, 0.5);
  double error = relative_error(v, got);
  cr_assert(error <= 0.01,
            "p50 of {0, %llu, 2^50}: expected %llu ns within 1%%, histogram "
            "%llu ns, error %.3f%%",
            (unsigned long long)v, (unsigned long long)v,
            (unsigned long long)got, error * 100);
}

Test(hist, every_value_from_10ns_to_100s_is_reported_within_one_percent) {
  for (double v = 10; v <= 1e11; v *= 1.001)
    check_single_value((uint64_t)v);
  for (unsigned bit = 4; bit <= 37; bit++) {
    uint64_t edge = (uint64_t)1 << bit;
    check_single_value(edge - 1);
    check_single_value(edge);
    check_single_value(edge + 1);
  }
}

Test(hist, values_below_128_are_recorded_exactly) {
  for (uint64_t v = 0; v < HIST_LINEAR; v++)
    check_single_value(v);
  hist_t h;
  hist_reset(&h);
  hist_record(&h, 0);
  hist_record(&h, 1);
  hist_record(&h, 1);
  cr_assert(hist_quantile(&h, 0) == 0 && hist_quantile(&h, 0.33) == 0,
            "min and p33 of {0, 1, 1}: expected 0 and 0, got %llu and %llu",
            (unsigned long long)hist_quantile(&h, 0),
            (unsigned long long)hist_quantile(&h, 0.33));
  cr_assert(hist_quantile(&h, 0.34) == 1 && hist_quantile(&h, 1) == 1,
            "p34 and max of {0, 1, 1}: expected 1 and 1, got %llu and %llu",
            (unsigned long long)hist_quantile(&h, 0.34),
            (unsigned long long)hist_quantile(&h, 1));
}

Test(hist, quantiles_stay_within_the_recorded_min_and_max) {
  /* 1000 .. 1007 share a bucket whose midpoint is 1003. */
  hist_t low, high;
  hist_reset(&low);
  hist_reset(&high);
  hist_record(&low, 1006);
  hist_record(&low, 1007);
  hist_record(&high, 1000);
  hist_record(&high, 1001);
  cr_assert(hist_quantile(&low, 0.5) == 1006,
            "p50 of {1006, 1007}: expected 1006 (the bucket midpoint 1003 "
            "clamped to min), got %llu",
            (unsigned long long)hist_quantile(&low, 0.5));
  cr_assert(hist_quantile(&high, 0.5) == 1001,
            "p50 of {1000, 1001}: expected 1001 (the bucket midpoint 1003 "
            "clamped to max), got %llu",
            (unsigned long long)hist_quantile(&high, 0.5));
}

Test(hist, empty_histogram_reports_zero_everywhere) {
  hist_t h;
  hist_reset(&h);
  cr_assert(h.count == 0, "count of an empty histogram: expected 0, got %llu",
            (unsigned long long)h.count);
  for (size_t i = 0; i < sizeof quantiles / sizeof quantiles[0]; i++)
    cr_assert(hist_quantile(&h, quantiles[i].q) == 0,
              "%s of an empty histogram: expected 0, got %llu",
              quantiles[i].name,
              (unsigned long long)hist_quantile(&h, quantiles[i].q));
  cr_assert(hist_mean(&h) == 0,
            "mean of an empty histogram: expected 0, got %g", hist_mean(&h));
}

Test(hist, quantiles_outside_zero_to_one_clamp_to_min_and_max) {
  hist_t h;
  hist_reset(&h);
  hist_record(&h, 1000);
  hist_record(&h, 5000);
  cr_assert(hist_quantile(&h, -0.5) == 1000 && hist_quantile(&h, 1.5) == 5000,
            "q=-0.5 and q=1.5 of {1000, 5000}: expected 1000 and 5000, got "
            "%llu and %llu",
            (unsigned long long)hist_quantile(&h, -0.5),
            (unsigned long long)hist_quantile(&h, 1.5));
}

Test(hist, merge_equals_recording_everything_into_one) {
  static hist_t a, b, all;
  hist_reset(&a);
  hist_reset(&b);
  hist_reset(&all);
  uint64_t state = 31;
  for (int i = 0; i < SAMPLE_COUNT; i++) {
    uint64_t x = sample_lognormal(&state), y = sample_bimodal(&state);
    hist_record(&a, x);
    hist_record(&b, y);
    hist_record(&all, x);
    hist_record(&all, y);
  }
  hist_record(&b, UINT64_MAX); /* an overflowed value merges too */
  hist_record(&all, UINT64_MAX);
  hist_merge(&a, &b);
  cr_assert(a.count == all.count && a.min == all.min && a.max == all.max &&
                a.overflow == all.overflow,
            "merged lognormal + bimodal (seed 31): expected count %llu min "
            "%llu max %llu overflow %llu, got %llu %llu %llu %llu",
            (unsigned long long)all.count, (unsigned long long)all.min,
            (unsigned long long)all.max, (unsigned long long)all.overflow,
            (unsigned long long)a.count, (unsigned long long)a.min,
            (unsigned long long)a.max, (unsigned long long)a.overflow);
  for (unsigned i = 0; i < HIST_BUCKETS; i++)
    cr_assert(a.buckets[i] == all.buckets[i],
              "merged lognormal + bimodal (seed 31): bucket %u expected %llu "
              "got %llu",
              i, (unsigned long long)all.buckets[i],
              (unsigned long long)a.buckets[i]);
  cr_assert(fabs(a.sum - all.sum) <= 1e-12 * all.sum,
            "merged sum (seed 31): expected %.17g, got %.17g", all.sum, a.sum);
}

Test(hist, merging_an_empty_histogram_changes_nothing_either_way) {
  hist_t empty, h, copy;
  hist_reset(&empty);
  hist_reset(&h);
  hist_record(&h, 42);
  hist_record(&h, 4200000);
  memcpy(&copy, &h, sizeof h);
  hist_merge(&h, &empty);
  cr_assert(memcmp(&h, &copy, sizeof h) == 0,
            "merging an empty histogram into {42, 4200000} changed it: min "
            "%llu max %llu count %llu",
            (unsigned long long)h.min, (unsigned long long)h.max,
            (unsigned long long)h.count);
  hist_merge(&empty, &copy);
  cr_assert(memcmp(&empty, &copy, sizeof h) == 0,
            "merging {42, 4200000} into an empty histogram: expected a copy, "
            "got min %llu max %llu count %llu",
            (unsigned long long)empty.min, (unsigned long long)empty.max,
            (unsigned long long)empty.count);
}

Test(hist, values_past_the_last_bucket_count_as_overflow_and_max_stays_exact) {
  hist_t h;
  hist_reset(&h);
  uint64_t last_in_range = ((uint64_t)1 << 47) - 1;
  uint64_t huge = ((uint64_t)1 << 47) + 12345;
  hist_record(&h, 1000);
  hist_record(&h, last_in_range);
  cr_assert(h.overflow == 0,
            "2^47 - 1 ns: expected in the last bucket, but overflow = %llu",
            (unsigned long long)h.overflow);
  hist_record(&h, huge);
  hist_record(&h, UINT64_MAX);
  cr_assert(h.overflow == 2 && h.count == 4,
            "after 1000, 2^47 - 1, 2^47 + 12345, 2^64 - 1: expected "
            "overflow 2 of count 4, got %llu of %llu",
            (unsigned long long)h.overflow, (unsigned long long)h.count);
  cr_assert(hist_quantile(&h, 1) == UINT64_MAX,
            "max after recording 2^64 - 1: expected %llu, got %llu",
            (unsigned long long)UINT64_MAX,
            (unsigned long long)hist_quantile(&h, 1));
  cr_assert(hist_quantile(&h, 0.75) == UINT64_MAX,
            "p75 of {1000, 2^47 - 1, 2^47 + 12345, 2^64 - 1}: falls among "
            "the overflowed values, expected max %llu, got %llu",
            (unsigned long long)UINT64_MAX,
            (unsigned long long)hist_quantile(&h, 0.75));
  uint64_t p50 = hist_quantile(&h, 0.5);
  cr_assert(relative_error(last_in_range, p50) <= 0.01,
            "p50 of {1000, 2^47 - 1, 2^47 + 12345, 2^64 - 1}: expected "
            "%llu within 1%%, got %llu",
            (unsigned long long)last_in_range, (unsigned long long)p50);
}
