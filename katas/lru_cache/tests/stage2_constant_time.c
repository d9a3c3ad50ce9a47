/* stage2_constant_time.c - stage 2: the cost of an operation grows with
 * the number of entries no faster than a logarithm (O(1) is the goal, O(log
 * n) passes, O(n) fails). The one stage that measures time, and only as a
 * ratio: per-operation time in a full cache of 1 M entries against one of
 * 1 K, with a wide margin. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "lc_suite.h"

TestSuite(constant_time, .init = lcs_setup, .timeout = 90);

/* Sizes grow by 4 from 1 K to 1 M; the ratio to 1 K must stay within
 * BOUND at every size. A hash table with a list stays within 5 to 30 (the
 * larger table no longer fits in the CPU's caches), and a balanced tree,
 * O(log n), within it too (twice the levels, each a cache miss); a linear
 * scan passes 64 by 64 K to 256 K entries, or runs out of BUDGET_NS filling
 * them. */
#define SMALLEST 1024
#define LARGEST (1024 * 1024)
#define BOUND 64.0
#define REPEATS 5
/* A measurement runs batches of calls until it has taken this long. */
#define BATCH_NS 3000000ULL
/* Filling and measuring may take this long in all; a cache that needs
 * more is too slow at its size, whatever the ratio said so far. */
#define BUDGET_NS 25000000000ULL
#define KEY_BYTES 16
/* Fresh keys for the puts that evict, beyond the ones that fill. */
#define SPARE_KEYS (256 * 1024)

static char *keys; /* key i at keys + i * KEY_BYTES: "obj:000000001234" */

static const char *key_at(uint64_t i) {
  return keys + i * KEY_BYTES;
}

/* A cache being timed, and the keys it uses. */
typedef struct run {
  const lc_api_t *api;
  lc_t *cache;
  uint64_t size, next_key;
  rng_t rng;
  int rc; /* the first error a call returned, or 0 */
} run_t;

/* One call of the mix: 80% gets of a random entry among the last size
 * keys put (mostly hits), 10% overwrites of one, 10% puts of a new key,
 * which evict. */
static int one_call(run_t *run) {
  char buffer[16];
  size_t value_len;
  bool found;
  uint64_t dice = rng_below(&run->rng, 10);
  uint64_t now = 1000 + run->next_key;
  if (dice <= 8) {
    uint64_t key = run->next_key - 1 - rng_below(&run->rng, run->size);
    if (dice == 8)
      return run->api->put(run->cache, key_at(key), KEY_BYTES, "overwrit", 8,
                           LC_NO_TTL, now);
    return run->api->get(run->cache, key_at(key), KEY_BYTES, now, buffer,
                         sizeof buffer, &value_len, &found);
  }
  if (run->next_key >= LARGEST + SPARE_KEYS)
    run->next_key = run->size; /* reuse keys evicted long ago */
  uint64_t key = run->next_key++;
  return run->api->put(run->cache, key_at(key), KEY_BYTES, "newvalue", 8,
                       LC_NO_TTL, now);
}

/* Creates a cache of max_entries size and fills it, until started +
 * BUDGET_NS; returns false when time ran out (run->next_key then says how
 * far it got) or a call failed (run->rc). */
static bool fill(run_t *run, lc_policy_t policy, uint64_t size, uint64_t seed,
                 uint64_t started) {
  memset(run, 0, sizeof *run);
  run->api = lcs_api();
  run->size = size;
  rng_seed(&run->rng, seed);
  lc_config_t config = {policy, size, 0};
  stagekit_step("filling a cache of %llu entries", (unsigned long long)size);
  run->rc = run->api->create(&config, &run->cache);
  for (uint64_t i = 0; i < size && run->rc == 0; i++) {
    run->rc = run->api->put(run->cache, key_at(i), KEY_BYTES, "original", 8,
                            LC_NO_TTL, 1000 + i);
    run->next_key = i + 1;
    if (i % 1024 == 0 && clock_monotonic_ns() - started > BUDGET_NS)
      return false;
  }
  return run->rc == 0;
}

/* CPU time of this thread: the time it was descheduled while other
 * processes ran (tests run two at a time on shared machines) does not
 * count, so a busy machine does not make a fast cache look slow. */
static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Times batches of calls until BATCH_NS of CPU time have passed; CPU ns
 * per call. */
static double time_batch(run_t *run) {
  uint64_t calls = 0, begin = thread_cpu_ns(), elapsed = 0;
  for (uint64_t batch = 16; elapsed < BATCH_NS && run->rc == 0; batch *= 2) {
    for (uint64_t i = 0; i < batch && run->rc == 0; i++)
      run->rc = one_call(run);
    calls += batch;
    elapsed = thread_cpu_ns() - begin;
  }
  return (double)elapsed / (double)calls;
}

