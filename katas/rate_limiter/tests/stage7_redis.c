/* stage7_redis.c - stage 7: the token bucket kept in Redis. One handle's
 * decisions match stage 3's model exactly; handles in one process, and in
 * K worker processes hammering shared keys at a frozen shared clock, admit
 * together exactly what one bucket allows, never more; through a Redis
 * restart, failed calls are answered as fail_open says, and the limit holds
 * again once Redis is back. Each test has its own redis-server. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rl_redis.h"
#include "rl_suite.h"
#include "rl_workers.h"

#define SECOND RLS_NS_PER_S
/* A long window: Redis may expire a key W of real time after its last
 * call (the header allows it), and no test runs for a minute. */
#define WINDOW (60 * SECOND)
#define WORKERS 4
/* Few keys with a high limit: many decisions that spend a token race on
 * each key at once. */
#define SHARED_KEYS 4
#define SHARED_LIMIT 200

TestSuite(redis, .init = rlr_setup, .fini = rlr_teardown, .timeout = 60);

/* A start time for the test's frozen clock, seeded: small (below 2^50
 * ns), or wall-clock (around 2026, about 1.8e18 ns, where a double is 256
 * ns coarse), as servers on several hosts would pass. */
static uint64_t start_time(rng_t *rng) {
  return SECOND + rng_below(rng, 1ULL << 50);
}

static uint64_t wall_clock_time(rng_t *rng) {
  return 1764000000ULL * SECOND + rng_below(rng, 100ULL * 24 * 3600 * SECOND);
}

/* Keys that only a binary-safe, length-aware implementation keeps apart. */
static size_t make_tricky_keys(rls_key_t *keys) {
  static const struct {
    const char *bytes;
    size_t len;
  } names[] = {{"user:1", 6}, {"user:2", 6}, {"a\0x", 3},
               {"a\0y", 3},   {"a", 1},      {"\xff\xfe", 2}};
  size_t count = 0;
  rls_key_set(&keys[count++], NULL, 0);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    rls_key_set(&keys[count++], names[i].bytes, names[i].len);
  unsigned char long_key[RL_KEY_MAX];
  memset(long_key, 'k', sizeof long_key);
  rls_key_set(&keys[count++], long_key, 17);
  long_key[16] = 'q';
  rls_key_set(&keys[count++], long_key, 17);
  rls_key_set(&keys[count++], long_key, RL_KEY_MAX);
  long_key[RL_KEY_MAX - 1] = 'q';
  rls_key_set(&keys[count++], long_key, RL_KEY_MAX);
  return count;
}

/* Seeded calls on the tricky keys: mostly bursts at one instant, some
 * small steps, some gaps of a window or more, some times earlier than the
 * key's latest; each decision compared with the model. */
static void run_against_the_model(uint64_t limit, uint64_t window,
                                  uint64_t salt, bool wall_clock) {
  static rls_key_t keys[16];
  size_t count = make_tricky_keys(keys);
  rls_limiter_t limiter;
  rlr_open(&limiter, limit, window, false);
  rng_t rng;
  rls_rng(&rng, salt);
  uint64_t now = wall_clock ? wall_clock_time(&rng) : start_time(&rng);
  for (int i = 0; i < 2500; i++) {
    uint64_t roll = rng_below(&rng, 100);
    if (roll < 20)
      now += rng_below(&rng, window / 4);
    else if (roll < 23)
      now += window + rng_below(&rng, window);
    rls_key_t *key = &keys[rng_below(&rng, count)];
    uint64_t late = roll >= 95 ? rng_below(&rng, window / 8) : 0;
    rls_check(&limiter, key, now - late);
  }
  rlr_close(&limiter);
  for (size_t i = 0; i < count; i++)
    rls_key_release(&keys[i]);
}

Test(redis, decisions_match_the_token_bucket) {
  run_against_the_model(5, WINDOW, 1, false);
}

