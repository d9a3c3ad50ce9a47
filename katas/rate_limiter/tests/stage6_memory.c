/* stage6_memory.c - stage 6: memory follows active keys. A million keys
 * that went idle are reclaimed as later calls go on, tables shrink, and
 * rl_destroy frees everything. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "rl_suite.h"

#define SECOND RLS_NS_PER_S
#define MIB (1024 * 1024)

TestSuite(memory, .init = rls_setup, .timeout = 60);

enum { KEYS = 1000000, LATER_CALLS = 2000000, HOT_KEYS = 4, LIMIT = 10 };

/* The limiter's footprint at each point, in bytes allocated by the whole
 * process. */
typedef struct footprint {
  int64_t before, fresh, active, later, destroyed;
} footprint_t;

/* Creates a limiter, gives KEYS keys one request each within one
 * millisecond, then makes LATER_CALLS calls on HOT_KEYS keys from three
 * windows later on, then destroys it. No assertion runs in between, since
 * Criterion may allocate for one. Returns the first error of rl_create or
 * rl_check, or 0. */
static int run(rl_algorithm_t algorithm, footprint_t *bytes,
               uint64_t *failed_call) {
  const rls_api_t *api = rls_api();
  rl_config_t config = {algorithm, LIMIT, SECOND};
  char key[32];
  rl_decision_t decision;
  const uint64_t t0 = 10 * SECOND, t1 = t0 + 3 * SECOND;
  *failed_call = 0;
  bytes->before = memstat_allocated();
  rl_t *rl = NULL;
  int rc = api->create(&config, &rl);
  if (rc != 0)
    return rc;
  bytes->fresh = memstat_allocated();
  for (uint64_t i = 0; i < KEYS && rc == 0; i++) {
    if (i % 250000 == 0)
      stagekit_step("%s: request for distinct key %llu of %d",
                    rlm_algorithm_title(algorithm), (unsigned long long)i + 1,
                    KEYS);
    int len = snprintf(key, sizeof key, "memory:%07llu", (unsigned long long)i);
    rc = api->check(rl, key, (size_t)len, t0 + i, &decision);
    *failed_call = i + 1;
  }
  bytes->active = memstat_allocated();
  /* Later calls, 2 us apart: four windows in all, on a handful of keys. */
  for (uint64_t j = 0; j < LATER_CALLS && rc == 0; j++) {
    if (j % 500000 == 0)
      stagekit_step("%s: later call %llu of %d on %d keys, after %d keys "
                    "went idle",
                    rlm_algorithm_title(algorithm), (unsigned long long)j + 1,
                    LATER_CALLS, HOT_KEYS, KEYS);
    int len = snprintf(key, sizeof key, "hot:%llu",
                       (unsigned long long)(j % HOT_KEYS));
    rc = api->check(rl, key, (size_t)len, t1 + j * 2000, &decision);
    *failed_call = KEYS + j + 1;
  }
  bytes->later = memstat_allocated();
  stagekit_step("%s: rl_destroy after %d keys", rlm_algorithm_title(algorithm),
                KEYS);
  api->destroy(rl);
  bytes->destroyed = memstat_allocated();
  return rc;
}

static void memory_follows_active_keys(rl_algorithm_t algorithm) {
  /* Skips when not implemented; warms up process-wide state. */
  rls_limiter_t warm;
  rls_open(&warm, algorithm, LIMIT, SECOND);
  rl_decision_t decision;
  rls_api()->check(warm.rl, "warm", 4, SECOND, &decision);
  rls_close(&warm);

  footprint_t bytes = {0, 0, 0, 0, 0};
  uint64_t failed_call;
  int rc = run(algorithm, &bytes, &failed_call);
  const char *title = rlm_algorithm_title(algorithm);
  cr_assert(rc == 0,
            "%s: call %llu (of %d calls on distinct keys, then %d later "
            "calls) returned %s; expected 0; seed=%llu",
            title, (unsigned long long)failed_call, KEYS, LATER_CALLS,
            rls_rc_text(rc), (unsigned long long)stagekit_seed());
  if (bytes.before < 0) {
    /* A sanitizer build has no jemalloc to count bytes with; the sweep and
     * shrink paths still ran above, under AddressSanitizer. */
    stagekit_fact("%s: bytes not measured (no jemalloc in a sanitizer "
                  "build); reclaiming ran under the sanitizers",
                  title);
    return;
  }
  int64_t per_key = (bytes.active - bytes.fresh) / KEYS;
  stagekit_fact("%s: %lld bytes per active key", title, (long long)per_key);
  cr_log_info("%s: %lld bytes per active key (a fresh limiter: %lld bytes)",
              title, (long long)per_key,
              (long long)(bytes.fresh - bytes.before));
  int64_t kept = bytes.later - bytes.fresh;
  int64_t peak = bytes.active - bytes.fresh;
  cr_assert(kept <= MIB,
            "%s: after %d keys went idle (one request each at t=%s, limit "
            "%d per 1s) and %d later calls on %d other keys from t=%s to "
            "t=%s, the limiter still holds %lld bytes (%.1f MiB) more than "
            "when it was fresh, where at most 1 MiB is allowed; the million "
            "active keys took %.1f MiB. %s; seed=%llu",
            title, KEYS, rlm_seconds(10 * SECOND), LIMIT, LATER_CALLS, HOT_KEYS,
            rlm_seconds(13 * SECOND),
            rlm_seconds(13 * SECOND + (uint64_t)(LATER_CALLS - 1) * 2000),
            (long long)kept, (double)kept / MIB, (double)peak / MIB,
            kept * 2 < peak
                ? "Most of it was given back, not all: shrink the table (and "
                  "whatever else was sized for the peak) when it empties, "
                  "not only the keys"
                : "Idle keys' state was not given back: reclaim it as calls "
                  "go on (a little sweeping work inside each rl_check, no "
                  "background thread), and shrink the table when it empties",
            (unsigned long long)stagekit_seed());
  cr_assert(bytes.destroyed == bytes.before,
            "%s: after rl_destroy, %lld bytes allocated during the test were "
            "not freed (%d keys created, %d of them still active): "
            "rl_destroy must free every key's state, the table and the "
            "limiter itself; seed=%llu",
            title, (long long)(bytes.destroyed - bytes.before), KEYS + HOT_KEYS,
            HOT_KEYS, (unsigned long long)stagekit_seed());
}

Test(memory, fixed_window_memory_follows_active_keys) {
  memory_follows_active_keys(RL_FIXED_WINDOW);
}

Test(memory, sliding_log_memory_follows_active_keys) {
  memory_follows_active_keys(RL_SLIDING_LOG);
}

Test(memory, token_bucket_memory_follows_active_keys) {
  memory_follows_active_keys(RL_TOKEN_BUCKET);
}

Test(memory, sliding_window_memory_follows_active_keys) {
  memory_follows_active_keys(RL_SLIDING_WINDOW);
}
