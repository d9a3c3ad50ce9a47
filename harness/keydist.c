/* keydist.c - key choosers for load: uniform, scrambled Zipf (YCSB), hotspot,
 * each drawing from a per-thread xoshiro256** generator. */
#include "keydist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYDIST_DEFAULT_THETA 0.99
#define KEYDIST_DEFAULT_HOT_FRACTION 0.01
#define KEYDIST_DEFAULT_HOT_SHARE 0.9

/* Scatters ranks over [0, n) so that the hot keys are not 0, 1, 2, ... and do
 * not sit side by side. YCSB's ScrambledZipfian takes an FNV hash mod n, which
 * is not one-to-one: about 1/e of the keys would never be chosen and some
 * would get two ranks' traffic. Instead this is a permutation: steps that are
 * each one-to-one on b-bit numbers (xor with a constant, a multiply by the
 * odd FNV prime, xor-shifts), where 2^b is the power of two at or above n,
 * repeated while the result is >= n ("cycle walking", fewer than 2 rounds on
 * average). */
static uint64_t keydist_scramble(uint64_t rank, uint64_t n) {
  if (n <= 2)
    return rank;
  unsigned bits = 64 - (unsigned)__builtin_clzll(n - 1);
  uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
  uint64_t x = rank;
  do {
    x = (x ^ 0xcbf29ce484222325ull) & mask; /* FNV offset: rank 0 moves too */
    x = (x * 0x100000001b3ull) & mask;      /* FNV-1 64-bit prime */
    x ^= x >> (bits / 2 + 1);
    x = (x * 0x9e3779b97f4a7c15ull) & mask;
    x ^= x >> (bits / 2 + 1);
  } while (x >= n);
  return x;
}

/* zeta(n, theta) = sum over i = 1 .. n of 1 / i^theta, as YCSB sums it. */
static double keydist_zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; i++)
    sum += 1.0 / pow((double)i, theta);
  return sum;
}

int keydist_prepare(keydist_shared_t *shared, const keydist_params_t *params) {
  const keydist_params_t *p = params;
  if (p->key_count == 0)
    return -EINVAL;
  switch (p->kind) {
  case KEYDIST_UNIFORM: break;
  case KEYDIST_ZIPF:
    if (!(p->theta > 0 && p->theta < 1))
      return -EINVAL;
    break;
  case KEYDIST_HOTSPOT:
    if (!(p->hot_fraction > 0 && p->hot_fraction <= 1) ||
        !(p->hot_share >= 0 && p->hot_share <= 1))
      return -EINVAL;
    break;
  default: return -EINVAL;
  }
  memset(shared, 0, sizeof *shared);
  shared->params = *p;
  if (p->kind == KEYDIST_ZIPF) {
    /* Gray et al., "Quickly generating billion-record synthetic databases"
     * (SIGMOD '94), with YCSB's names. With n <= 2 the first two cases of
     * keydist_next cover every draw and eta, 0 / 0, is never used. */
    double n = (double)p->key_count;
    shared->zeta_n = keydist_zeta(p->key_count, p->theta);
    shared->zeta_2 = keydist_zeta(2, p->theta);
    shared->alpha = 1.0 / (1.0 - p->theta);
    shared->eta = p->key_count <= 2
                      ? 0
                      : (1.0 - pow(2.0 / n, 1.0 - p->theta)) /
                            (1.0 - shared->zeta_2 / shared->zeta_n);
  }
  return 0;
}

void keydist_init(keydist_t *chooser, const keydist_shared_t *shared,
                  uint64_t seed) {
  chooser->shared = shared;
  rng_seed(&chooser->rng, seed);
}

/* A Zipf rank in [0, n): rank 0 is the most popular. */
static uint64_t keydist_zipf_rank(keydist_t *chooser) {
  const keydist_shared_t *sh = chooser->shared;
  uint64_t n = sh->params.key_count;
  double u = rng_unit(&chooser->rng);
  double uz = u * sh->zeta_n;
  if (uz < 1.0)
    return 0;
  if (uz < sh->zeta_2) /* YCSB's 1 + 0.5^theta, which is zeta(2) */
    return 1;
  uint64_t rank =
      (uint64_t)((double)n * pow(sh->eta * u - sh->eta + 1.0, sh->alpha));
  return rank < n ? rank : n - 1;
}

/* With probability hot_share one of the hot ranks [0, hot), else one of the
 * others, each uniformly (YCSB's HotspotIntegerGenerator). */
