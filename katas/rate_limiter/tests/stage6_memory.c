/* stage6_memory.c - stage 6: memory follows active keys. A million keys
 * that went idle are reclaimed as later calls go on, tables shrink, a busy
 * key's memory stays bounded however many requests it makes, and
 * rl_destroy frees everything. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "rl_suite.h"

#define SECOND RLS_NS_PER_S
#define MIB (1024 * 1024)

TestSuite(memory, .init = rls_setup, .timeout = 60);

enum { KEYS = 1000000, LATER_CALLS = 2000000, HOT_KEYS = 4, LIMIT = 10 };

enum { BUSY_KEYS = 4, BUSY_CALLS = 2000000, BUSY_LIMIT = 10 };

/* The busy keys' window: one request per us per key is exactly the rate
 * they may have, so that every request (nearly every one, for the sliding
 * window counter's estimate) is allowed and counted. */
#define BUSY_WINDOW_NS 10000ULL

/* The limiter's footprint at each point, in bytes allocated by the whole
 * process. */
typedef struct footprint {
  int64_t before, fresh, active, later, destroyed;
} footprint_t;

/* What a run does: distinct keys with one request each, 1 ns apart from
 * 10 s on; then calls on a few keys, call j on key j % hot_keys at
 * hot_start + j * hot_step. */
typedef struct plan {
  uint64_t limit, window_ns;
  uint64_t distinct;
  uint64_t hot_calls, hot_keys, hot_start, hot_step;
  const char *hot_prefix;
} plan_t;

/* The idle-keys test: a million keys, then 2 M calls 2 us apart on a
 * handful of keys from three windows later on (four windows in all). */
static const plan_t idle_plan = {LIMIT,    SECOND,      KEYS, LATER_CALLS,
                                 HOT_KEYS, 13 * SECOND, 2000, "hot:"};

/* Creates a limiter, runs plan on it and destroys it. No assertion runs in
 * between, since Criterion may allocate for one. Counts the allowed calls
 * in *allowed. Returns the first error of rl_create or rl_check, or 0. */
static int run(rl_algorithm_t algorithm, const plan_t *plan, footprint_t *bytes,
               uint64_t *allowed, uint64_t *failed_call) {
  const rl_api_t *api = rls_api();
  rl_config_t config = {algorithm, plan->limit, plan->window_ns};
  const char *title = rlm_algorithm_title(algorithm);
  char key[32];
  rl_decision_t decision;
  *failed_call = 0;
  *allowed = 0;
  bytes->before = memstat_allocated();
  rl_t *rl = NULL;
  int rc = api->create(&config, &rl);
  if (rc != 0)
    return rc;
  bytes->fresh = memstat_allocated();
  for (uint64_t i = 0; i < plan->distinct && rc == 0; i++) {
    if (i % 250000 == 0)
      stagekit_step("%s: request for distinct key %llu of %llu", title,
                    (unsigned long long)i + 1,
                    (unsigned long long)plan->distinct);
    int len = snprintf(key, sizeof key, "memory:%07llu", (unsigned long long)i);
    rc = api->check(rl, key, (size_t)len, 10 * SECOND + i, &decision);
    *failed_call = i + 1;
  }
  bytes->active = memstat_allocated();
  for (uint64_t j = 0; j < plan->hot_calls && rc == 0; j++) {
    if (j % 500000 == 0)
      stagekit_step("%s: call %llu of %llu on %llu keys, after %llu distinct "
                    "keys",
                    title, (unsigned long long)j + 1,
                    (unsigned long long)plan->hot_calls,
                    (unsigned long long)plan->hot_keys,
                    (unsigned long long)plan->distinct);
    int len = snprintf(key, sizeof key, "%s%llu", plan->hot_prefix,
                       (unsigned long long)(j % plan->hot_keys));
    rc = api->check(rl, key, (size_t)len, plan->hot_start + j * plan->hot_step,
                    &decision);
    *allowed += decision.allowed;
    *failed_call = plan->distinct + j + 1;
  }
  bytes->later = memstat_allocated();
  stagekit_step("%s: rl_destroy", title);
  api->destroy(rl);
  bytes->destroyed = memstat_allocated();
  return rc;
}

/* Skips the test when the algorithm is not implemented, and warms up
 * process-wide state (a hash seed, a thread key) that is not the
 * limiter's. */
