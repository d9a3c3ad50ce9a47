/* stage3_memory.c - stage 3: bytes and memory. With max_bytes, key + value
 * bytes never exceed the budget after any call; overwrites, evictions,
 * deletes and lc_destroy give back every byte (jemalloc's count); the
 * overhead per entry is reported. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_history.h"
#include "lc_suite.h"

TestSuite(memory, .init = lcs_setup, .timeout = 60);

#define T0 1000

/* LRU: a random history compared call by call with the model, stats.bytes
 * included, under a byte budget alone and beside an entry limit. */
static void lru_history_within(uint64_t max_entries, uint64_t max_bytes,
                               const char *title) {
  enum { CALLS = 50000 };
  lc_t *probe = lcs_open(LC_POLICY_LRU, max_entries, max_bytes);
  lcs_api()->destroy(probe);
  lch_setup_t setup = {
      {LC_POLICY_LRU, max_entries, max_bytes}, 0, NULL, NULL, title};
  cr_assert(lch_keys_make(&setup, 200) == 0, "out of memory");
  lch_op_t *ops = malloc(CALLS * sizeof *ops);
  cr_assert(ops != NULL, "out of memory");
  rng_t rng;
  lcs_rng(&rng, 0xb17e5 + max_bytes);
  lch_generate(&setup, &rng, ops, CALLS);
  lch_check(&setup, ops, CALLS, memstat_allocated() < 0 ? 2000000 : 8000000);
  free(ops);
  lch_keys_free(&setup);
}

Test(memory, lru_keeps_bytes_within_max_bytes) {
  lru_history_within(0, 2048, "max_bytes 2048");
}

Test(memory, lru_keeps_bytes_within_max_bytes_and_max_entries) {
  lru_history_within(12, 1500, "max_entries 12 and max_bytes 1500");
}

Test(memory, lru_rejects_pairs_over_a_small_max_bytes) {
  /* Values of up to 400 bytes against a budget of 300: some puts get
   * -E2BIG and must leave the cache as it was. */
  lru_history_within(0, 300, "max_bytes 300");
}

Test(memory, any_policy_keeps_bytes_within_max_bytes) {
  /* Whatever the victims, after every call stats.bytes <= max_bytes, and
   * the entries a get finds add up to stats.items and stats.bytes. */
  enum { KEYS = 300, CALLS = 30000, BUDGET = 4096 };
  lc_policy_t policy =
      lcs_implements(LC_POLICY_OWN) ? LC_POLICY_OWN : lcs_any_policy();
  lc_t *cache = lcs_open(policy, 0, BUDGET);
  const lc_api_t *api = lcs_api();
  rng_t rng;
  lcs_rng(&rng, 0xb0b);
  static unsigned char value[600], buffer[600];
  char key[16];
  uint64_t now = T0;
  for (int i = 0; i < CALLS; i++, now++) {
    int len = snprintf(key, sizeof key, "b%u", (unsigned)rng_below(&rng, KEYS));
    size_t value_len = rng_below(&rng, 8) == 0 ? 0 : rng_below(&rng, 600);
    lcs_fill_value(value, value_len, (uint64_t)i);
    int rc =
        api->put(cache, key, (size_t)len, value, value_len, LC_NO_TTL, now);
    cr_assert(rc == 0,
              "%s, max_bytes %d: lc_put(%s, %zu bytes) returned %s; "
              "expected 0; %s",
              lcs_policy_title(policy), BUDGET, key, value_len, lcs_rc_text(rc),
              lcs_replay());
    lc_stats_t s = lcs_stats(cache);
    cr_assert(s.bytes <= BUDGET,
              "%s, max_bytes %d: after put %d (%s, %zu bytes), stats.bytes "
              "is %llu, over the budget: evict until key_len + value_len "
              "summed over the entries fits, the new entry included; %s",
              lcs_policy_title(policy), BUDGET, i + 1, key, value_len,
              (unsigned long long)s.bytes, lcs_replay());
    if (i % 1000 != 999)
      continue;
    /* Every 1000 calls: what gets find must be what the stats say. */
    lc_stats_t before = lcs_stats(cache);
    uint64_t count = 0, bytes = 0;
    for (unsigned k = 0; k < KEYS; k++) {
      len = snprintf(key, sizeof key, "b%u", k);
      size_t got_len;
      bool found;
      rc = api->get(cache, key, (size_t)len, now, buffer, sizeof buffer,
                    &got_len, &found);
      if (rc == 0 && found) {
        count++;
        bytes += (uint64_t)len + got_len;
      }
    }
    cr_assert(count == before.items && bytes == before.bytes && bytes <= BUDGET,
              "%s, max_bytes %d: after %d random puts, lc_stats said items "
              "%llu and bytes %llu, but gets of every key found %llu entries "
              "of %llu key + value bytes; they must agree, and stay within "
              "the budget; %s",
              lcs_policy_title(policy), BUDGET, i + 1,
              (unsigned long long)before.items,
              (unsigned long long)before.bytes, (unsigned long long)count,
              (unsigned long long)bytes, lcs_replay());
  }
  api->destroy(cache);
}

