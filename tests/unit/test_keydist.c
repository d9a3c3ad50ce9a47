/* test_keydist.c - key choosers: determinism, range, Zipf and hotspot shares,
 * parsing and descriptions. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keydist.h"

#define DRAWS 1000000

static keydist_params_t make_params(keydist_kind_t kind, uint64_t key_count) {
  keydist_params_t p = {.kind = kind,
                        .key_count = key_count,
                        .theta = 0.99,
                        .hot_fraction = 0.01,
                        .hot_share = 0.9};
  return p;
}

static const char *kind_name(keydist_kind_t kind) {
  switch (kind) {
  case KEYDIST_UNIFORM: return "uniform";
  case KEYDIST_ZIPF: return "zipf";
  case KEYDIST_HOTSPOT: return "hotspot";
  }
  return "?";
}

static int compare_desc(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x < y) - (x > y);
}

/* Draws DRAWS keys from params with seed; counts[k] = hits on key k. */
static uint64_t *draw_counts(const keydist_params_t *params, uint64_t seed) {
  keydist_shared_t shared;
  int rc = keydist_prepare(&shared, params);
  cr_assert(rc == 0, "keydist_prepare(%s, %llu keys): expected 0, got %d",
            kind_name(params->kind), (unsigned long long)params->key_count, rc);
  uint64_t *counts = calloc(params->key_count, sizeof *counts);
  cr_assert(counts != NULL, "calloc of %llu counters failed",
            (unsigned long long)params->key_count);
  keydist_t chooser;
  keydist_init(&chooser, &shared, seed);
  for (int i = 0; i < DRAWS; i++)
    counts[keydist_next(&chooser)]++;
  return counts;
}

/* The fraction of all draws that went to the top most-drawn keys. */
static double top_share(const uint64_t *sorted_desc, uint64_t top) {
  uint64_t hits = 0;
  for (uint64_t i = 0; i < top; i++)
    hits += sorted_desc[i];
  return (double)hits / DRAWS;
}

static double zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; i++)
    sum += pow((double)i, -theta);
  return sum;
}

Test(keydist, same_seed_gives_same_keys_and_other_seeds_differ) {
  keydist_kind_t kinds[] = {KEYDIST_UNIFORM, KEYDIST_ZIPF, KEYDIST_HOTSPOT};
  for (size_t k = 0; k < 3; k++) {
    keydist_params_t p = make_params(kinds[k], 100000);
    keydist_shared_t shared;
    cr_assert(keydist_prepare(&shared, &p) == 0, "prepare %s failed",
              kind_name(kinds[k]));
    keydist_t a, b, c;
    keydist_init(&a, &shared, 42);
    keydist_init(&b, &shared, 42);
    keydist_init(&c, &shared, 43);
    int same_as_other_seed = 0;
    for (int i = 0; i < 1000; i++) {
      uint64_t x = keydist_next(&a), y = keydist_next(&b);
      cr_assert(x == y,
                "%s draw %d with seed 42 twice: expected equal keys, got "
                "%llu and %llu",
                kind_name(kinds[k]), i, (unsigned long long)x,
                (unsigned long long)y);
      same_as_other_seed += x == keydist_next(&c);
    }
    cr_assert(same_as_other_seed < 500,
              "%s seeds 42 and 43: expected different sequences, %d of 1000 "
              "draws equal",
              kind_name(kinds[k]), same_as_other_seed);
  }
}

Test(keydist, every_key_is_in_range_for_every_kind_and_size) {
  keydist_kind_t kinds[] = {KEYDIST_UNIFORM, KEYDIST_ZIPF, KEYDIST_HOTSPOT};
  uint64_t sizes[] = {1, 2, 3, 7, 1000, 1 << 20, 1000003};
  for (size_t k = 0; k < 3; k++) {
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      keydist_params_t p = make_params(kinds[k], sizes[s]);
      keydist_shared_t shared;
      cr_assert(keydist_prepare(&shared, &p) == 0,
                "prepare %s with %llu keys failed", kind_name(kinds[k]),
                (unsigned long long)sizes[s]);
      keydist_t chooser;
      keydist_init(&chooser, &shared, 5);
      for (int i = 0; i < 100000; i++) {
        uint64_t key = keydist_next(&chooser);
        cr_assert(key < sizes[s],
                  "%s over %llu keys (seed 5), draw %d: expected < %llu, got "
                  "%llu",
                  kind_name(kinds[k]), (unsigned long long)sizes[s], i,
                  (unsigned long long)sizes[s], (unsigned long long)key);
      }
    }
  }
}