static uint64_t keydist_hotspot_rank(keydist_t *chooser) {
  const keydist_params_t *p = &chooser->shared->params;
  uint64_t n = p->key_count;
  uint64_t hot = (uint64_t)llround(p->hot_fraction * (double)n);
  hot = hot < 1 ? 1 : hot > n ? n : hot;
  if (hot == n || rng_unit(&chooser->rng) < p->hot_share)
    return rng_below(&chooser->rng, hot);
  return hot + rng_below(&chooser->rng, n - hot);
}

uint64_t keydist_next(keydist_t *chooser) {
  uint64_t n = chooser->shared->params.key_count;
  switch (chooser->shared->params.kind) {
  case KEYDIST_ZIPF: return keydist_scramble(keydist_zipf_rank(chooser), n);
  case KEYDIST_HOTSPOT:
    return keydist_scramble(keydist_hotspot_rank(chooser), n);
  case KEYDIST_UNIFORM:
  default: return rng_below(&chooser->rng, n);
  }
}

/* Parses a whole decimal number at *text up to the next ':' or the end.
 * Returns 0 and advances *text, or -EINVAL. */
static int keydist_parse_number(const char **text, double *out) {
  const char *start = *text;
  if (*start == '\0' || *start == ':' || *start == ' ' || *start == '\t' ||
      *start == '\n' || *start == '+' || *start == '-')
    return -EINVAL;
  char *end;
  errno = 0;
  double value = strtod(start, &end);
  if (errno != 0 || end == start || (*end != '\0' && *end != ':') ||
      !isfinite(value))
    return -EINVAL;
  *out = value;
  *text = end;
  return 0;
}

int keydist_parse(keydist_params_t *params, const char *text) {
  if (!params || !text)
    return -EINVAL;
  keydist_params_t p = *params;
  p.theta = KEYDIST_DEFAULT_THETA;
  p.hot_fraction = KEYDIST_DEFAULT_HOT_FRACTION;
  p.hot_share = KEYDIST_DEFAULT_HOT_SHARE;
  if (strcmp(text, "uniform") == 0) {
    p.kind = KEYDIST_UNIFORM;
  } else if (strncmp(text, "zipf", 4) == 0 &&
             (text[4] == '\0' || text[4] == ':')) {
    p.kind = KEYDIST_ZIPF;
    const char *rest = text + 4;
    if (*rest == ':') {
      rest++;
      if (keydist_parse_number(&rest, &p.theta) != 0 || *rest != '\0')
        return -EINVAL;
    }
    if (!(p.theta > 0 && p.theta < 1))
      return -EINVAL;
  } else if (strncmp(text, "hotspot", 7) == 0 &&
             (text[7] == '\0' || text[7] == ':')) {
    p.kind = KEYDIST_HOTSPOT;
    const char *rest = text + 7;
    if (*rest == ':') {
      rest++;
      if (keydist_parse_number(&rest, &p.hot_fraction) != 0 || *rest != ':')
        return -EINVAL;
      rest++;
      if (keydist_parse_number(&rest, &p.hot_share) != 0 || *rest != '\0')
        return -EINVAL;
    }
    if (!(p.hot_fraction > 0 && p.hot_fraction <= 1) ||
        !(p.hot_share >= 0 && p.hot_share <= 1))
      return -EINVAL;
  } else {
    return -EINVAL;
  }
  *params = p;
  return 0;
}

/* "1M", "10K", "2500": the largest of K, M, G that divides n exactly. */
static void keydist_describe_count(uint64_t n, char *buf, size_t size) {
  static const struct {
    uint64_t unit;
    const char *suffix;
  } units[] = {{1000000000ull, "G"}, {1000000ull, "M"}, {1000ull, "K"}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (n >= units[i].unit && n % units[i].unit == 0) {
      snprintf(buf, size, "%llu%s", (unsigned long long)(n / units[i].unit),
               units[i].suffix);
      return;
    }
  }
  snprintf(buf, size, "%llu", (unsigned long long)n);
}

const char *keydist_describe(const keydist_params_t *params, char *buf,
                             unsigned long size) {
  if (!buf || size == 0)
    return buf;
  char count[32];
  keydist_describe_count(params->key_count, count, sizeof count);
  switch (params->kind) {
  case KEYDIST_UNIFORM: snprintf(buf, size, "%s keys uniform", count); break;
  case KEYDIST_ZIPF:
    snprintf(buf, size, "%s keys Zipf %g", count, params->theta);
    break;
  case KEYDIST_HOTSPOT:
    snprintf(buf, size, "%s keys hotspot %g%%→%g%%", count,
             params->hot_fraction * 100, params->hot_share * 100);
    break;
  default: snprintf(buf, size, "%s keys (unknown distribution)", count); break;
  }
  return buf;
}
