/* stage1_fixed_window.c - stage 1: at most L requests per key in each
 * aligned window [k*W, (k+1)*W). */
#include <criterion/criterion.h>

#include "rl_common.h"
#include "rl_suite.h"

#define ALGORITHM RL_FIXED_WINDOW
#define SECOND RLS_NS_PER_S

TestSuite(fixed_window, .init = rls_setup, .timeout = 15);

Test(fixed_window, allows_the_limit_then_denies_until_the_next_window) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 10, SECOND);
  rls_key_t key;
  rls_key_text_set(&key, "k1");
  for (uint64_t i = 0; i < 12; i++)
    rls_check(&limiter, &key, SECOND / 20 + i * (SECOND / 12));
  rls_check(&limiter, &key, SECOND - 1);
  rls_check_times(&limiter, &key, SECOND, 11);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(fixed_window, windows_are_aligned_to_multiples_of_the_window) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 2, SECOND);
  limiter.note = "windows are [k*W, (k+1)*W), aligned to multiples of W; a "
                 "key's first request does not start its window";
  rls_key_t key;
  rls_key_text_set(&key, "aligned");
  rls_check_times(&limiter, &key, 7 * SECOND / 10, 3);
  rls_check_times(&limiter, &key, SECOND, 3);
  rls_check_times(&limiter, &key, 2 * SECOND + 1, 3);
  rls_check_times(&limiter, &key, 2 * SECOND + 9 * SECOND / 10, 1);
  rls_check_times(&limiter, &key, 3 * SECOND, 3);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(fixed_window, the_rule_holds_exactly_at_window_boundaries) {
  /* Window k ends at k*W - 1 and the next begins at k*W, for a round and
   * an odd window length. */
  const uint64_t windows[] = {SECOND, 7};
  for (int c = 0; c < 2; c++) {
    uint64_t w = windows[c];
    rls_limiter_t limiter;
    rls_open(&limiter, ALGORITHM, 3, w);
    limiter.note = "t = k*W - 1 is the last ns of window k-1, t = k*W the "
                   "first of window k";
    rls_key_t key;
    rls_key_text_set(&key, "edge");
    const uint64_t ks[] = {1, 2, 7, 1000};
    for (int i = 0; i < 4; i++) {
      rls_check_times(&limiter, &key, ks[i] * w - 1, 4);
      rls_check_times(&limiter, &key, ks[i] * w, 4);
      rls_check(&limiter, &key, ks[i] * w + 1);
    }
    rls_key_release(&key);
    rls_close(&limiter);
  }
}

Test(fixed_window, remaining_and_retry_after_are_exact) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 5, SECOND);
  limiter.note = "remaining counts down to 0; once it is 0, retry_after_ns "
                 "is the time left until the next window starts";
  rls_key_t key;
  rls_key_text_set(&key, "exact");
  rls_check_times(&limiter, &key, 2 * SECOND + SECOND / 4, 7);
  rls_check(&limiter, &key, 3 * SECOND - 1);
  rls_check(&limiter, &key, 3 * SECOND);
  rls_check_times(&limiter, &key, 3 * SECOND + SECOND / 2, 5);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(fixed_window, allows_exactly_the_limit_at_one_instant) {
  rlc_allows_exactly_the_limit_at_one_instant(ALGORITHM);
}
Test(fixed_window, keys_are_independent) {
  rlc_keys_are_independent(ALGORITHM);
}
Test(fixed_window, keys_are_kept_while_their_state_matters) {
  rlc_keys_are_kept_while_their_state_matters(ALGORITHM);
}
Test(fixed_window, limit_one_allows_one_request) {
  rlc_limit_one_allows_one_request(ALGORITHM);
}
Test(fixed_window, limit_zero_denies_everything) {
  rlc_limit_zero_denies_everything(ALGORITHM);
}
Test(fixed_window, empty_key_is_a_key) {
  rlc_empty_key_is_a_key(ALGORITHM);
}
Test(fixed_window, binary_keys_differ_after_a_nul) {
  rlc_binary_keys_differ_after_a_nul(ALGORITHM);
}
Test(fixed_window, keys_sharing_a_prefix_are_distinct) {
  rlc_keys_sharing_a_prefix_are_distinct(ALGORITHM);
}
Test(fixed_window, keys_of_1024_bytes_are_accepted) {
  rlc_keys_of_1024_bytes_are_accepted(ALGORITHM);
}
Test(fixed_window, keys_longer_than_1024_bytes_are_rejected) {
  rlc_keys_longer_than_1024_bytes_are_rejected(ALGORITHM);
}
Test(fixed_window, caller_may_reuse_the_key_buffer) {
  rlc_caller_may_reuse_the_key_buffer(ALGORITHM);
}
Test(fixed_window, time_zero_is_a_valid_time) {
  rlc_time_zero_is_a_valid_time(ALGORITHM);
}
Test(fixed_window, times_near_2_to_the_62_work) {
  rlc_times_near_2_to_the_62_work(ALGORITHM);
}
Test(fixed_window, sums_of_large_products_do_not_overflow) {
  rlc_sums_of_large_products_do_not_overflow(ALGORITHM);
}
Test(fixed_window, keys_are_fresh_after_a_gap_of_years) {
  rlc_keys_are_fresh_after_a_gap_of_years(ALGORITHM);
}
Test(fixed_window, earlier_time_is_treated_as_the_latest_seen) {
  rlc_earlier_time_is_treated_as_the_latest_seen(ALGORITHM);
}
Test(fixed_window, create_rejects_invalid_configs) {
  rlc_create_rejects_invalid_configs(ALGORITHM);
}
Test(fixed_window, the_largest_valid_product_decides_exactly) {
  rlc_the_largest_valid_product_decides_exactly(ALGORITHM);
}
Test(fixed_window, destroy_accepts_null) {
  rlc_destroy_accepts_null(ALGORITHM);
}
Test(fixed_window, matches_the_model_on_random_operations) {
  rlc_matches_the_model_on_random_operations(ALGORITHM);
}
Test(fixed_window, destroy_frees_every_byte) {
  rlc_destroy_frees_every_byte(ALGORITHM);
}
