/* stage6_beat_lru.c - stage 6 (optional): your own policy against LRU on
 * a seeded trace of Zipf 0.99 requests mixed with periodic scans, at a
 * cache of 1% of the keys; Belady's MIN is shown as the ceiling. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_model.h"
#include "lc_suite.h"

TestSuite(beat_lru, .init = lcs_setup, .timeout = 60);

/* 100 000 popular keys, a cache of 1 000; 1 000 000 requests, of which
 * every 100 000th starts a scan of 10 000 keys never seen before. */
#define KEYS 100000
#define CACHE 1000
#define REQUESTS 1000000
#define SCAN_EVERY 100000
#define SCAN_LENGTH 10000
#define SCAN_KEYS ((REQUESTS / SCAN_EVERY) * SCAN_LENGTH)
#define MARGIN 0.03
#define THETA 0.99
#define KEY_LEN 12

/* YCSB's Zipfian generator over n items (Gray et al., "Quickly generating
 * billion-record synthetic databases"), its rank scrambled by a hash so
 * that popular keys are spread over the key space. */
typedef struct zipf {
  uint64_t n;
  double alpha, zeta_n, eta;
} zipf_t;

static void zipf_init(zipf_t *z, uint64_t n) {
  double zeta_n = 0, zeta_2 = 1 + pow(0.5, THETA);
  for (uint64_t i = 1; i <= n; i++)
    zeta_n += 1 / pow((double)i, THETA);
  z->n = n;
  z->zeta_n = zeta_n;
  z->alpha = 1 / (1 - THETA);
  z->eta = (1 - pow(2.0 / (double)n, 1 - THETA)) / (1 - zeta_2 / zeta_n);
}

static uint64_t zipf_next(const zipf_t *z, rng_t *rng) {
  double u = rng_unit(rng), uz = u * z->zeta_n;
  uint64_t rank;
  if (uz < 1)
    rank = 0;
  else if (uz < 1 + pow(0.5, THETA))
    rank = 1;
  else
    rank = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1, z->alpha));
  if (rank >= z->n)
    rank = z->n - 1;
  return (rank * 0x9e3779b97f4a7c15ULL) % z->n;
}

/* The trace: key numbers, scan keys numbered from KEYS on. */
static uint32_t *make_trace(uint64_t seed) {
  uint32_t *trace = malloc(REQUESTS * sizeof *trace);
  cr_assert(trace != NULL, "out of memory in the test");
  zipf_t zipf;
  zipf_init(&zipf, KEYS);
  rng_t rng;
  rng_seed(&rng, seed);
  uint32_t next_scan_key = KEYS;
  for (uint64_t i = 0; i < REQUESTS; i++) {
    if (i % SCAN_EVERY >= SCAN_EVERY - SCAN_LENGTH)
      trace[i] = next_scan_key++;
    else
      trace[i] = (uint32_t)zipf_next(&zipf, &rng);
  }
  return trace;
}

/* Exact LRU of CACHE entries on the trace (get, and put on a miss). */
static double lru_hit_ratio(const uint32_t *trace) {
  static size_t lens[KEYS + SCAN_KEYS];
  for (size_t i = 0; i < KEYS + SCAN_KEYS; i++)
    lens[i] = KEY_LEN;
  lc_config_t config = {LC_POLICY_LRU, CACHE, 0};
  lcm_t model;
  cr_assert(lcm_init(&model, &config, KEYS + SCAN_KEYS, lens) == 0,
            "out of memory in the test");
  uint64_t hits = 0;
  for (uint64_t i = 0; i < REQUESTS; i++) {
    if (lcm_get(&model, trace[i], 1) != NULL)
      hits++;
    else
      lcm_put(&model, trace[i], "", 0, LC_NO_TTL, 1);
  }
  lcm_free(&model);
  return (double)hits / REQUESTS;
}

/* A max-heap of (next use, key), stale pairs skipped when popped. */
typedef struct heap_item {
  uint64_t next;
  uint32_t key;
} heap_item_t;

static void heap_push(heap_item_t *heap, size_t *size, heap_item_t item) {
  size_t i = (*size)++;
  while (i > 0 && heap[(i - 1) / 2].next < item.next) {
    heap[i] = heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  heap[i] = item;
}

static heap_item_t heap_pop(heap_item_t *heap, size_t *size) {
  heap_item_t top = heap[0], last = heap[--*size];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= *size)
      break;
    if (child + 1 < *size && heap[child + 1].next > heap[child].next)
      child++;
    if (heap[child].next <= last.next)
      break;
    heap[i] = heap[child];
    i = child;
  }
  if (*size > 0)
    heap[i] = last;
  return top;
}

/* Belady's MIN: on a miss with a full cache, evict the entry used again
 * furthest in the future. No policy can do better. */