Test(keydist, uniform_draws_every_key_about_equally_often) {
  keydist_params_t p = make_params(KEYDIST_UNIFORM, 1000);
  uint64_t *counts = draw_counts(&p, 3);
  /* 1000 expected hits per key, standard deviation about 31.6: 6 sigma. */
  for (uint64_t k = 0; k < 1000; k++)
    cr_assert(counts[k] >= 810 && counts[k] <= 1190,
              "uniform over 1000 keys, %d draws (seed 3): key %llu expected "
              "1000 +- 190 hits, got %llu",
              DRAWS, (unsigned long long)k, (unsigned long long)counts[k]);
  free(counts);
}

/* The share of the top t ranks under Gray et al.'s generator as YCSB codes
 * it: rank 0 below 1 / zeta(n), rank 1 below zeta(2) / zeta(n), and from
 * rank 2 on rank = floor(n * (eta * u - eta + 1)^alpha) < t exactly when
 * u < 1 - (1 - (t / n)^(1 - theta)) / eta. */
static double gray_top_share(uint64_t t, uint64_t n, double theta) {
  double zeta_n = zeta(n, theta), zeta_2 = zeta(2, theta);
  if (t == 1)
    return 1 / zeta_n;
  double eta = (1 - pow(2.0 / (double)n, 1 - theta)) / (1 - zeta_2 / zeta_n);
  return 1 - (1 - pow((double)t / (double)n, 1 - theta)) / eta;
}

Test(keydist, zipf_key_frequencies_by_rank_follow_the_zipf_law) {
  const uint64_t n = 10000;
  keydist_params_t p = make_params(KEYDIST_ZIPF, n);
  uint64_t *counts = draw_counts(&p, 17);
  qsort(counts, n, sizeof counts[0], compare_desc);
  double zeta_n = zeta(n, 0.99);
  const uint64_t tops[] = {1, 2, 10, 100, 1000};
  for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
    double got = top_share(counts, tops[i]);
    /* Exactly what the generator's formula promises, up to sampling noise
     * (under 0.05 points) and ranking by observed counts. */
    double gray = gray_top_share(tops[i], n, 0.99);
    cr_assert(fabs(got - gray) <= 0.003,
              "Zipf 0.99 over %llu keys, %d draws (seed 17): top %llu keys "
              "expected %.2f%% of draws by Gray's formula (+- 0.3 points), "
              "got %.2f%%",
              (unsigned long long)n, DRAWS, (unsigned long long)tops[i],
              gray * 100, got * 100);
    /* The Zipf law itself, zeta(t) / zeta(n), which Gray's closed form
     * approximates to within 1.5 points at these ranks. */
    double law = zeta(tops[i], 0.99) / zeta_n;
    cr_assert(fabs(got - law) <= 0.02,
              "Zipf 0.99 over %llu keys, %d draws (seed 17): top %llu keys "
              "expected %.2f%% of draws by the Zipf law (+- 2 points), got "
              "%.2f%%",
              (unsigned long long)n, DRAWS, (unsigned long long)tops[i],
              law * 100, got * 100);
  }
  free(counts);
}

Test(keydist, zipf_draws_reach_every_key_so_scrambling_loses_none) {
  /* The rarest of 1000 Zipf keys expects about 140 of 1 M draws; a hash
   * mod n would leave about a third of the keys never drawn. */
  const uint64_t n = 1000;
  keydist_params_t p = make_params(KEYDIST_ZIPF, n);
  uint64_t *counts = draw_counts(&p, 19);
  for (uint64_t k = 0; k < n; k++)
    cr_assert(counts[k] > 0,
              "Zipf 0.99 over %llu keys, %d draws (seed 19): expected every "
              "key drawn, key %llu never was",
              (unsigned long long)n, DRAWS, (unsigned long long)k);
  free(counts);
}

