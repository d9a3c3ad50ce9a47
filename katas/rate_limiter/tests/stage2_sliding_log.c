/* stage2_sliding_log.c - stage 2: a request at t is allowed iff fewer than
 * L requests were allowed for the key in (t - W, t]. */
#include <criterion/criterion.h>

#include "rl_common.h"
#include "rl_suite.h"

#define ALGORITHM RL_SLIDING_LOG
#define SECOND RLS_NS_PER_S

TestSuite(sliding_log, .init = rls_setup, .timeout = 15);

Test(sliding_log, allows_the_limit_in_any_window_of_length_w) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 10, SECOND);
  rls_key_t key;
  rls_key_text_set(&key, "k1");
  for (uint64_t i = 1; i <= 10; i++)
    rls_check(&limiter, &key, i * SECOND / 10);
  rls_check(&limiter, &key, SECOND + 500);
  rls_check(&limiter, &key, SECOND + SECOND / 10 - 1);
  rls_check_times(&limiter, &key, SECOND + SECOND / 10, 2);
  rls_check_times(&limiter, &key, SECOND + SECOND / 5, 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_log, a_request_leaves_the_window_exactly_w_later) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 2, 1000);
  limiter.note = "the window is (t - W, t]: a request allowed at a counts "
                 "up to a + W - 1 and no longer at a + W";
  rls_key_t key;
  rls_key_text_set(&key, "leaves");
  rls_check_times(&limiter, &key, 100, 3);
  rls_check(&limiter, &key, 1099);
  rls_check_times(&limiter, &key, 1100, 3);
  rls_check(&limiter, &key, 2099);
  rls_check_times(&limiter, &key, 2100, 3);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_log, denied_requests_are_not_counted) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 2, 10 * SECOND);
  limiter.note = "only allowed requests go into the log; denied ones are "
                 "forgotten";
  rls_key_t key;
  rls_key_text_set(&key, "patient");
  rls_check(&limiter, &key, 0);
  rls_check(&limiter, &key, SECOND);
  for (uint64_t s = 2; s < 10; s++)
    rls_check_times(&limiter, &key, s * SECOND, 3);
  rls_check_times(&limiter, &key, 10 * SECOND, 2);
  rls_check_times(&limiter, &key, 11 * SECOND, 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_log, a_burst_across_a_window_boundary_is_denied) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 10, SECOND);
  limiter.note = "a sliding log has no aligned windows: 10 requests at "
                 "0.9s still count at 1.0s, where a fixed window would "
                 "start afresh";
  rls_key_t key;
  rls_key_text_set(&key, "burst");
  rls_check_times(&limiter, &key, 9 * SECOND / 10, 10);
  rls_check_times(&limiter, &key, SECOND, 2);
  rls_check(&limiter, &key, SECOND + SECOND / 2);
  rls_check(&limiter, &key, SECOND + 9 * SECOND / 10 - 1);
  rls_check_times(&limiter, &key, SECOND + 9 * SECOND / 10, 11);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_log, requests_at_one_instant_leave_together) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 3, SECOND);
  rls_key_t key;
  rls_key_text_set(&key, "together");
  rls_check_times(&limiter, &key, 5 * SECOND, 4);
  rls_check(&limiter, &key, 6 * SECOND - 1);
  rls_check_times(&limiter, &key, 6 * SECOND, 4);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_log, retry_after_waits_for_the_oldest_request_to_leave) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 3, SECOND);
  limiter.note = "when the log is full, retry_after_ns is the time until "
                 "its oldest request leaves the window";
  rls_key_t key;
  rls_key_text_set(&key, "oldest");
  rls_check(&limiter, &key, SECOND / 10);
  rls_check(&limiter, &key, SECOND / 2);
  rls_check(&limiter, &key, 7 * SECOND / 10);
  rls_check(&limiter, &key, 8 * SECOND / 10);
  rls_check(&limiter, &key, SECOND + SECOND / 10);
  rls_check(&limiter, &key, SECOND + SECOND / 10 + 1);
  rls_check(&limiter, &key, SECOND + SECOND / 2);
  rls_check(&limiter, &key, SECOND + SECOND / 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_log, allows_exactly_the_limit_at_one_instant) {
  rlc_allows_exactly_the_limit_at_one_instant(ALGORITHM);
}
Test(sliding_log, keys_are_independent) {
  rlc_keys_are_independent(ALGORITHM);
}
Test(sliding_log, keys_are_kept_while_their_state_matters) {
  rlc_keys_are_kept_while_their_state_matters(ALGORITHM);
}
Test(sliding_log, limit_one_allows_one_request) {
  rlc_limit_one_allows_one_request(ALGORITHM);
}
Test(sliding_log, limit_zero_denies_everything) {
  rlc_limit_zero_denies_everything(ALGORITHM);
}
Test(sliding_log, empty_key_is_a_key) {
  rlc_empty_key_is_a_key(ALGORITHM);
}
Test(sliding_log, binary_keys_differ_after_a_nul) {
  rlc_binary_keys_differ_after_a_nul(ALGORITHM);
}
Test(sliding_log, keys_sharing_a_prefix_are_distinct) {
  rlc_keys_sharing_a_prefix_are_distinct(ALGORITHM);
}
Test(sliding_log, keys_of_1024_bytes_are_accepted) {
  rlc_keys_of_1024_bytes_are_accepted(ALGORITHM);
}
Test(sliding_log, keys_longer_than_1024_bytes_are_rejected) {
  rlc_keys_longer_than_1024_bytes_are_rejected(ALGORITHM);
}
Test(sliding_log, caller_may_reuse_the_key_buffer) {
  rlc_caller_may_reuse_the_key_buffer(ALGORITHM);
}
Test(sliding_log, time_zero_is_a_valid_time) {
  rlc_time_zero_is_a_valid_time(ALGORITHM);
}
Test(sliding_log, times_near_2_to_the_62_work) {
  rlc_times_near_2_to_the_62_work(ALGORITHM);
}
Test(sliding_log, sums_of_large_products_do_not_overflow) {
  rlc_sums_of_large_products_do_not_overflow(ALGORITHM);
}
Test(sliding_log, keys_are_fresh_after_a_gap_of_years) {
  rlc_keys_are_fresh_after_a_gap_of_years(ALGORITHM);
}
Test(sliding_log, earlier_time_is_treated_as_the_latest_seen) {
  rlc_earlier_time_is_treated_as_the_latest_seen(ALGORITHM);
}
Test(sliding_log, create_rejects_invalid_configs) {
  rlc_create_rejects_invalid_configs(ALGORITHM);
}
Test(sliding_log, the_largest_valid_product_decides_exactly) {
  rlc_the_largest_valid_product_decides_exactly(ALGORITHM);
}
Test(sliding_log, destroy_accepts_null) {
  rlc_destroy_accepts_null(ALGORITHM);
}
Test(sliding_log, matches_the_model_on_random_operations) {
  rlc_matches_the_model_on_random_operations(ALGORITHM);
}
Test(sliding_log, destroy_frees_every_byte) {
  rlc_destroy_frees_every_byte(ALGORITHM);
}
