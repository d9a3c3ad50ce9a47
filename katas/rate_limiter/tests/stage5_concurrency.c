/* stage5_concurrency.c - stage 5: under threads started together at a
 * frozen clock, each key admits exactly what its rule allows, never more,
 * and nothing deadlocks (a hang is the suite's timeout). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rl_suite.h"

#define SECOND RLS_NS_PER_S
#define THREADS 4

TestSuite(concurrency, .init = rls_setup, .timeout = 20);

/* A key as the threads pass it. */
typedef struct shared_key {
  char bytes[16];
  size_t len;
} shared_key_t;

/* What all threads of one round share; read-only while they run. */
typedef struct round {
  const rl_api_t *api;
  rl_t *rl;
  pthread_barrier_t start;
  uint64_t now;
  const shared_key_t *keys;
  size_t key_count;
  uint64_t attempts; /* per thread per key */
} round_t;

/* One thread's part of a round and what it saw. */
typedef struct worker {
  pthread_t thread;
  round_t *round;
  const uint32_t *order; /* the order this thread visits the keys in */
  uint64_t *admitted;    /* per key */
  uint64_t *remaining;   /* remaining of each allowed decision, or NULL */
  uint64_t remaining_count;
  int rc;
} worker_t;

static void *worker_main(void *argument) {
  worker_t *worker = argument;
  const round_t *round = worker->round;
  pthread_barrier_wait(&worker->round->start);
  for (size_t j = 0; j < round->key_count; j++) {
    size_t k = worker->order[j];
    for (uint64_t a = 0; a < round->attempts; a++) {
      rl_decision_t decision;
      int rc = round->api->check(round->rl, round->keys[k].bytes,
                                 round->keys[k].len, round->now, &decision);
      if (rc != 0) {
        worker->rc = rc;
        return NULL;
      }
      if (decision.allowed) {
        worker->admitted[k]++;
        if (worker->remaining != NULL)
          worker->remaining[worker->remaining_count++] = decision.remaining;
      }
    }
  }
  return NULL;
}