Test(keydist, zipf_hot_keys_are_scattered_over_the_key_space) {
  const uint64_t n = 10000;
  keydist_params_t p = make_params(KEYDIST_ZIPF, n);
  uint64_t *counts = draw_counts(&p, 23);
  /* The ten hottest keys should land anywhere, not at 0 .. 9. */
  int in_first_percent = 0;
  for (int hot = 0; hot < 10; hot++) {
    uint64_t best = 0;
    for (uint64_t k = 1; k < n; k++)
      if (counts[k] > counts[best])
        best = k;
    in_first_percent += best < n / 100;
    counts[best] = 0;
  }
  cr_assert(in_first_percent <= 2,
            "Zipf over %llu keys (seed 23): expected the 10 hottest keys "
            "spread out, %d of them are among keys 0..%llu",
            (unsigned long long)n, in_first_percent,
            (unsigned long long)(n / 100 - 1));
  free(counts);
}

static void check_hotspot(double hot_fraction, double hot_share,
                          uint64_t seed) {
  const uint64_t n = 10000;
  keydist_params_t p = make_params(KEYDIST_HOTSPOT, n);
  p.hot_fraction = hot_fraction;
  p.hot_share = hot_share;
  uint64_t *counts = draw_counts(&p, seed);
  qsort(counts, n, sizeof counts[0], compare_desc);
  uint64_t hot = (uint64_t)llround(hot_fraction * (double)n);
  double got = top_share(counts, hot);
  /* Binomial spread of the hot share over 1 M draws is under 0.05 points;
   * the most-drawn cold keys can edge in, hence 0.5. */
  cr_assert(fabs(got - hot_share) <= 0.005,
            "hotspot %g%% of %llu keys -> %g%% (seed %llu, %d draws): top "
            "%llu keys expected %.2f%% of draws, got %.2f%%",
            hot_fraction * 100, (unsigned long long)n, hot_share * 100,
            (unsigned long long)seed, DRAWS, (unsigned long long)hot,
            hot_share * 100, got * 100);
  free(counts);
}

Test(keydist, hotspot_hot_fraction_of_keys_gets_hot_share_of_requests) {
  check_hotspot(0.01, 0.9, 29);
  check_hotspot(0.2, 0.8, 31);
}

Test(keydist, prepare_rejects_invalid_params_with_einval) {
  struct {
    const char *what;
    keydist_params_t params;
  } bad[] = {
      {"0 keys", make_params(KEYDIST_UNIFORM, 0)},
      {"theta 1", make_params(KEYDIST_ZIPF, 10)},
      {"theta 0", make_params(KEYDIST_ZIPF, 10)},
      {"theta 1.5", make_params(KEYDIST_ZIPF, 10)},
      {"hot fraction 0", make_params(KEYDIST_HOTSPOT, 10)},
      {"hot share 1.1", make_params(KEYDIST_HOTSPOT, 10)},
      {"kind 99", make_params((keydist_kind_t)99, 10)},
  };
  bad[1].params.theta = 1;
  bad[2].params.theta = 0;
  bad[3].params.theta = 1.5;
  bad[4].params.hot_fraction = 0;
  bad[5].params.hot_share = 1.1;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    keydist_shared_t shared;
    int rc = keydist_prepare(&shared, &bad[i].params);
    cr_assert(rc == -EINVAL, "keydist_prepare with %s: expected %d, got %d",
              bad[i].what, -EINVAL, rc);
  }
}