/* The footprint of a cache at the points the leak test looks at. */
typedef struct footprint {
  int64_t before, rounds[16], destroyed;
} footprint_t;

/* Sixteen rounds on one cache of max_entries N: put N keys of
 * 100..300-byte values, overwrite each longer then shorter, delete half,
 * put N new keys (which evict), delete every key the round put. No assertion
 * runs in between, since Criterion may allocate for one. Returns the first
 * error. */
static int leak_rounds(lc_policy_t policy, footprint_t *bytes) {
  enum { N = 2000 };
  const lc_api_t *api = lcs_api();
  static unsigned char value[400];
  char key[32];
  bool flag;
  bytes->before = memstat_allocated();
  lc_t *cache = NULL;
  lc_config_t config = {policy, N, 0};
  int rc = api->create(&config, &cache);
  uint64_t now = T0;
  for (int round = 0; round < 16 && rc == 0; round++) {
    stagekit_step("%s: leak round %d of 16 (puts, overwrites, deletes, "
                  "evictions)",
                  lcs_policy_title(policy), round + 1);
    for (int pass = 0; pass < 3 && rc == 0; pass++) {
      for (int i = 0; i < N && rc == 0; i++) {
        int len = snprintf(key, sizeof key, "leak:%d:%d", round, i);
        size_t value_len = (size_t)(100 + (i * 7 + pass * 150) % 300);
        lcs_fill_value(value, value_len, (uint64_t)i);
        rc = api->put(cache, key, (size_t)len, value, value_len, LC_NO_TTL,
                      now++);
      }
    }
    for (int i = 0; i < N && rc == 0; i += 2) {
      int len = snprintf(key, sizeof key, "leak:%d:%d", round, i);
      rc = api->del(cache, key, (size_t)len, now++, &flag);
    }
    for (int i = 0; i < N && rc == 0; i++) {
      int len = snprintf(key, sizeof key, "evict:%d:%d", round, i);
      rc = api->put(cache, key, (size_t)len, value, 100 + (size_t)i % 200,
                    LC_NO_TTL, now++);
    }
    for (int i = 0; i < N && rc == 0; i++) {
      int len = snprintf(key, sizeof key, "evict:%d:%d", round, i);
      rc = api->del(cache, key, (size_t)len, now++, &flag);
    }
    /* Whatever of the round's first keys a policy kept: deleted too, so
     * that the cache ends the round empty whichever entries it evicted. */
    for (int i = 1; i < N && rc == 0; i += 2) {
      int len = snprintf(key, sizeof key, "leak:%d:%d", round, i);
      rc = api->del(cache, key, (size_t)len, now++, &flag);
    }
    bytes->rounds[round] = memstat_allocated();
  }
  stagekit_step("%s: lc_destroy after the leak rounds",
                lcs_policy_title(policy));
  api->destroy(cache);
  bytes->destroyed = memstat_allocated();
  return rc;
}