static double min_hit_ratio(const uint32_t *trace) {
  uint64_t *next_use = malloc(REQUESTS * sizeof *next_use);
  uint64_t *upcoming = malloc((KEYS + SCAN_KEYS) * sizeof *upcoming);
  uint64_t *cached_next = malloc((KEYS + SCAN_KEYS) * sizeof *cached_next);
  heap_item_t *heap = malloc((REQUESTS + 1) * sizeof *heap);
  cr_assert(next_use && upcoming && cached_next && heap, "out of memory");
  for (size_t k = 0; k < KEYS + SCAN_KEYS; k++) {
    upcoming[k] = UINT64_MAX;
    cached_next[k] = 0; /* 0: not cached */
  }
  for (uint64_t i = REQUESTS; i-- > 0;) {
    next_use[i] = upcoming[trace[i]];
    upcoming[trace[i]] = i;
  }
  size_t size = 0, cached = 0;
  uint64_t hits = 0;
  for (uint64_t i = 0; i < REQUESTS; i++) {
    uint32_t key = trace[i];
    /* Next uses are stored + 1 so that 0 can mean "not cached". */
    uint64_t next = next_use[i] == UINT64_MAX ? UINT64_MAX : next_use[i] + 1;
    if (cached_next[key] != 0) {
      hits++;
    } else {
      if (cached == CACHE) {
        for (;;) {
          heap_item_t top = heap_pop(heap, &size);
          if (cached_next[top.key] == top.next) {
            cached_next[top.key] = 0;
            break;
          }
        }
        cached--;
      }
      cached++;
    }
    cached_next[key] = next;
    heap_push(heap, &size, (heap_item_t){next, key});
  }
  free(next_use);
  free(upcoming);
  free(cached_next);
  free(heap);
  return (double)hits / REQUESTS;
}

Test(beat_lru, your_policy_beats_lru_by_3_points_on_zipf_with_scans) {
  lc_t *cache = lcs_open(LC_POLICY_OWN, CACHE, 0);
  const lc_api_t *api = lcs_api();
  rng_t rng;
  lcs_rng(&rng, 0xbe1ad1);
  uint32_t *trace = make_trace(rng_next(&rng));
  uint32_t *latest = calloc(KEYS + SCAN_KEYS, sizeof *latest);
  cr_assert(latest != NULL, "out of memory in the test");
  uint64_t hits = 0;
  char key[KEY_LEN + 1];
  for (uint64_t i = 0; i < REQUESTS; i++) {
    if (i % 100000 == 0)
      stagekit_step("your own policy, a cache of %d: request %llu of %d of "
                    "the trace",
                    CACHE, (unsigned long long)i + 1, REQUESTS);
    uint32_t k = trace[i];
    snprintf(key, sizeof key, "key:%08u", (unsigned)k);
    uint64_t buffer = 0;
    size_t value_len = 0;
    bool found = false;
    int rc = api->get(cache, key, KEY_LEN, 1000 + i, &buffer, sizeof buffer,
                      &value_len, &found);
    cr_assert(rc == 0, "request %llu: lc_get(\"%s\") returned %s; %s",
              (unsigned long long)i + 1, key, lcs_rc_text(rc), lcs_replay());
    if (found) {
      uint64_t want = ((uint64_t)k << 32) | latest[k];
      cr_assert(value_len == sizeof want && buffer == want,
                "your own policy, request %llu of the trace: lc_get(\"%s\") "
                "found a value of %zu bytes that is not the last one put "
                "for this key (put at request %u); every rule of stages "
                "1-5 but the choice of victim still holds; %s",
                (unsigned long long)i + 1, key, value_len, latest[k],
                lcs_replay());
      hits++;
      continue;
    }
    latest[k] = (uint32_t)i;
    uint64_t value = ((uint64_t)k << 32) | latest[k];
    rc = api->put(cache, key, KEY_LEN, &value, sizeof value, LC_NO_TTL,
                  1000 + i);
    cr_assert(rc == 0, "request %llu: lc_put(\"%s\") returned %s; %s",
              (unsigned long long)i + 1, key, lcs_rc_text(rc), lcs_replay());
  }
  lc_stats_t s = lcs_stats(cache);
  api->destroy(cache);
  cr_assert(s.items <= CACHE,
            "your own policy, max_entries %d: after the trace lc_stats says "
            "items %llu; %s",
            CACHE, (unsigned long long)s.items, lcs_replay());
  stagekit_step("computing LRU's and Belady's MIN hit ratios on the trace");
  double yours = (double)hits / REQUESTS;
  double lru = lru_hit_ratio(trace);
  double min = min_hit_ratio(trace);
  free(trace);
  free(latest);
  stagekit_fact("hit ratio on Zipf 0.99 with scans, a cache of 1%% of the "
                "keys: yours %.2f%%, LRU %.2f%%, Belady's MIN %.2f%% (the "
                "ceiling)",
                100 * yours, 100 * lru, 100 * min);
  cr_assert(yours >= lru + MARGIN,
            "your own policy hit %.2f%% of %d requests (a trace of Zipf %.2f "
            "over %d keys, with a scan of %d new keys every %d requests; "
            "max_entries %d, a get and on a miss a put); LRU hits %.2f%% on "
            "the same trace, and at least %.2f%% (3 points more) is needed. "
            "Belady's MIN, which knows the future, hits %.2f%%. Scans push "
            "LRU's popular entries out: keep new keys on probation (a small "
            "FIFO, S3-FIFO) or let a visited bit protect entries (SIEVE, "
            "CLOCK); %s",
            100 * yours, REQUESTS, THETA, KEYS, SCAN_LENGTH, SCAN_EVERY, CACHE,
            100 * lru, 100 * (lru + MARGIN), 100 * min, lcs_replay());
}
