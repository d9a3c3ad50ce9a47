/* stage3_token_bucket.c - stage 3: a bucket of L tokens per key, refilled
 * continuously at L per W, never above L, one token per request. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "rl_common.h"
#include "rl_suite.h"

#define ALGORITHM RL_TOKEN_BUCKET
#define SECOND RLS_NS_PER_S

typedef unsigned __int128 u128;

TestSuite(token_bucket, .init = rls_setup, .timeout = 15);

Test(token_bucket, starts_full) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 5, SECOND);
  limiter.note = "a new key's bucket is full: L requests at once";
  rls_key_t key;
  rls_key_text_set(&key, "new");
  rls_check_times(&limiter, &key, 3 * SECOND + SECOND / 3, 7);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(token_bucket, refills_continuously_at_l_per_w) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 10, SECOND);
  limiter.note = "10 per second is one token every 0.1s, earned a little "
                 "at a time, not once per window";
  rls_key_t key;
  rls_key_text_set(&key, "drip");
  rls_check_times(&limiter, &key, 0, 11);
  rls_check(&limiter, &key, SECOND / 10 - 1);
  rls_check_times(&limiter, &key, SECOND / 10, 2);
  rls_check(&limiter, &key, SECOND / 10 + SECOND / 20);
  rls_check_times(&limiter, &key, SECOND / 2, 5);
  rls_check(&limiter, &key, SECOND);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(token_bucket, retry_after_is_exact_to_the_ns) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 3, SECOND);
  limiter.note = "3 per second is a token every 333333333.33 ns: "
                 "retry_after_ns is the wait rounded up to a whole ns";
  rls_key_t key;
  rls_key_text_set(&key, "thirds");
  rls_check_times(&limiter, &key, 0, 4);
  rls_check(&limiter, &key, 333333333);
  rls_check_times(&limiter, &key, 333333334, 2);
  rls_check(&limiter, &key, 666666666);
  rls_check_times(&limiter, &key, 666666667, 2);
  rls_check(&limiter, &key, 999999999);
  rls_check_times(&limiter, &key, SECOND, 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(token_bucket, never_holds_more_than_its_capacity) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 4, SECOND);
  limiter.note = "the bucket holds at most L tokens, however long it idles";
  rls_key_t key;
  rls_key_text_set(&key, "capped");
  rls_check(&limiter, &key, 0);
  rls_check_times(&limiter, &key, SECOND / 2, 5);
  rls_check_times(&limiter, &key, SECOND / 2 + SECOND, 5);
  rls_check_times(&limiter, &key, 12 * SECOND, 5);
  rls_check_times(&limiter, &key, 12 * SECOND + 3 * SECOND / 4, 4);
  rls_key_release(&key);
  rls_close(&limiter);
}

/* Requests for one key at t0 and then after each gap; when done, requests
 * at the last instant until one is denied, so that the bucket ends with
 * less than one token. */
typedef struct long_run {
  uint64_t spaced, requests, admitted, elapsed;
  int rc;
} long_run_t;

static void run_long(rls_limiter_t *limiter, rng_t *rng, uint64_t max_gap,
                     uint64_t count, long_run_t *run) {
  const rl_api_t *api = rls_api();
  const char key[] = "steady";
  uint64_t t0 = 5 * limiter->config.window_ns + 17, t = t0;
  rl_decision_t decision;
  run->spaced = count;
  run->requests = run->admitted = 0;
  run->rc = 0;
  for (uint64_t i = 0; i < count + limiter->config.limit + 1; i++) {
    if (i > 0 && i < count)
      t += rng ? 1 + rng_below(rng, max_gap) : max_gap;
    run->rc = api->check(limiter->rl, key, sizeof key - 1, t, &decision);
    if (run->rc != 0)
      break;
    run->requests++;
    run->admitted += decision.allowed;
    if (i >= count && !decision.allowed)
      break;
  }
  run->elapsed = t - t0;
}

/* Asserts L + L*elapsed/W - 1 <= admitted <= L + L*elapsed/W. */
static void expect_rate(const rls_limiter_t *limiter, const long_run_t *run,
                        const char *gaps) {
  uint64_t limit = limiter->config.limit, w = limiter->config.window_ns;
  cr_assert(run->rc == 0,
            "rl_check returned %s after %llu requests; expected 0; seed=%llu",
            rls_rc_text(run->rc), (unsigned long long)run->requests,
            (unsigned long long)stagekit_seed());
  /* In units of 1/W token: supply = L*W + L*elapsed. */
  u128 supply = (u128)limit * w + (u128)limit * run->elapsed;
  u128 most = supply / w;
  u128 least = supply >= w ? (supply - w + w - 1) / w : 0;
  char range[48] = "exactly ";
  if (least != most)
    snprintf(range, sizeof range, "%llu to ", (unsigned long long)least);
  cr_assert((u128)run->admitted >= least && (u128)run->admitted <= most,
            "over %s (%llu requests for one key %s, then %llu more at the "
            "last instant, until one was denied), %llu were "
            "allowed; a bucket of %llu tokens refilled at %llu per %s allows "
            "from L + L*elapsed/W - 1 to L + L*elapsed/W, here %s%llu: %s; "
            "seed=%llu",
            rlm_seconds(run->elapsed), (unsigned long long)run->spaced, gaps,
            (unsigned long long)(run->requests - run->spaced),
            (unsigned long long)run->admitted, (unsigned long long)limit,
            (unsigned long long)limit, rlm_seconds(w), range,
            (unsigned long long)most,
            (u128)run->admitted < least
                ? "tokens were lost - a refill rounded down on each call "
                  "throws the fraction away; keep the level scaled by W (or "
                  "the time the tokens were counted to) so that no fraction "
                  "of a token is lost"
                : "tokens were created - a refill rounded up, or the "
                  "bucket went above its capacity",
            (unsigned long long)stagekit_seed());
}