Test(memory, overwrite_eviction_delete_and_destroy_leak_nothing) {
  lc_policy_t policy = lcs_any_policy();
  /* Warm up: the first cache may set up process-wide things once (a hash
   * seed, a thread key), which are not a leak. */
  footprint_t warm, bytes;
  leak_rounds(policy, &warm);
  int rc = leak_rounds(policy, &bytes);
  cr_assert(rc == 0, "%s: a call of the leak rounds returned %s; %s",
            lcs_policy_title(policy), lcs_rc_text(rc), lcs_replay());
  if (bytes.before < 0) {
    stagekit_fact("%s: bytes not measured (no jemalloc in a sanitizer "
                  "build); the rounds ran under the sanitizers",
                  lcs_policy_title(policy));
    return;
  }
  /* A leak grows with every round; what a policy sizes by its capacity
   * (a ghost list, a table with tombstones) settles or comes and goes. So
   * the least footprint of rounds 13 to 16 is compared with the largest of
   * rounds 5 to 8. */
  int64_t early = bytes.rounds[4], late = bytes.rounds[12];
  for (int r = 4; r < 8; r++)
    early = bytes.rounds[r] > early ? bytes.rounds[r] : early;
  for (int r = 12; r < 16; r++)
    late = bytes.rounds[r] < late ? bytes.rounds[r] : late;
  int64_t growth = late - early;
  cr_assert(growth <= 16384,
            "%s, max_entries 2000: each round puts 2000 keys, overwrites "
            "each with a longer then a shorter value, deletes half, puts "
            "2000 new keys (evicting) and deletes those: the cache ends "
            "each round empty. The process's allocated bytes were at most "
            "%lld above the fresh cache in rounds 5 to 8 and at least %lld "
            "in rounds 13 to 16: %lld more, where at most 16384 is allowed. "
            "An overwrite, an eviction or a delete does not free what the "
            "old entry held (its value, its key, its node); %s",
            lcs_policy_title(policy), (long long)(early - bytes.before),
            (long long)(late - bytes.before), (long long)growth, lcs_replay());
  cr_assert(bytes.destroyed == bytes.before,
            "%s: after lc_destroy, %lld bytes allocated since lc_create were "
            "not freed: lc_destroy must free every entry, key, value, the "
            "table and the cache itself; %s",
            lcs_policy_title(policy),
            (long long)(bytes.destroyed - bytes.before), lcs_replay());
}

Test(memory, overhead_per_entry_is_reported) {
  enum { N = 100000, KEY = 16, VALUE = 32 };
  lc_policy_t policy = lcs_any_policy();
  const lc_api_t *api = lcs_api();
  lc_t *warm = lcs_open(policy, N, 0);
  api->destroy(warm);
  char key[KEY + 8];
  unsigned char value[VALUE];
  memset(value, 'v', sizeof value);
  int64_t before = memstat_allocated();
  lc_t *cache = NULL;
  lc_config_t config = {policy, N, 0};
  int rc = api->create(&config, &cache);
  int64_t fresh = memstat_allocated();
  stagekit_step("%s: putting %d entries of 16 + 32 bytes",
                lcs_policy_title(policy), N);
  for (int i = 0; i < N && rc == 0; i++) {
    snprintf(key, sizeof key, "entry:%010d", i);
    rc = api->put(cache, key, KEY, value, VALUE, LC_NO_TTL, T0 + (uint64_t)i);
  }
  int64_t full = memstat_allocated();
  api->destroy(cache);
  int64_t destroyed = memstat_allocated();
  cr_assert(rc == 0, "%s: putting %d entries: a call returned %s; %s",
            lcs_policy_title(policy), N, lcs_rc_text(rc), lcs_replay());
  if (before < 0) {
    stagekit_fact("%s: overhead per entry not measured (no jemalloc in a "
                  "sanitizer build)",
                  lcs_policy_title(policy));
    return;
  }
  double overhead = (double)(full - fresh) / N - (KEY + VALUE);
  stagekit_fact("%s: %.0f bytes of overhead per entry beyond its 16-byte key "
                "and 32-byte value (100000 entries)",
                lcs_policy_title(policy), overhead);
  cr_assert(destroyed == before,
            "%s: after lc_destroy of a cache of %d entries, %lld bytes were "
            "not freed; %s",
            lcs_policy_title(policy), N, (long long)(destroyed - before),
            lcs_replay());
}
