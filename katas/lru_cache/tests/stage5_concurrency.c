/* stage5_concurrency.c - stage 5: threads. Four threads get, put and
 * delete shared keys: no value is ever torn or another key's, nothing
 * crashes or deadlocks (a hang is the suite's timeout), limits hold once
 * quiet and the stats add up. Throughput at 2 threads against 1 is
 * reported, not judged. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lc_suite.h"

TestSuite(concurrency, .init = lcs_setup, .timeout = 30);

#define THREADS 4
#define HEADER 24 /* key number, thread, version, length */
#define VALUE_MAX 240

/* Writes the value a thread puts: key number, thread, version and total
 * length, a payload, and a checksum of all that in the last 8 bytes. */
static size_t make_value(unsigned char *out, uint32_t key, uint32_t thread,
                         uint64_t version, size_t length) {
  uint32_t len32 = (uint32_t)length;
  memcpy(out, &key, 4);
  memcpy(out + 4, &thread, 4);
  memcpy(out + 8, &version, 8);
  memcpy(out + 16, &len32, 4);
  memset(out + 20, 0, 4);
  lcs_fill_value(out + HEADER, length - HEADER - 8, version * 31 + key);
  uint64_t sum = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < length - 8; i++)
    sum = (sum ^ out[i]) * 0x100000001b3ULL;
  memcpy(out + length - 8, &sum, 8);
  return length;
}

/* Why a value read back for key is wrong, or NULL when it is right. */
static const char *value_fault(const unsigned char *value, size_t length,
                               uint32_t key) {
  if (length < HEADER + 8 || length > VALUE_MAX)
    return "its length is not one any thread put";
  uint32_t stored_key, len32;
  memcpy(&stored_key, value, 4);
  memcpy(&len32, value + 16, 4);
  if (len32 != length)
    return "its length is not the one written inside it: parts of two "
           "values (torn)";
  if (stored_key != key)
    return "it is another key's value";
  uint64_t sum = 0xcbf29ce484222325ULL, stored;
  for (size_t i = 0; i < length - 8; i++)
    sum = (sum ^ value[i]) * 0x100000001b3ULL;
  memcpy(&stored, value + length - 8, 8);
  if (sum != stored)
    return "its checksum is wrong: bytes of two puts mixed (torn), or "
           "memory reused while it was copied out";
  return NULL;
}

typedef struct shared {
  const lc_api_t *api;
  lc_t *cache;
  uint32_t keys;
  uint64_t calls;
  unsigned gets, puts; /* percent of calls; the rest are deletes */
  pthread_barrier_t start;
} shared_t;

typedef struct worker {
  pthread_t thread;
  shared_t *shared;
  uint32_t index;
  uint64_t seed;
  uint64_t gets, hits, misses;
  int rc;
  const char *fault; /* a wrong value's fault, or NULL */
  uint32_t fault_key;
  size_t fault_length;
} worker_t;

static void key_text(char *out, size_t size, uint32_t key) {
  snprintf(out, size, "shared:%u", (unsigned)key);
}

static void *worker_main(void *argument) {
  worker_t *w = argument;
  shared_t *s = w->shared;
  rng_t rng;
  rng_seed(&rng, w->seed);
  unsigned char value[VALUE_MAX], buffer[VALUE_MAX];
  char key[32];
  pthread_barrier_wait(&s->start);
  for (uint64_t i = 0; i < s->calls && w->rc == 0 && w->fault == NULL; i++) {
    uint32_t k = (uint32_t)rng_below(&rng, s->keys);
    key_text(key, sizeof key, k);
    size_t key_len = strlen(key);
    uint64_t dice = rng_below(&rng, 100);
    uint64_t now = 1000 + i;
    if (dice < s->gets) {
      size_t length = 0;
      bool found = false;
      w->rc = s->api->get(s->cache, key, key_len, now, buffer, sizeof buffer,
                          &length, &found);
      w->gets++;
      if (found) {
        w->hits++;
        w->fault = value_fault(buffer, length, k);
        w->fault_key = k;
        w->fault_length = length;
      } else {
        w->misses++;
      }
    } else if (dice < s->gets + s->puts) {
      size_t length = HEADER + 8 + rng_below(&rng, VALUE_MAX - HEADER - 8);
      make_value(value, k, w->index, i, length);
      w->rc =
          s->api->put(s->cache, key, key_len, value, length, LC_NO_TTL, now);
    } else {
      bool deleted;
      w->rc = s->api->del(s->cache, key, key_len, now, &deleted);
    }
  }
  return NULL;
}