Test(redis, thirds_of_a_token_are_not_lost) {
  /* A token every 20 s plus a third of a ns: rounding shows. */
  run_against_the_model(3, WINDOW + 1, 2, false);
}

Test(redis, wall_clock_times_stay_exact) {
  /* Times past 2^53 ns, with a token every 20 s and a third of a ns: a
   * time kept as a Lua number (a double) rounds to 256 ns and shows. */
  run_against_the_model(3, WINDOW + 1, 7, true);
}

Test(redis, limit_one_and_limit_zero) {
  static rls_key_t key;
  rls_key_text_set(&key, "solo");
  rls_limiter_t one, zero;
  rlr_open(&one, 1, WINDOW, false);
  rlr_open(&zero, 0, WINDOW, false);
  uint64_t now = 7 * SECOND;
  for (int i = 0; i < 6; i++, now += WINDOW / 3) {
    rls_check_times(&one, &key, now, 2);
  }
  rls_key_release(&key);
  rls_key_text_set(&key, "solo");
  rls_check_times(&zero, &key, now, 3);
  rlr_close(&one);
  rlr_close(&zero);
  rls_key_release(&key);
}

Test(redis, rejects_bad_configs_and_keys) {
  const rl_redis_api_t *api = rlr_api();
  struct {
    uint64_t limit, window;
    int expected;
    const char *why;
  } cases[] = {
      {10, 0, -EINVAL, "window_ns 0"},
      {1ULL << 27, 1ULL << 27, -EINVAL,
       "limit * window_ns = 2^54, over RL_REDIS_EXACT_MAX"},
      {1ULL << 23, 1ULL << 30, 0,
       "limit * window_ns = 2^53, exactly RL_REDIS_EXACT_MAX, is fine"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rl_redis_config_t config = {"127.0.0.1", rlr_port(), cases[i].limit,
                                cases[i].window, false};
    rl_redis_t *rl = NULL;
    stagekit_step("rl_redis_create(limit %llu, window_ns %llu)",
                  (unsigned long long)cases[i].limit,
                  (unsigned long long)cases[i].window);
    int rc = api->create(&config, &rl);
    if (rc == RL_ENOTIMPL)
      cr_skip_test("rl_redis_create says not implemented");
    cr_assert(rc == cases[i].expected,
              "rl_redis_create(limit %llu, window_ns %llu) returned %s; "
              "expected %s: %s",
              (unsigned long long)cases[i].limit,
              (unsigned long long)cases[i].window, rls_rc_text(rc),
              rls_rc_text(cases[i].expected), cases[i].why);
    if (rc == 0)
      api->destroy(rl);
  }
  rls_limiter_t limiter;
  rlr_open(&limiter, 3, WINDOW, false);
  static unsigned char too_long[RL_KEY_MAX + 1];
  rl_decision_t decision;
  stagekit_step("rl_redis_check with a key of %d bytes", RL_KEY_MAX + 1);
  int rc =
      api->check(limiter.redis, too_long, sizeof too_long, SECOND, &decision);
  cr_assert(rc == -EINVAL,
            "rl_redis_check with a key of %d bytes returned %s; expected "
            "-EINVAL: keys are at most RL_KEY_MAX=%d bytes",
            RL_KEY_MAX + 1, rls_rc_text(rc), RL_KEY_MAX);
  api->destroy(NULL);
  rlr_close(&limiter);
}

Test(redis, two_handles_share_one_limit) {
  static rls_key_t keys[4];
  for (int k = 0; k < 4; k++) {
    char name[16];
    snprintf(name, sizeof name, "both:%d", k);
    rls_key_text_set(&keys[k], name);
  }
  rls_limiter_t first, second;
  rlr_open(&first, 4, WINDOW, false);
  rlr_open(&second, 4, WINDOW, false);
  first.context = "calls alternate between two handles made with one config";
  second.context = first.context;
  rng_t rng;
  rls_rng(&rng, 3);
  uint64_t now = start_time(&rng);
  for (int i = 0; i < 400; i++) {
    if (rng_below(&rng, 4) == 0)
      now += rng_below(&rng, WINDOW / 3);
    rls_check(i % 2 ? &second : &first, &keys[rng_below(&rng, 4)], now);
  }
  rlr_close(&first);
  rlr_close(&second);
  for (int k = 0; k < 4; k++)
    rls_key_release(&keys[k]);
}

/* What the model says the workers may admit together on each shared key
 * at now, when they ask far more often than that; models[k] is then moved
 * past those admissions. */
static void expect_admissions(const rl_config_t *config, rlm_key_t *models,
                              uint64_t now, uint64_t *expected) {
  for (size_t k = 0; k < SHARED_KEYS; k++) {
    expected[k] = rlm_capacity_at(config, &models[k], now);
    for (uint64_t i = 0; i < expected[k]; i++)
      rlm_check(config, &models[k], now);
    rlm_check(config, &models[k], now); /* one denied, as the workers had */
  }
}

/* Fails the test when a phase's tally differs from the model's, in words
 * that say what the difference means. */
static void check_phase(const rl_config_t *config, const rlw_tally_t *tally,
                        const uint64_t *expected, uint64_t now,
                        const char *phase) {
  cr_assert(tally->broken == 0, "%s: %s; seed=%llu", phase, tally->first_broken,
            (unsigned long long)stagekit_seed());
  cr_assert(tally->errors == 0,
            "%s: %llu of %llu calls to rl_redis_check returned -EIO with "
            "Redis up; expected none; seed=%llu",
            phase, (unsigned long long)tally->errors,
            (unsigned long long)tally->calls,
            (unsigned long long)stagekit_seed());
  for (size_t k = 0; k < SHARED_KEYS; k++) {
    char name[32];
    rlw_key_name(k, name, sizeof name);
    cr_assert(
        tally->admitted[k] <= expected[k],
        "%s: key \"%s\" at t=%s: the %d processes were allowed %llu "
        "requests together; the token bucket (limit %llu per %s) has "
        "exactly %llu tokens for them. Over-admitting: two processes read "
        "the same state before either wrote it back. Reading, deciding "
        "and writing must be one atomic step inside Redis (a Lua script "
        "run with EVALSHA, or WATCH/MULTI/EXEC retried on conflict); "
        "seed=%llu",
        phase, name, rlm_seconds(now), WORKERS,
        (unsigned long long)tally->admitted[k],
        (unsigned long long)config->limit, rlm_seconds(config->window_ns),
        (unsigned long long)expected[k], (unsigned long long)stagekit_seed());
    cr_assert(tally->admitted[k] == expected[k],
              "%s: key \"%s\" at t=%s: the %d processes were allowed %llu "
              "requests together, while asking for many more; the token "
              "bucket (limit %llu per %s) has exactly %llu tokens for them "
              "then, and each must go to someone; seed=%llu",
              phase, name, rlm_seconds(now), WORKERS,
              (unsigned long long)tally->admitted[k],
              (unsigned long long)config->limit, rlm_seconds(config->window_ns),
              (unsigned long long)expected[k],
              (unsigned long long)stagekit_seed());
  }
}

/* Runs one lock-step phase and checks it against the model. */
static void shared_phase(rlw_pool_t *pool, const rl_config_t *config,
                         rlm_key_t *models, uint64_t now, const char *phase) {
  uint64_t expected[SHARED_KEYS];
  expect_admissions(config, models, now, expected);
  rlw_tally_t tally;
  rlw_phase(pool, now, SHARED_KEYS, config->limit + 2, &tally);
  check_phase(config, &tally, expected, now, phase);
}

/* Skips the test (not attempted) when rl_redis_create says not
 * implemented, before any worker process starts. */
static void skip_unless_implemented(void) {
  rls_limiter_t limiter;
  rlr_open(&limiter, SHARED_LIMIT, WINDOW, false);
  rlr_close(&limiter);
}

static void report_latency(const uint64_t *latencies, size_t count) {
  if (count == 0)
    return;
  stagekit_fact("Redis: %d processes, %zu decisions: p50 %.1f us, p99 %.1f "
                "us per decision",
                WORKERS, count, latencies[count / 2] / 1000.0,
                latencies[count * 99 / 100] / 1000.0);
}

Test(redis, processes_share_one_limit) {
  skip_unless_implemented();
  rl_config_t config = {RL_TOKEN_BUCKET, SHARED_LIMIT, WINDOW};
  rlm_key_t models[SHARED_KEYS];
  for (size_t k = 0; k < SHARED_KEYS; k++)
    rlm_key_init(&models[k]);
  rng_t rng;
  rls_rng(&rng, 4);
  uint64_t now = wall_clock_time(&rng);
  rlw_pool_t *pool =
      rlw_start(WORKERS, rlr_port(), SHARED_LIMIT, WINDOW, false);
  shared_phase(pool, &config, models, now, "fresh keys, one instant");
  shared_phase(pool, &config, models, now, "the same instant again");
  now += WINDOW / 4 + rng_below(&rng, WINDOW / 2);
  shared_phase(pool, &config, models, now, "part of a window later");
  now += 2 * WINDOW;
  shared_phase(pool, &config, models, now, "two windows later");
  uint64_t *latencies;
  size_t count;
  rlw_stop(pool, &latencies, &count);
  report_latency(latencies, count);
  free(latencies);
}

/* Workers call through a Redis restart: every failed call is answered as
 * fail_open says, and once Redis is back the limit is exact again. */
static void through_a_restart(bool fail_open) {
  skip_unless_implemented();
  rl_config_t config = {RL_TOKEN_BUCKET, SHARED_LIMIT, WINDOW};
  rlm_key_t models[SHARED_KEYS];
  for (size_t k = 0; k < SHARED_KEYS; k++)
    rlm_key_init(&models[k]);
  rng_t rng;
  rls_rng(&rng, fail_open ? 5 : 6);
  uint64_t now = start_time(&rng);
  rlw_pool_t *pool =
      rlw_start(WORKERS, rlr_port(), SHARED_LIMIT, WINDOW, fail_open);
  shared_phase(pool, &config, models, now, "before the restart");
  now += WINDOW / 2;
  rlw_phase_begin(pool, now, SHARED_KEYS);
  usleep(50000);
  rlr_restart();
  usleep(100000);
  rlw_tally_t tally;
  rlw_phase_end(pool, &tally);
  cr_assert(tally.broken == 0, "while Redis restarted: %s; seed=%llu",
            tally.first_broken, (unsigned long long)stagekit_seed());
  cr_assert(tally.errors > 0,
            "while Redis was stopped and started again, none of %llu calls "
            "to rl_redis_check returned -EIO; expected the calls made while "
            "it was down to fail fast with -EIO (and the decision fail_open "
            "says), not to wait for Redis or to decide without it; "
            "seed=%llu",
            (unsigned long long)tally.calls,
            (unsigned long long)stagekit_seed());
  stagekit_fact("Redis restart (fail_open %s): %llu of %llu calls answered "
                "-EIO while it was down",
                fail_open ? "true" : "false", (unsigned long long)tally.errors,
                (unsigned long long)tally.calls);
  /* The restarted Redis knows nothing; a window later every bucket is full
   * whatever happened since, so the model starts afresh. */
  now += WINDOW;
  for (size_t k = 0; k < SHARED_KEYS; k++) {
    rlm_key_free(&models[k]);
    rlm_key_init(&models[k]);
  }
  shared_phase(pool, &config, models, now,
               "after Redis came back (does the handle reconnect, and load "
               "its script again when Redis answers NOSCRIPT?)");
  uint64_t *latencies;
  size_t count;
  rlw_stop(pool, &latencies, &count);
  free(latencies);
}

Test(redis, fails_closed_through_a_restart) {
  through_a_restart(false);
}

Test(redis, fails_open_through_a_restart) {
  through_a_restart(true);
}