Test(keydist, parse_reads_each_form_and_keeps_key_count) {
  struct {
    const char *text;
    keydist_kind_t kind;
    double theta, hot_fraction, hot_share;
  } good[] = {
      {"uniform", KEYDIST_UNIFORM, 0.99, 0.01, 0.9},
      {"zipf", KEYDIST_ZIPF, 0.99, 0.01, 0.9},
      {"zipf:0.8", KEYDIST_ZIPF, 0.8, 0.01, 0.9},
      {"hotspot", KEYDIST_HOTSPOT, 0.99, 0.01, 0.9},
      {"hotspot:0.2:0.5", KEYDIST_HOTSPOT, 0.99, 0.2, 0.5},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    keydist_params_t p = make_params(KEYDIST_UNIFORM, 777);
    p.theta = 0.5;
    int rc = keydist_parse(&p, good[i].text);
    cr_assert(rc == 0 && p.kind == good[i].kind && p.key_count == 777 &&
                  p.theta == good[i].theta &&
                  p.hot_fraction == good[i].hot_fraction &&
                  p.hot_share == good[i].hot_share,
              "keydist_parse(\"%s\"): expected 0, %s, 777 keys, theta %g, "
              "hot %g -> %g; got %d, %s, %llu keys, theta %g, hot %g -> %g",
              good[i].text, kind_name(good[i].kind), good[i].theta,
              good[i].hot_fraction, good[i].hot_share, rc, kind_name(p.kind),
              (unsigned long long)p.key_count, p.theta, p.hot_fraction,
              p.hot_share);
  }
}

Test(keydist, parse_rejects_junk_with_einval_and_leaves_params_alone) {
  const char *junk[] = {"",
                        "Uniform",
                        "uniform:1",
                        "zipfy",
                        "zipf:",
                        "zipf:abc",
                        "zipf:0.8x",
                        "zipf: 0.8",
                        "zipf:1",
                        "zipf:0",
                        "zipf:-0.5",
                        "zipf:nan",
                        "zipf:0.5:0.5",
                        "hotspot:",
                        "hotspot:0.01",
                        "hotspot:0.01:",
                        "hotspot:0.01:0.9:1",
                        "hotspot:0:0.9",
                        "hotspot:1.5:0.9",
                        "hotspot:0.01:1.1",
                        "hotspot::0.9",
                        "gaussian"};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
    keydist_params_t p = make_params(KEYDIST_UNIFORM, 777);
    keydist_params_t before = p;
    int rc = keydist_parse(&p, junk[i]);
    cr_assert(rc == -EINVAL, "keydist_parse(\"%s\"): expected %d, got %d",
              junk[i], -EINVAL, rc);
    cr_assert(memcmp(&p, &before, sizeof p) == 0,
              "keydist_parse(\"%s\") failed but changed params", junk[i]);
  }
  keydist_params_t p = make_params(KEYDIST_UNIFORM, 1);
  cr_assert(keydist_parse(&p, NULL) == -EINVAL,
            "keydist_parse(NULL): expected %d", -EINVAL);
}

static void check_describe(const char *text, uint64_t key_count,
                           const char *expected) {
  keydist_params_t p = make_params(KEYDIST_UNIFORM, key_count);
  int rc = keydist_parse(&p, text);
  cr_assert(rc == 0, "keydist_parse(\"%s\"): expected 0, got %d", text, rc);
  char buf[64];
  const char *got = keydist_describe(&p, buf, sizeof buf);
  cr_assert(got == buf && strcmp(buf, expected) == 0,
            "describe of \"%s\" with %llu keys: expected \"%s\", got \"%s\"",
            text, (unsigned long long)key_count, expected, buf);
}

Test(keydist, describe_names_what_parse_read) {
  check_describe("zipf", 1000000, "1M keys Zipf 0.99");
  check_describe("zipf:0.8", 1000000, "1M keys Zipf 0.8");
  check_describe("uniform", 10000, "10K keys uniform");
  check_describe("hotspot", 1000000, "1M keys hotspot 1%→90%");
  check_describe("hotspot:0.2:0.5", 2000000000, "2G keys hotspot 20%→50%");
  check_describe("uniform", 1500000, "1500K keys uniform");
  check_describe("uniform", 2500, "2500 keys uniform");
  check_describe("uniform", 7, "7 keys uniform");
}

Test(keydist, describe_truncates_to_the_buffer) {
  keydist_params_t p = make_params(KEYDIST_ZIPF, 1000000);
  char buf[8];
  keydist_describe(&p, buf, sizeof buf);
  cr_assert(strcmp(buf, "1M keys") == 0,
            "describe into 8 bytes: expected \"1M keys\", got \"%s\"", buf);
}