/* Runs THREADS workers; returns the total gets, hits and misses. */
static void run_threads(shared_t *shared, worker_t *workers, int threads,
                        uint64_t seed) {
  int rc = pthread_barrier_init(&shared->start, NULL, (unsigned)threads);
  cr_assert(rc == 0, "pthread_barrier_init failed: %s", strerror(rc));
  for (int i = 0; i < threads; i++) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].shared = shared;
    workers[i].index = (uint32_t)i;
    workers[i].seed = seed + (uint64_t)i * 0x9e3779b97f4a7c15ULL;
    rc = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
    cr_assert(rc == 0, "pthread_create failed: %s", strerror(rc));
  }
  for (int i = 0; i < threads; i++)
    pthread_join(workers[i].thread, NULL);
  pthread_barrier_destroy(&shared->start);
}

/* Rounds of each race: at least one, and more until RACE_BUDGET_NS has
 * passed, so that a busy machine (threads taking turns on one core, where
 * a race shows rarely) still sees enough interleavings; a correct cache
 * passes any number. */
#define MAX_ROUNDS 50
#define RACE_BUDGET_NS 1000000000ULL

/* One round: four threads on keys shared by all, get_percent of their
 * calls gets, put_percent puts, the rest deletes; then checks in quiet. */
static void shared_keys_round(uint64_t max_entries, uint64_t max_bytes,
                              uint32_t keys, unsigned get_percent,
                              unsigned put_percent, const char *title,
                              int round) {
  enum { CALLS = 150000 };
  lc_policy_t policy = lcs_any_policy();
  shared_t shared = {lcs_api(),   NULL,        keys, CALLS,
                     get_percent, put_percent, {{0}}};
  shared.cache = lcs_open(policy, max_entries, max_bytes);
  worker_t workers[THREADS];
  rng_t rng;
  lcs_rng(&rng, 0xc0c0 + keys + (uint64_t)round * 0x9e3779b97f4a7c15ULL);
  stagekit_step("%s: %d threads doing %d gets, puts and deletes each on %u "
                "shared keys, round %d (a hang here is a deadlock)",
                title, THREADS, CALLS, (unsigned)keys, round + 1);
  run_threads(&shared, workers, THREADS, rng_next(&rng));
  uint64_t gets = 0, hits = 0, misses = 0;
  for (int i = 0; i < THREADS; i++) {
    cr_assert(workers[i].rc == 0,
              "%s, %s: thread %d: a call returned %s; expected 0; %s",
              lcs_policy_title(policy), title, i, lcs_rc_text(workers[i].rc),
              lcs_replay());
    cr_assert(workers[i].fault == NULL,
              "%s, %s, %d threads: thread %d got back a value of %zu bytes "
              "for key \"shared:%u\" that no thread put: %s. Copy the value "
              "out while holding the lock that puts take (or a reference "
              "that keeps it alive), and never change a value in place; %s",
              lcs_policy_title(policy), title, THREADS, i,
              workers[i].fault_length, (unsigned)workers[i].fault_key,
              workers[i].fault, lcs_replay());
    gets += workers[i].gets;
    hits += workers[i].hits;
    misses += workers[i].misses;
  }
  lc_stats_t s = lcs_stats(shared.cache);
  cr_assert(s.hits == hits && s.misses == misses,
            "%s, %s: %d threads made %llu gets, of which they saw %llu hits "
            "and %llu misses; lc_stats says hits %llu, misses %llu: counts "
            "updated without the lock (or a non-atomic ++) lose increments; "
            "%s",
            lcs_policy_title(policy), title, THREADS, (unsigned long long)gets,
            (unsigned long long)hits, (unsigned long long)misses,
            (unsigned long long)s.hits, (unsigned long long)s.misses,
            lcs_replay());
  /* Quiet now: every entry is found, whole, and the limits hold. */
  uint64_t count = 0, bytes = 0;
  unsigned char buffer[VALUE_MAX];
  char key[32];
  for (uint32_t k = 0; k < keys; k++) {
    key_text(key, sizeof key, k);
    size_t length = 0;
    bool found = false;
    int rc = shared.api->get(shared.cache, key, strlen(key), 1u << 30, buffer,
                             sizeof buffer, &length, &found);
    cr_assert(rc == 0, "lc_get after the threads returned %s; %s",
              lcs_rc_text(rc), lcs_replay());
    if (!found)
      continue;
    const char *fault = value_fault(buffer, length, k);
    cr_assert(fault == NULL,
              "%s, %s: after the threads stopped, key \"%s\" holds a value "
              "of %zu bytes that no thread put: %s; %s",
              lcs_policy_title(policy), title, key, length, fault,
              lcs_replay());
    count++;
    bytes += strlen(key) + length;
  }
  cr_assert(count == s.items && bytes == s.bytes &&
                (max_entries == 0 || count <= max_entries) &&
                (max_bytes == 0 || bytes <= max_bytes),
            "%s, %s: after %d threads stopped, gets of every key found %llu "
            "entries holding %llu key + value bytes; lc_stats says items "
            "%llu, bytes %llu. They must agree and keep within max_entries "
            "%llu and max_bytes %llu (0: none): the table and the recency "
            "list must change under the same lock, or they drift apart; %s",
            lcs_policy_title(policy), title, THREADS, (unsigned long long)count,
            (unsigned long long)bytes, (unsigned long long)s.items,
            (unsigned long long)s.bytes, (unsigned long long)max_entries,
            (unsigned long long)max_bytes, lcs_replay());
  /* The list must still be whole: fill the cache with new keys, which
   * evicts every old entry through it. */
  stagekit_step("%s: after the threads, putting new keys through the "
                "cache (walks the eviction order)",
                title);
  for (uint32_t k = 0; k < 4 * keys; k++) {
    char fresh[32];
    int len = snprintf(fresh, sizeof fresh, "after:%u", (unsigned)k);
    int rc = shared.api->put(shared.cache, fresh, (size_t)len, "v", 1,
                             LC_NO_TTL, 1u << 30);
    cr_assert(rc == 0, "lc_put after the threads returned %s; %s",
              lcs_rc_text(rc), lcs_replay());
  }
  s = lcs_stats(shared.cache);
  cr_assert((max_entries == 0 || s.items <= max_entries) &&
                (max_bytes == 0 || s.bytes <= max_bytes),
            "%s, %s: after the threads, %u puts of new keys left items %llu "
            "and bytes %llu, beyond max_entries %llu or max_bytes %llu; %s",
            lcs_policy_title(policy), title, (unsigned)(4 * keys),
            (unsigned long long)s.items, (unsigned long long)s.bytes,
            (unsigned long long)max_entries, (unsigned long long)max_bytes,
            lcs_replay());
  shared.api->destroy(shared.cache);
}