Test(token_bucket, no_fractional_token_is_lost) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 3, SECOND);
  long_run_t run;
  /* Every microsecond: each call earns 3/1000000 of a token. */
  stagekit_step("10^6 requests 1 us apart, limit 3 per 1s");
  run_long(&limiter, NULL, 1000, 1000000, &run);
  expect_rate(&limiter, &run, "1000 ns apart");
  rls_close(&limiter);
  /* Random gaps, each earning less than half a token. */
  rls_open(&limiter, ALGORITHM, 3, SECOND);
  rng_t rng;
  rls_rng(&rng, 0x70ce2);
  stagekit_step("10^6 requests at random gaps, limit 3 per 1s");
  run_long(&limiter, &rng, SECOND / 6, 1000000, &run);
  expect_rate(&limiter, &run, "at random gaps of 1 to 166666666 ns");
  rls_close(&limiter);
}

Test(token_bucket, admits_the_rate_over_long_random_runs) {
  rng_t rng;
  rls_rng(&rng, 0x70ce3);
  for (int i = 0; i < 5; i++) {
    /* Gaps below W/(2L) keep the bucket short of full after the first
     * request, so that every token earned is admitted by the end. */
    uint64_t limit = 2 + rng_below(&rng, 49);
    uint64_t w = 1000 + rng_below(&rng, 10 * SECOND);
    rls_limiter_t limiter;
    rls_open(&limiter, ALGORITHM, limit, w);
    long_run_t run;
    stagekit_step("long random run %d: limit %llu per %llu ns", i + 1,
                  (unsigned long long)limit, (unsigned long long)w);
    run_long(&limiter, &rng, w / (2 * limit), 200000, &run);
    char gaps[64];
    snprintf(gaps, sizeof gaps, "at random gaps of 1 to %llu ns",
             (unsigned long long)(w / (2 * limit)));
    expect_rate(&limiter, &run, gaps);
    rls_close(&limiter);
  }
}

Test(token_bucket, allows_exactly_the_limit_at_one_instant) {
  rlc_allows_exactly_the_limit_at_one_instant(ALGORITHM);
}
Test(token_bucket, keys_are_independent) {
  rlc_keys_are_independent(ALGORITHM);
}
Test(token_bucket, keys_are_kept_while_their_state_matters) {
  rlc_keys_are_kept_while_their_state_matters(ALGORITHM);
}
Test(token_bucket, limit_one_allows_one_request) {
  rlc_limit_one_allows_one_request(ALGORITHM);
}
Test(token_bucket, limit_zero_denies_everything) {
  rlc_limit_zero_denies_everything(ALGORITHM);
}
Test(token_bucket, empty_key_is_a_key) {
  rlc_empty_key_is_a_key(ALGORITHM);
}
Test(token_bucket, binary_keys_differ_after_a_nul) {
  rlc_binary_keys_differ_after_a_nul(ALGORITHM);
}
Test(token_bucket, keys_sharing_a_prefix_are_distinct) {
  rlc_keys_sharing_a_prefix_are_distinct(ALGORITHM);
}
Test(token_bucket, keys_of_1024_bytes_are_accepted) {
  rlc_keys_of_1024_bytes_are_accepted(ALGORITHM);
}
Test(token_bucket, keys_longer_than_1024_bytes_are_rejected) {
  rlc_keys_longer_than_1024_bytes_are_rejected(ALGORITHM);
}
Test(token_bucket, caller_may_reuse_the_key_buffer) {
  rlc_caller_may_reuse_the_key_buffer(ALGORITHM);
}
Test(token_bucket, time_zero_is_a_valid_time) {
  rlc_time_zero_is_a_valid_time(ALGORITHM);
}
Test(token_bucket, times_near_2_to_the_62_work) {
  rlc_times_near_2_to_the_62_work(ALGORITHM);
}
Test(token_bucket, sums_of_large_products_do_not_overflow) {
  rlc_sums_of_large_products_do_not_overflow(ALGORITHM);
}
Test(token_bucket, keys_are_fresh_after_a_gap_of_years) {
  rlc_keys_are_fresh_after_a_gap_of_years(ALGORITHM);
}
Test(token_bucket, earlier_time_is_treated_as_the_latest_seen) {
  rlc_earlier_time_is_treated_as_the_latest_seen(ALGORITHM);
}
Test(token_bucket, create_rejects_invalid_configs) {
  rlc_create_rejects_invalid_configs(ALGORITHM);
}
Test(token_bucket, the_largest_valid_product_decides_exactly) {
  rlc_the_largest_valid_product_decides_exactly(ALGORITHM);
}
Test(token_bucket, destroy_accepts_null) {
  rlc_destroy_accepts_null(ALGORITHM);
}
Test(token_bucket, matches_the_model_on_random_operations) {
  rlc_matches_the_model_on_random_operations(ALGORITHM);
}
Test(token_bucket, destroy_frees_every_byte) {
  rlc_destroy_frees_every_byte(ALGORITHM);
}