static void warm_up(const plan_t *plan, rl_algorithm_t algorithm) {
  rls_limiter_t warm;
  rls_open(&warm, algorithm, plan->limit, plan->window_ns);
  rl_decision_t decision;
  rls_api()->check(warm.rl, "warm", 4, SECOND, &decision);
  rls_close(&warm);
}

static void memory_follows_active_keys(rl_algorithm_t algorithm) {
  warm_up(&idle_plan, algorithm);
  footprint_t bytes = {0, 0, 0, 0, 0};
  uint64_t allowed, failed_call;
  int rc = run(algorithm, &idle_plan, &bytes, &allowed, &failed_call);
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

/* What each algorithm may keep for a busy key, in words. */
static const char *busy_key_bound(rl_algorithm_t algorithm) {
  switch (algorithm) {
  case RL_SLIDING_LOG:
    return "a sliding log holds at most L = 10 times per key: drop, and "
           "give back or reuse, the times that left the window";
  case RL_FIXED_WINDOW:
    return "a fixed window needs its current window and count, nothing of "
           "the windows before";
  case RL_TOKEN_BUCKET:
    return "a token bucket needs its level and the time it was counted to";
  case RL_SLIDING_WINDOW:
    return "a sliding window counter needs two counts, the current "
           "window's and the previous one's: forget every window before";
  }
  return "";
}

static void memory_per_busy_key_is_bounded(rl_algorithm_t algorithm) {
  /* Each key one request per us, from 10 s on, after no distinct keys. */
  const plan_t busy = {BUSY_LIMIT,       BUSY_WINDOW_NS, 0,
                       BUSY_CALLS,       BUSY_KEYS,      10 * SECOND,
                       1000 / BUSY_KEYS, "busy:"};
  warm_up(&busy, algorithm);
  footprint_t bytes = {0, 0, 0, 0, 0};
  uint64_t allowed, failed_call;
  int rc = run(algorithm, &busy, &bytes, &allowed, &failed_call);
  const char *title = rlm_algorithm_title(algorithm);
  cr_assert(rc == 0,
            "%s: call %llu (of %d calls on %d busy keys, each key one "
            "request per us, limit %d per %llu ns) returned %s; expected 0; "
            "seed=%llu",
            title, (unsigned long long)failed_call, BUSY_CALLS, BUSY_KEYS,
            BUSY_LIMIT, BUSY_WINDOW_NS, rls_rc_text(rc),
            (unsigned long long)stagekit_seed());
  if (bytes.before < 0)
    return; /* no jemalloc to count with in a sanitizer build */
  int64_t kept = bytes.later - bytes.fresh;
  uint64_t per_key = BUSY_CALLS / BUSY_KEYS;
  cr_assert(kept <= MIB,
            "%s: after %d requests on %d keys (each key one request per us "
            "for %s, limit %d per %llu ns: %llu of them allowed, over %llu "
            "windows per key), the limiter holds %lld bytes (%.1f MiB) more "
            "than when it was fresh, where at most 1 MiB is allowed. A busy "
            "key's memory must stay bounded however many requests it makes "
            "and however many windows pass: %s; seed=%llu",
            title, BUSY_CALLS, BUSY_KEYS, rlm_seconds(per_key * 1000),
            BUSY_LIMIT, BUSY_WINDOW_NS, (unsigned long long)allowed,
            (unsigned long long)(per_key * 1000 / BUSY_WINDOW_NS),
            (long long)kept, (double)kept / MIB, busy_key_bound(algorithm),
            (unsigned long long)stagekit_seed());
  cr_assert(bytes.destroyed == bytes.before,
            "%s: after rl_destroy, %lld bytes allocated during the test were "
            "not freed (%d busy keys): rl_destroy must free every key's "
            "state, the table and the limiter itself; seed=%llu",
            title, (long long)(bytes.destroyed - bytes.before), BUSY_KEYS,
            (unsigned long long)stagekit_seed());
}

Test(memory, fixed_window_memory_per_busy_key_is_bounded) {
  memory_per_busy_key_is_bounded(RL_FIXED_WINDOW);
}

Test(memory, sliding_log_memory_per_busy_key_is_bounded) {
  memory_per_busy_key_is_bounded(RL_SLIDING_LOG);
}

Test(memory, token_bucket_memory_per_busy_key_is_bounded) {
  memory_per_busy_key_is_bounded(RL_TOKEN_BUCKET);
}

Test(memory, sliding_window_memory_per_busy_key_is_bounded) {
  memory_per_busy_key_is_bounded(RL_SLIDING_WINDOW);
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
