/* stage4_sliding_window.c - stage 4: the sliding window counter, allowed
 * iff prev*(W - e) + curr*W < L*W over aligned windows. */
#include <criterion/criterion.h>

#include "rl_common.h"
#include "rl_suite.h"

#define ALGORITHM RL_SLIDING_WINDOW
#define SECOND RLS_NS_PER_S

TestSuite(sliding_window, .init = rls_setup, .timeout = 15);

Test(sliding_window, windows_are_aligned_to_multiples_of_the_window) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 4, SECOND);
  limiter.note = "windows are [k*W, (k+1)*W), aligned to multiples of W; a "
                 "key's first request does not start its window";
  rls_key_t key;
  rls_key_text_set(&key, "aligned");
  rls_check_times(&limiter, &key, 7 * SECOND / 10, 5);
  rls_check(&limiter, &key, SECOND);
  rls_check_times(&limiter, &key, SECOND + SECOND / 5, 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_window, the_weighted_count_decides_exactly) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 10, SECOND);
  limiter.note = "prev = 7 allowed in the previous window: a request at e "
                 "ns into the window is allowed iff 7*(W - e) + curr*W < "
                 "10*W";
  rls_key_t key;
  rls_key_text_set(&key, "weighted");
  rls_check_times(&limiter, &key, SECOND / 2, 7);
  rls_check_times(&limiter, &key, SECOND, 4);
  rls_check_times(&limiter, &key, SECOND + 1, 2);
  rls_check(&limiter, &key, SECOND + 142857142);
  rls_check_times(&limiter, &key, SECOND + 142857143, 2);
  rls_check(&limiter, &key, SECOND + 285714285);
  rls_check_times(&limiter, &key, SECOND + 285714286, 2);
  rls_check_times(&limiter, &key, 2 * SECOND - 1, 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_window, retry_after_can_reach_into_the_next_window) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 2, SECOND);
  limiter.note = "a full current window stays full to its end; in the next "
                 "one prev*(W - e) < L*W needs e > 0, so the wait ends 1 ns "
                 "after the next window starts";
  rls_key_t key;
  rls_key_text_set(&key, "next");
  rls_check_times(&limiter, &key, 9 * SECOND / 10, 3);
  rls_check(&limiter, &key, 95 * SECOND / 100);
  rls_check(&limiter, &key, SECOND);
  rls_check_times(&limiter, &key, SECOND + 1, 2);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_window, retry_after_moves_to_the_next_window_when_l_exceeds_w) {
  /* With L > W, prev can weigh so much that no offset left in the window
   * fits even with curr < L; the request then fits at the first ns of the
   * next window, where prev becomes curr. */
  static const struct {
    uint64_t limit, window_ns;
    struct {
      uint64_t at, count;
    } calls[5];
  } cases[] = {{5, 2, {{0, 6}, {2, 1}, {3, 4}, {4, 3}, {5, 3}}},
               {3, 1, {{10, 4}, {11, 2}, {12, 4}, {13, 1}, {15, 4}}}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    rls_limiter_t limiter;
    rls_open(&limiter, ALGORITHM, cases[c].limit, cases[c].window_ns);
    limiter.note = "when curr < L but prev*(W - e') >= (L - curr)*W for "
                   "every offset e' left in the window, the wait ends at the "
                   "next window's first ns, W - e; when curr = L it ends one "
                   "ns into the next window (two windows on if W = 1)";
    rls_key_t key;
    rls_key_text_set(&key, "heavy");
    for (int i = 0; i < 5; i++)
      rls_check_times(&limiter, &key, cases[c].calls[i].at,
                      cases[c].calls[i].count);
    rls_key_release(&key);
    rls_close(&limiter);
  }
}

Test(sliding_window, counts_only_allowed_requests) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 4, SECOND);
  limiter.note = "prev and curr count allowed requests only; denied ones "
                 "change nothing";
  rls_key_t key;
  rls_key_text_set(&key, "allowed-only");
  rls_check_times(&limiter, &key, SECOND / 2, 24);
  rls_check_times(&limiter, &key, SECOND + SECOND / 2, 12);
  rls_check_times(&limiter, &key, SECOND + 3 * SECOND / 4, 3);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_window, prev_is_zero_when_the_previous_window_was_skipped) {
  rls_limiter_t limiter;
  rls_open(&limiter, ALGORITHM, 3, SECOND);
  limiter.note = "prev is the count of the window just before the current "
                 "one; when the key had no request in it, prev is 0, "
                 "whatever older windows held";
  rls_key_t key;
  rls_key_text_set(&key, "skipped");
  rls_check_times(&limiter, &key, SECOND / 2, 3);
  rls_check_times(&limiter, &key, 2 * SECOND, 4);
  rls_check_times(&limiter, &key, 7 * SECOND + 1, 4);
  rls_key_release(&key);
  rls_close(&limiter);
}