/* Runs THREADS workers through one round and waits for them. */
static void run_round(round_t *round, worker_t *workers) {
  int rc = pthread_barrier_init(&round->start, NULL, THREADS);
  cr_assert(rc == 0, "pthread_barrier_init failed: %s", strerror(rc));
  for (int i = 0; i < THREADS; i++) {
    workers[i].round = round;
    workers[i].rc = 0;
    workers[i].remaining_count = 0;
    memset(workers[i].admitted, 0,
           round->key_count * sizeof *workers[i].admitted);
    rc = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
    cr_assert(rc == 0, "pthread_create failed: %s", strerror(rc));
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(workers[i].thread, NULL);
  pthread_barrier_destroy(&round->start);
  for (int i = 0; i < THREADS; i++)
    cr_assert(workers[i].rc == 0,
              "rl_check returned %s in thread %d at t=%s; expected 0 (keys "
              "of at most 15 bytes); seed=%llu",
              rls_rc_text(workers[i].rc), i + 1, rlm_seconds(round->now),
              (unsigned long long)stagekit_seed());
}

/* The next round's time: a fraction of a window, a window, or exactly a
 * window boundary or 1 ns around it. */
static uint64_t next_time(rng_t *rng, uint64_t t, uint64_t w) {
  switch (rng_below(rng, 5)) {
  case 0: return t + w / 3;
  case 1: return t + w;
  case 2: return (t / w + 1) * w;
  case 3: return (t / w + 1) * w + 1;
  default: return t + 2 * w - 1;
  }
}

/* Asserts that a key got exactly what the model allows at round->now, and
 * moves the model on by the round's attempts. */
static void expect_admitted(const rl_config_t *config, rlm_key_t *model,
                            const char *key_text, const round_t *round,
                            uint64_t admitted, const char *pattern) {
  uint64_t attempts = round->attempts * THREADS;
  uint64_t capacity = rlm_capacity_at(config, model, round->now);
  uint64_t expected = capacity < attempts ? capacity : attempts;
  if (admitted != expected) {
    static char why[4096];
    rlm_explain(config, model, round->now, why, sizeof why);
    cr_assert_fail(
        "%s: key %s: %llu requests allowed by %d threads at frozen t=%s "
        "(%llu attempts, %s); expected exactly %llu: %s. %s; seed=%llu",
        rlm_algorithm_title(config->algorithm), key_text,
        (unsigned long long)admitted, THREADS, rlm_seconds(round->now),
        (unsigned long long)attempts, pattern, (unsigned long long)expected,
        why,
        admitted > expected
            ? "Over-admission under threads: finding the key, deciding and "
              "counting must happen under one lock (the table's, or the "
              "key's), or two threads take the same last slot and updates "
              "are lost"
            : "Under-admission under threads: an update was lost or a key "
              "was duplicated or dropped while the table changed",
        (unsigned long long)stagekit_seed());
  }
  /* Past the first denial, more attempts at the same instant change
   * nothing. */
  for (uint64_t i = 0; i < attempts && i <= expected; i++)
    rlm_check(config, model, round->now);
}

/* The remaining values of a key's allowed decisions must be capacity - 1,
 * capacity - 2, ... each once: each decision is one atomic step. */
static void expect_remaining(const rl_config_t *config, const round_t *round,
                             const worker_t *workers, uint64_t capacity,
                             uint64_t admitted) {
  uint8_t *seen = calloc(capacity + 1, 1);
  cr_assert(seen != NULL, "out of memory in the test");
  for (int i = 0; i < THREADS; i++) {
    for (uint64_t j = 0; j < workers[i].remaining_count; j++) {
      uint64_t value = workers[i].remaining[j];
      bool fits = value < capacity && value >= capacity - admitted;
      cr_assert(
          fits && !seen[value],
          "%s: %llu requests for key \"shared\" were allowed to %d "
          "threads at frozen t=%s, starting from room for %llu, so "
          "their remaining values must be %llu down to %llu, each "
          "once; but remaining %llu came back %s: the decision and "
          "its remaining must come from one atomic step; seed=%llu",
          rlm_algorithm_title(config->algorithm), (unsigned long long)admitted,
          THREADS, rlm_seconds(round->now), (unsigned long long)capacity,
          (unsigned long long)(capacity - 1),
          (unsigned long long)(capacity - admitted), (unsigned long long)value,
          fits ? "twice" : "(out of that range)",
          (unsigned long long)stagekit_seed());
      seen[value] = 1;
    }
  }
  free(seen);
}

/* The algorithms the plug-in implements; skips the test when none. */
static int implemented(rl_algorithm_t *algorithms) {
  int count = 0;
  for (int a = RL_FIXED_WINDOW; a <= RL_SLIDING_WINDOW; a++)
    if (rls_implements((rl_algorithm_t)a))
      algorithms[count++] = (rl_algorithm_t)a;
  if (count == 0)
    cr_skip_test("rl_create says not implemented for every algorithm");
  return count;
}

/* Rounds of the one-key race: at least MIN_ROUNDS, and more until
 * RACE_BUDGET_NS has passed, so that a busy machine (threads taking turns
 * on one core, where a race shows rarely) still sees enough interleavings;
 * a correct limiter passes any number. */
#define MIN_ROUNDS 20
#define MAX_ROUNDS 2000
#define RACE_BUDGET_NS 1500000000ULL

Test(concurrency, one_key_admits_exactly_what_the_rule_allows) {
  rl_algorithm_t algorithms[4];
  int count = implemented(algorithms);
  rng_t rng;
  rls_rng(&rng, 0xc0c0);
  static const shared_key_t key = {"shared", 6};
  static const uint32_t order[1] = {0};
  worker_t workers[THREADS];
  for (int a = 0; a < count; a++) {
    /* A large limit keeps the threads racing for the key's slots for
     * milliseconds, long enough for every unsafe interleaving to show. */
    uint64_t limit = 4000 + rng_below(&rng, 4000);
    rls_limiter_t limiter;
    rls_open(&limiter, algorithms[a], limit, SECOND);
    for (int i = 0; i < THREADS; i++) {
      workers[i].order = order;
      workers[i].admitted = calloc(1, sizeof *workers[i].admitted);
      workers[i].remaining = calloc(limit, sizeof *workers[i].remaining);
      cr_assert(workers[i].admitted && workers[i].remaining, "out of memory");
    }
    rlm_key_t model;
    rlm_key_init(&model);
    uint64_t t = SECOND / 2;
    uint64_t deadline = clock_monotonic_ns() + RACE_BUDGET_NS;
    for (int r = 0;
         r < MIN_ROUNDS || (r < MAX_ROUNDS && clock_monotonic_ns() < deadline);
         r++) {
      /* Attempts from a quarter of the limit (all allowed) to twice it. */
      round_t round = {rls_api(), limiter.rl, .now = t, .keys = &key,
                       .key_count = 1};
      round.attempts = limit / 16 + rng_below(&rng, limit / 2);
      uint64_t capacity = rlm_capacity_at(&limiter.config, &model, t);
      stagekit_step("%s: %d threads, one key, round %d at t=%llu ns",
                    rlm_algorithm_title(algorithms[a]), THREADS, r + 1,
                    (unsigned long long)t);
      run_round(&round, workers);
      uint64_t admitted = 0;
      for (int i = 0; i < THREADS; i++)
        admitted += workers[i].admitted[0];
      expect_admitted(&limiter.config, &model, "\"shared\"", &round, admitted,
                      "all threads on the same key");
      expect_remaining(&limiter.config, &round, workers, capacity, admitted);
      t = next_time(&rng, t, SECOND);
    }
    rlm_key_free(&model);
    for (int i = 0; i < THREADS; i++) {
      free(workers[i].admitted);
      free(workers[i].remaining);
    }
    rls_close(&limiter);
  }
}

Test(concurrency, many_keys_each_admit_exactly_what_the_rule_allows) {
  enum { KEYS = 2000, ROUNDS = 6 };
  rl_algorithm_t algorithms[4];
  int count = implemented(algorithms);
  rng_t rng;
  rls_rng(&rng, 0xc0c1);
  static shared_key_t keys[KEYS];
  static uint32_t orders[THREADS][KEYS];
  static uint64_t admitted[THREADS][KEYS];
  static rlm_key_t models[KEYS];
  for (uint32_t k = 0; k < KEYS; k++)
    keys[k].len = (size_t)snprintf(keys[k].bytes, sizeof keys[k].bytes, "k%u",
                                   (unsigned)k);
  worker_t workers[THREADS];
  for (int a = 0; a < count; a++) {
    uint64_t limit = 2 + rng_below(&rng, 4);
    rls_limiter_t limiter;
    rls_open(&limiter, algorithms[a], limit, SECOND);
    for (int k = 0; k < KEYS; k++)
      rlm_key_init(&models[k]);
    uint64_t t = SECOND / 2;
    for (int r = 0; r < ROUNDS; r++) {
      /* Even rounds: every thread walks the keys in the same order, so
       * that they meet on each new key; odd rounds: each its own order,
       * so that the table grows under readers. */
      const char *pattern = r % 2 == 0
                                ? "all threads walking the keys in the "
                                  "same order"
                                : "each thread walking the keys in its own "
                                  "order";
      for (int i = 0; i < THREADS; i++) {
        for (uint32_t k = 0; k < KEYS; k++)
          orders[i][k] = k;
        if (r % 2 == 1) {
          for (uint32_t k = KEYS - 1; k > 0; k--) {
            uint32_t other = (uint32_t)rng_below(&rng, k + 1);
            uint32_t swap = orders[i][k];
            orders[i][k] = orders[i][other];
            orders[i][other] = swap;
          }
        }
        workers[i].order = orders[i];
        workers[i].admitted = admitted[i];
        workers[i].remaining = NULL;
      }
      round_t round = {rls_api(),         limiter.rl,
                       .now = t,          .keys = keys,
                       .key_count = KEYS, .attempts = 1 + (uint64_t)r % 2};
      stagekit_step("%s: %d threads, %d keys, round %d at t=%llu ns",
                    rlm_algorithm_title(algorithms[a]), THREADS, KEYS, r + 1,
                    (unsigned long long)t);
      run_round(&round, workers);
      for (int k = 0; k < KEYS; k++) {
        uint64_t sum = 0;
        for (int i = 0; i < THREADS; i++)
          sum += admitted[i][k];
        expect_admitted(&limiter.config, &models[k],
                        rls_key_text(keys[k].bytes, keys[k].len), &round, sum,
                        pattern);
      }
      t = next_time(&rng, t, SECOND);
    }
    for (int k = 0; k < KEYS; k++)
      rlm_key_free(&models[k]);
    rls_close(&limiter);
  }
}