/* shared_keys_round, round after round within the budget. */
static void shared_keys(uint64_t max_entries, uint64_t max_bytes, uint32_t keys,
                        unsigned get_percent, unsigned put_percent,
                        const char *title) {
  uint64_t deadline = clock_monotonic_ns() + RACE_BUDGET_NS;
  for (int round = 0;
       round == 0 || (round < MAX_ROUNDS && clock_monotonic_ns() < deadline);
       round++)
    shared_keys_round(max_entries, max_bytes, keys, get_percent, put_percent,
                      title, round);
}

Test(concurrency, threads_never_see_a_torn_or_foreign_value) {
  shared_keys(256, 0, 512, 50, 40, "max_entries 256, 512 keys");
}

Test(concurrency, a_few_hot_keys_under_four_threads) {
  shared_keys(4, 0, 8, 50, 40, "max_entries 4, 8 keys");
}

Test(concurrency, the_byte_budget_holds_under_threads) {
  shared_keys(0, 8192, 256, 50, 40, "max_bytes 8192, 256 keys");
}

Test(concurrency, hits_and_misses_add_up_under_four_threads) {
  /* Short calls on a few keys, so that the threads contend all the time:
   * a counter bumped outside the lock loses counts here. */
  shared_keys(8, 0, 16, 96, 4, "max_entries 8, 16 keys, 96% gets");
}

Test(concurrency, throughput_at_two_threads_is_reported) {
  enum { CALLS = 100000, KEYS = 2000 };
  lc_policy_t policy = lcs_any_policy();
  double rate[2];
  for (int threads = 1; threads <= 2; threads++) {
    shared_t shared = {lcs_api(), NULL, KEYS, CALLS, 90, 9, {{0}}};
    shared.cache = lcs_open(policy, KEYS, 0);
    worker_t workers[2];
    stagekit_step("throughput with %d thread%s", threads,
                  threads > 1 ? "s" : "");
    uint64_t begin = clock_monotonic_ns();
    run_threads(&shared, workers, threads, stagekit_seed());
    uint64_t elapsed = clock_monotonic_ns() - begin;
    for (int i = 0; i < threads; i++)
      cr_assert(workers[i].rc == 0 && workers[i].fault == NULL,
                "throughput run, %d threads: a call returned %s or a value "
                "was wrong; %s",
                threads, lcs_rc_text(workers[i].rc), lcs_replay());
    rate[threads - 1] = (double)CALLS * threads / ((double)elapsed / 1e9);
    shared.api->destroy(shared.cache);
  }
  stagekit_fact("%s: %.2f M calls/s on 1 thread, %.2f M on 2 (x%.2f; "
                "reported, not judged)",
                lcs_policy_title(policy), rate[0] / 1e6, rate[1] / 1e6,
                rate[1] / rate[0]);
}