Test(sliding_window, uses_exact_integer_arithmetic) {
  /* Each case sits exactly on, or one unit off, the boundary of the rule,
   * where a double (or float) estimate rounds to the wrong side. */
  static const struct {
    uint64_t limit, window_ns, prev, at, count;
    const char *note;
  } cases[] = {
      {1, 1ULL << 62, 1, (1ULL << 62) + 1, 2,
       "W = 2^62: (W - 1)/W is 1.0 as a double, but 1*(W - 1) < 1*W"},
      {50, SECOND, 50, SECOND + 340000000, 18,
       "50*(1 - 0.34) + 17 is exactly 50, yet 49.99999999999999 in double"},
      {3, SECOND, 3, SECOND + 333333334, 3,
       "3*(W - e) + 1*W = 2999999998 < 3*W, yet 3.0 in float"},
      {65, 86400 * SECOND, 47, 86400 * SECOND + 12868085106383ULL, 27,
       "a day's window: 47*(W - e) + 25*W is L*W - 1, yet 65.0 in double"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    rls_limiter_t limiter;
    rls_open(&limiter, ALGORITHM, cases[i].limit, cases[i].window_ns);
    limiter.note = cases[i].note;
    rls_key_t key;
    rls_key_text_set(&key, "exact");
    rls_check_times(&limiter, &key, 0, cases[i].prev);
    rls_check_times(&limiter, &key, cases[i].at, cases[i].count);
    rls_key_release(&key);
    rls_close(&limiter);
  }
}

Test(sliding_window, allows_exactly_the_limit_at_one_instant) {
  rlc_allows_exactly_the_limit_at_one_instant(ALGORITHM);
}
Test(sliding_window, keys_are_independent) {
  rlc_keys_are_independent(ALGORITHM);
}
Test(sliding_window, keys_are_kept_while_their_state_matters) {
  rlc_keys_are_kept_while_their_state_matters(ALGORITHM);
}
Test(sliding_window, limit_one_allows_one_request) {
  rlc_limit_one_allows_one_request(ALGORITHM);
}
Test(sliding_window, limit_zero_denies_everything) {
  rlc_limit_zero_denies_everything(ALGORITHM);
}
Test(sliding_window, empty_key_is_a_key) {
  rlc_empty_key_is_a_key(ALGORITHM);
}
Test(sliding_window, binary_keys_differ_after_a_nul) {
  rlc_binary_keys_differ_after_a_nul(ALGORITHM);
}
Test(sliding_window, keys_sharing_a_prefix_are_distinct) {
  rlc_keys_sharing_a_prefix_are_distinct(ALGORITHM);
}
Test(sliding_window, keys_of_1024_bytes_are_accepted) {
  rlc_keys_of_1024_bytes_are_accepted(ALGORITHM);
}
Test(sliding_window, keys_longer_than_1024_bytes_are_rejected) {
  rlc_keys_longer_than_1024_bytes_are_rejected(ALGORITHM);
}
Test(sliding_window, caller_may_reuse_the_key_buffer) {
  rlc_caller_may_reuse_the_key_buffer(ALGORITHM);
}
Test(sliding_window, time_zero_is_a_valid_time) {
  rlc_time_zero_is_a_valid_time(ALGORITHM);
}
Test(sliding_window, times_near_2_to_the_62_work) {
  rlc_times_near_2_to_the_62_work(ALGORITHM);
}
Test(sliding_window, sums_of_large_products_do_not_overflow) {
  rlc_sums_of_large_products_do_not_overflow(ALGORITHM);
}
Test(sliding_window, keys_are_fresh_after_a_gap_of_years) {
  rlc_keys_are_fresh_after_a_gap_of_years(ALGORITHM);
}
Test(sliding_window, earlier_time_is_treated_as_the_latest_seen) {
  rlc_earlier_time_is_treated_as_the_latest_seen(ALGORITHM);
}
Test(sliding_window, create_rejects_invalid_configs) {
  rlc_create_rejects_invalid_configs(ALGORITHM);
}
Test(sliding_window, the_largest_valid_product_decides_exactly) {
  rlc_the_largest_valid_product_decides_exactly(ALGORITHM);
}
Test(sliding_window, destroy_accepts_null) {
  rlc_destroy_accepts_null(ALGORITHM);
}
Test(sliding_window, matches_the_model_on_random_operations) {
  rlc_matches_the_model_on_random_operations(ALGORITHM);
}
Test(sliding_window, destroy_frees_every_byte) {
  rlc_destroy_frees_every_byte(ALGORITHM);
}