Test(constant_time, operations_cost_the_same_at_1k_and_1m_entries) {
  lc_policy_t policy = lcs_any_policy();
  keys = malloc((uint64_t)(LARGEST + SPARE_KEYS) * KEY_BYTES + 1);
  cr_assert(keys != NULL, "out of memory in the test");
  for (uint64_t i = 0; i < LARGEST + SPARE_KEYS; i++) {
    char text[KEY_BYTES + 8];
    snprintf(text, sizeof text, "obj:%012llu", (unsigned long long)i);
    memcpy(keys + i * KEY_BYTES, text, KEY_BYTES);
  }
  rng_t rng;
  lcs_rng(&rng, 0x0c0de);
  uint64_t started = clock_monotonic_ns();
  const char *title = lcs_policy_title(policy);
  run_t base, at;
  bool filled = fill(&base, policy, SMALLEST, rng_next(&rng), started);
  cr_assert(filled, "%s, max_entries %d: a put returned %s; %s", title,
            SMALLEST, lcs_rc_text(base.rc), lcs_replay());
  char history[1024];
  size_t used = 0;
  for (uint64_t size = SMALLEST * 4; size <= LARGEST; size *= 4) {
    filled = fill(&at, policy, size, rng_next(&rng), started);
    cr_assert(at.rc == 0,
              "%s, max_entries %llu: a call returned %s; expected 0; %s", title,
              (unsigned long long)size, lcs_rc_text(at.rc), lcs_replay());
    cr_assert(filled,
              "%s: filling and timing caches of 1K, 4K, ... entries took "
              "more than %llu s in all; the cache of %llu entries held %llu "
              "when time ran out (per size so far: %s): calls get slower as "
              "the cache grows. A hash table (resized as it fills) and a "
              "doubly linked list make every get, put and eviction touch a "
              "fixed number of entries; %s",
              title, BUDGET_NS / 1000000000ULL, (unsigned long long)size,
              (unsigned long long)at.next_key, used ? history : "none",
              lcs_replay());
    /* The small and the large cache take turns, so that a busy moment of
     * the machine slows both; the fastest batch of each is kept, since
     * noise only ever adds time. */
    stagekit_step("timing calls in full caches of %d and %llu entries",
                  SMALLEST, (unsigned long long)size);
    double small_ns = 1e18, large_ns = 1e18;
    for (int r = 0; r < REPEATS && base.rc == 0 && at.rc == 0; r++) {
      double ns = time_batch(&base);
      small_ns = ns < small_ns ? ns : small_ns;
      ns = time_batch(&at);
      large_ns = ns < large_ns ? ns : large_ns;
    }
    stagekit_step("lc_destroy of a cache of %llu entries",
                  (unsigned long long)size);
    at.api->destroy(at.cache);
    cr_assert(base.rc == 0 && at.rc == 0,
              "%s: timing caches of %d and %llu entries, a call returned "
              "%s; expected 0; %s",
              title, SMALLEST, (unsigned long long)size,
              lcs_rc_text(base.rc != 0 ? base.rc : at.rc), lcs_replay());
    double ratio = large_ns / small_ns;
    if (used < sizeof history)
      used += (size_t)snprintf(history + used, sizeof history - used,
                               "%s%llu: %.0f ns against %.0f ns (x%.1f)",
                               used ? ", " : "", (unsigned long long)size,
                               large_ns, small_ns, ratio);
    cr_assert(ratio <= BOUND,
              "%s: a call (80%% gets, 10%% overwrites, 10%% puts that evict) "
              "takes %.0f ns in a full cache of %llu entries and %.0f ns in "
              "one of %d: %.1f times as long, where at most %.0f is allowed "
              "(the fastest of %d runs of each, taking turns; per size, "
              "%s). The cost grows with the number of entries: is a key "
              "found by scanning, the least recently used entry found by "
              "scanning, or the hash table never resized? %s",
              title, large_ns, (unsigned long long)size, small_ns, SMALLEST,
              ratio, BOUND, REPEATS, history, lcs_replay());
    if (size == LARGEST)
      stagekit_fact("%s: a call at 1M entries takes %.1fx as long as at 1K "
                    "(%.0f ns against %.0f ns; at most %.0fx allowed)",
                    title, ratio, large_ns, small_ns, BOUND);
  }
  base.api->destroy(base.cache);
  free(keys);
}
